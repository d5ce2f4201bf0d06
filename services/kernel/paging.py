"""Paging of list and search calls (AIP-158): a page size with a maximum, an opaque token for
the next page, and a stable order ending in `_id`.

The token holds the sort values of the last item returned (keyset paging, never an offset),
so an item added while a client pages shows up at most once and never shifts the others, and
a deep page costs what the first one does when an index serves the sort. It also holds a
fingerprint of the request's filters: a token used with other filters is INVALID_ARGUMENT.

On MongoDB each branch of a deep page is a bounded index scan that stops at the limit. The
embedded SecantusDB (0.7) applies a find's limit only after it has read every document of the
index range the filter gives (and sorts them itself for a sort on two fields), so there a page
costs about a read of the range after the cursor, as the first page costs a read of the whole
index; no hint, min/max or filter shape changes that short of bounding the range on both sides.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from services.kernel.errors import InvalidInput

Doc = dict[str, Any]
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def page_size(
    requested: int, *, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE
) -> int:
    """The page size asked for (0: the default), within the maximum; negative is refused."""
    if requested < 0:
        raise InvalidInput.single("page_size", "must not be negative")
    return min(requested or default, maximum)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"t"}:
        return datetime.fromisoformat(value["t"])
    if isinstance(value, dict) and set(value) == {"d"}:
        return date.fromisoformat(value["d"])
    return value


def fingerprint(filters: Mapping[str, Any]) -> str:
    """A short digest of a request's filters, so a token is only used with the same ones."""
    raw = json.dumps(filters, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def _field(doc: Doc, path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def combined(query: Doc, branch: Doc) -> Doc:
    """The documents matching both, as one flat filter where their fields differ: a server
    may plan `{"$and": [{}, {k: range}]}` as a collection scan (SecantusDB 0.7 does) where it
    plans `{k: range}` on the index."""
    if not branch:
        return query
    if not query:
        return branch
    if set(query) & set(branch) or any(k.startswith("$") for k in branch):
        return {"$and": [query, branch]}
    return {**query, **branch}


@dataclass(frozen=True)
class Paging:
    """One listing's order (ending in `_id`) and the filters its tokens are bound to."""

    sort: Sequence[tuple[str, int]]
    filters: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not self.sort or self.sort[-1][0] != "_id":
            raise ValueError("a paged order ends in _id, so that it is total")

    def token_after(self, doc: Doc) -> str:
        """The opaque token of the page after `doc`."""
        values = [_encode(_field(doc, name)) for name, _ in self.sort]
        raw = json.dumps({"f": fingerprint(self.filters), "v": values}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def after(self, token: str) -> list[Doc]:
        """The filters of the items after the one a token names, nearest first ([] for no
        token): with the first i sort values equal, the next one beyond, for i from the
        last key down to 0. Each is an equality-and-range on the sort's index, so a deep
        page reads no more than the first (a single `$or` of them is not planned on an index
        by every server)."""
        if not token:
            return []
        try:
            padded = token + "=" * (-len(token) % 4)
            body = json.loads(base64.urlsafe_b64decode(padded.encode()))
            values = [_decode(v) for v in body["v"]]
            same = body["f"] == fingerprint(self.filters)
        except (ValueError, TypeError, KeyError, binascii.Error):
            raise InvalidInput.single("page_token", "not a token from a previous page") from None
        if not same or len(values) != len(self.sort):
            raise InvalidInput.single(
                "page_token", "from a listing with other filters; start again without it"
            )
        branches: list[Doc] = []
        for i in reversed(range(len(self.sort))):
            name, direction = self.sort[i]
            branch: Doc = {n: v for (n, _), v in zip(self.sort[:i], values[:i], strict=True)}
            branch[name] = {"$gt" if direction == ASCENDING else "$lt": values[i]}
            branches.append(branch)
        return branches

    async def page(
        self, collection: AsyncCollection[Doc], query: Doc, *, size: int, token: str
    ) -> tuple[list[Doc], str]:
        """One page of the matching documents and the next page's token ("" after the last)."""
        docs: list[Doc] = []
        for branch in self.after(token) or [{}]:
            where = combined(query, branch)
            cursor = collection.find(where).sort(list(self.sort)).limit(size + 1 - len(docs))
            docs += [doc async for doc in cursor]
            if len(docs) > size:
                break
        following = self.token_after(docs[size - 1]) if len(docs) > size else ""
        return docs[:size], following
