"""Following the pages of a list or search call (AIP-158) until the last, or enough items."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.cli.main import Client


async def every_page(
    call: Callable[[Any], Awaitable[Any]],
    request: Any,
    items: str,
    *,
    at_most: int = 0,
    on_page: Callable[[Any], Awaitable[None]] | None = None,
) -> Any:
    """The first page's reply holding the items of every page (or the first `at_most`),
    fetched in turn with each page's next_page_token; `on_page` is awaited with each reply
    before the next page is asked for."""
    first = await call(request)
    collected = list(getattr(first, items))
    token = first.next_page_token
    if on_page is not None:
        await on_page(first)
    while token and not (at_most and len(collected) >= at_most):
        request.page_token = token
        reply = await call(request)
        collected += getattr(reply, items)
        token = reply.next_page_token
        if on_page is not None:
            await on_page(reply)
    del getattr(first, items)[:]
    getattr(first, items).extend(collected[:at_most] if at_most else collected)
    first.next_page_token = ""
    return first


async def every_page_of(
    client: Client, method: Any, request: Any, items: str, *, at_most: int = 0
) -> Any:
    """`every_page` of a stub's method called with the client's credentials and deadline."""

    async def call(page: Any) -> Any:
        return await client.call(method, page)

    return await every_page(call, request, items, at_most=at_most)
