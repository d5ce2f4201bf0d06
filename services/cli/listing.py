"""A list command's call: every page of a list or search RPC (AIP-158), or its first items."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from services.cli.pages import every_page
from services.kernel.paging import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from services.cli.main import Client

AT_MOST = "at most this many (0: every page)"
"""The help of a list command's --limit."""


async def listed(client: Client, method: Any, request: Any, items: str, *, at_most: int = 0) -> Any:
    """The reply of `method` holding the items of every page (or the first `at_most`; 0: all),
    asked for in pages of at most `at_most` items."""
    request.page_size = min(at_most or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    return await every_page(partial(client.call, method), request, items, at_most=at_most)
