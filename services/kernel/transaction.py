"""One use case's MongoDB transaction: its reads, its buffered writes and the events it emits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.kernel.context import current_trace
from services.kernel.envelope import Envelope, EventPayload
from services.kernel.tracing import current_traceparent

Doc = dict[str, Any]
DUPLICATE_KEY = 11000


class WriteRace(Exception):
    """Another transaction inserted a document this one found absent: run the use case again."""


@dataclass(frozen=True)
class OutboxMessage:
    """One record to publish: a topic, its partition key, the event type and the JSON value."""

    topic: str
    key: str
    type: str
    value: str
    event_id: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    """Kafka record headers (the CloudEvents attributes of an event)."""


@dataclass
class _Inserts:
    docs: list[Doc] = field(default_factory=list)
    on_duplicate: Callable[[], Exception] | None = None


@dataclass(frozen=True)
class _Update:
    collection: str
    filter: Doc
    change: Doc
    replace: bool
    upsert: bool
    conflict: Exception | None


def _only_duplicates(error: DuplicateKeyError | BulkWriteError) -> bool:
    if isinstance(error, DuplicateKeyError):
        return True
    errors = error.details.get("writeErrors", [])
    return bool(errors) and all(e.get("code") == DUPLICATE_KEY for e in errors)


class Transaction:
    """What one use case reads and writes, inside one MongoDB transaction.

    Writes are buffered and sent together before the next read and at commit: all inserts into
    one collection as one `insert_many` (insert-if-absent documents after one read of their
    ids), then the updates in the order they were made. A use case, or a consumer's whole batch
    of events, thus costs a few round trips however many documents it writes, and a read still
    sees the transaction's own writes.
    """

    def __init__(
        self,
        session: AsyncClientSession,
        db: AsyncDatabase[Doc],
        source: str,
        topic: str,
    ) -> None:
        self._session = session
        self._db = db
        self.source = source
        self.topic = topic
        self.messages: list[OutboxMessage] = []
        self._inserts: dict[str, _Inserts] = {}
        self._if_absent: dict[str, dict[Any, Doc]] = {}
        self._updates: list[_Update] = []

    def emit(self, payload: EventPayload, *, topic: str | None = None) -> Envelope:
        """Record an event caused by the current unit of work; stored at commit.

        It goes to the service's own events topic unless `topic` names another one the
        service publishes (e.g. a supplier's feed), which must exist before it is published.
        """
        trace = current_trace.get()
        envelope = Envelope.wrap(
            payload,
            source=self.source,
            correlation_id=trace.correlation_id,
            causation_id=trace.causation_id,
            traceparent=current_traceparent(),
        )
        self.messages.append(
            OutboxMessage(
                topic or self.topic,
                envelope.subject,
                envelope.type,
                envelope.model_dump_json(),
                envelope.event_id,
                tuple(envelope.cloudevent_headers()),
            )
        )
        return envelope

    def insert(
        self, collection: str, *docs: Doc, on_duplicate: Callable[[], Exception] | None = None
    ) -> None:
        """Insert documents; a duplicate `_id` fails the transaction (with `on_duplicate()`)."""
        if not docs:
            return
        pending = self._inserts.setdefault(collection, _Inserts())
        pending.docs.extend(docs)
        if pending.on_duplicate is None:
            pending.on_duplicate = on_duplicate

    def insert_if_absent(self, collection: str, *docs: Doc) -> None:
        """Insert each document unless one with its `_id` exists (ids derived from an event make
        an event applied again add nothing)."""
        pending = self._if_absent.setdefault(collection, {})
        for doc in docs:
            pending.setdefault(doc["_id"], doc)

    def update(
        self,
        collection: str,
        filter: Doc,
        update: Doc,
        *,
        upsert: bool = False,
        conflict: Exception | None = None,
    ) -> None:
        """Update one document; if `conflict` is given, it is raised when none matched."""
        self._updates.append(_Update(collection, filter, update, False, upsert, conflict))

    def replace(
        self,
        collection: str,
        filter: Doc,
        replacement: Doc,
        *,
        upsert: bool = False,
        conflict: Exception | None = None,
    ) -> None:
        """Replace one document; if `conflict` is given, it is raised when none matched."""
        self._updates.append(_Update(collection, filter, replacement, True, upsert, conflict))

    async def find_one(
        self, collection: str, filter: Doc, projection: Doc | None = None
    ) -> Doc | None:
        """One matching document as this transaction sees it."""
        await self.flush()
        found: Doc | None = await self._db[collection].find_one(
            filter, projection, session=self._session
        )
        return found

    async def find(
        self,
        collection: str,
        filter: Doc,
        projection: Doc | None = None,
        *,
        sort: Sequence[tuple[str, int]] = (),
        limit: int = 0,
    ) -> list[Doc]:
        """The matching documents as this transaction sees them."""
        await self.flush()
        cursor = self._db[collection].find(filter, projection, session=self._session)
        if sort:
            cursor = cursor.sort(list(sort))
        if limit:
            cursor = cursor.limit(limit)
        return [doc async for doc in cursor]

    async def flush(self) -> None:
        """Send the buffered writes."""
        inserts = list(self._inserts.items())
        if_absent, updates = self._if_absent, self._updates
        self._inserts, self._if_absent, self._updates = {}, {}, []
        for collection, by_id in if_absent.items():
            found = self._db[collection].find(
                {"_id": {"$in": list(by_id)}}, {"_id": 1}, session=self._session
            )
            for doc in [doc async for doc in found]:
                by_id.pop(doc["_id"], None)
            if by_id:  # another transaction inserting one of them since is a race to run again
                inserts.append((collection, _Inserts(list(by_id.values()), WriteRace)))
        for collection, pending in inserts:
            await self._insert(collection, pending.docs, pending.on_duplicate)
        for update in updates:
            await self._apply(update)

    async def _insert(
        self, collection: str, docs: list[Doc], on_duplicate: Callable[[], Exception] | None
    ) -> None:
        try:
            await self._db[collection].insert_many(docs, session=self._session)
        except (DuplicateKeyError, BulkWriteError) as error:
            if on_duplicate is not None and _only_duplicates(error):
                raise on_duplicate() from error
            raise

    async def _apply(self, update: _Update) -> None:
        coll = self._db[update.collection]
        if update.replace:
            result = await coll.replace_one(
                update.filter, update.change, upsert=update.upsert, session=self._session
            )
        else:
            result = await coll.update_one(
                update.filter, update.change, upsert=update.upsert, session=self._session
            )
        if update.conflict is not None and result.matched_count == 0:
            raise update.conflict
