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
from typing import TYPE_CHECKING, Any, TypeVar

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.kernel.errors import InvalidInput

if TYPE_CHECKING:
    from services.kernel.store import Aggregate, Repository

A = TypeVar("A", bound="Aggregate")

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


def _beyond(value: Any, direction: int) -> list[Any]:
    """The conditions on one sort key of the values after `value`, nearest first. A missing
    value (null) sorts before every other and a range matches only its own type, so nulls
    are reached by a condition of their own."""
    if direction == ASCENDING:
        return [{"$ne": None}] if value is None else [{"$gt": value}]
    return [] if value is None else [{"$lt": value}, None]


class _Descending:
    """A sort value compared the other way round."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __lt__(self, other: _Descending) -> bool:
        return bool(other.value < self.value)


def _conjoin(query: Doc, branch: Doc) -> Doc:
    merged = dict(query)
    for name, condition in branch.items():
        present = merged.get(name, _ABSENT)
        if present is _ABSENT:
            merged[name] = condition
        elif _operators(present) and _operators(condition) and not set(present) & set(condition):
            merged[name] = {**present, **condition}
        else:
            return {"$and": [query, branch]}
    return merged


def _operators(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(k.startswith("$") for k in value)


_ABSENT = object()


def _field(doc: Doc, path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


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
            equal: Doc = {n: v for (n, _), v in zip(self.sort[:i], values[:i], strict=True)}
            branches += [{**equal, name: beyond} for beyond in _beyond(values[i], direction)]
        return branches

    def where(self, query: Doc, token: str) -> list[Doc]:
        """The filters a page after `token` reads in turn, nearest first: the query with each
        branch of `after`, as one flat filter where their fields allow (some servers plan
        only a flat filter on an index), else with `$and`."""
        return [_conjoin(query, branch) for branch in self.after(token)] or [query]

    async def page(
        self,
        collection: AsyncCollection[Doc],
        query: Doc | Sequence[Doc],
        *,
        size: int,
        token: str,
    ) -> tuple[list[Doc], str]:
        """One page of the matching documents and the next page's token ("" after the last).
        A sequence of queries lists their union: each is paged on its own index and the
        pages are merged in the order (for a scope that is an "or" of two indexed filters,
        which not every server plans on indexes as one `$or`)."""
        queries = [query] if isinstance(query, Mapping) else list(query)
        found: dict[Any, Doc] = {}
        for one in queries:
            docs: list[Doc] = []
            for condition in self.where(one, token):
                cursor = (
                    collection.find(condition).sort(list(self.sort)).limit(size + 1 - len(docs))
                )
                docs += [doc async for doc in cursor]
                if len(docs) > size:
                    break
            for doc in docs:
                found.setdefault(doc["_id"], doc)
        merged = list(found.values())
        if len(queries) > 1:
            merged = sorted(merged, key=self._order_key)[: size + 1]
        following = self.token_after(merged[size - 1]) if len(merged) > size else ""
        return merged[:size], following

    def _order_key(self, doc: Doc) -> tuple[Any, ...]:
        """A document's place in the order, for merging pages in Python (null first)."""
        key: list[Any] = []
        for name, direction in self.sort:
            value = _field(doc, name)
            part = (0, "") if value is None else (1, value)
            key.append(part if direction == ASCENDING else _Descending(part))
        return tuple(key)

    async def aggregates(
        self,
        repository: Repository[A],
        db: AsyncDatabase[Doc],
        query: Doc | Sequence[Doc],
        *,
        size: int,
        token: str,
    ) -> tuple[list[A], str]:
        """One page of a repository's aggregates and the next page's token."""
        docs, following = await self.page(db[repository.collection], query, size=size, token=token)
        return [repository.from_doc(doc) for doc in docs], following
