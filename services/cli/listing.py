"""A list command's call: every page of a list or search RPC (AIP-158), or its first items."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from services.cli.pages import every_page_of
from services.kernel.paging import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from services.cli.main import Client


def add_paging(parser: argparse.ArgumentParser) -> None:
    """A list command's --limit and --page-size."""
    parser.add_argument("--limit", type=int, default=0, help="at most this many (0: every page)")
    parser.add_argument(
        "--page-size",
        type=int,
        default=0,
        help=f"items per call (default: the limit, at most {MAX_PAGE_SIZE})",
    )


async def listed(
    client: Client, method: Any, request: Any, items: str, args: argparse.Namespace
) -> Any:
    """The reply of `method` holding the items of every page (or the first --limit), fetched
    --page-size at a time."""
    at_most: int = args.limit
    request.page_size = args.page_size or min(at_most or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    return await every_page_of(client, method, request, items, at_most=at_most)
