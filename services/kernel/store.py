"""MongoDB unit of work: aggregate state, outbox rows and inbox marks in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

from bson.decimal128 import Decimal128
from pydantic import BaseModel
from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure, PyMongoError

from services.kernel.envelope import new_id, utcnow
from services.kernel.errors import ConcurrencyConflict
from services.kernel.retry import commit_with_retry
from services.kernel.topics import events_topic
from services.kernel.transaction import Doc, OutboxMessage, Transaction, WriteRace

__all__ = [
    "ATTEMPTS",
    "COMMITTED_AT",
    "INBOX",
    "OUTBOX",
    "Aggregate",
    "AlreadyProcessed",
    "Doc",
    "MongoStore",
    "OutboxMessage",
    "Repository",
    "Transaction",
    "from_bson",
    "to_bson",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
A = TypeVar("A", bound="Aggregate")

OUTBOX = "outbox"
INBOX = "inbox"
COMMITTED_AT = "committed_at"
"""On the outbox rows a commit hands to the relay in process (not stored): when it committed."""
ATTEMPTS = "consumer_attempts"
"""Failed attempts per (group, event), kept across restarts until the event is dead-lettered."""
LEGACY_OUTBOX_SEQ_INDEX = "seq_1"
MAX_TRANSACTION_ATTEMPTS = 5


def to_bson(value: Any) -> Any:
    """A value MongoDB can store: dates as ISO strings (they sort), Decimals as Decimal128."""
    if isinstance(value, dict):
        return {k: to_bson(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_bson(v) for v in value]
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return Decimal128(value)
    return value


def from_bson(value: Any) -> Any:
    """The inverse of `to_bson` where pydantic cannot do it itself (Decimal128)."""
    if isinstance(value, dict):
        return {k: from_bson(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_bson(v) for v in value]
    if isinstance(value, Decimal128):
        return value.to_decimal()
    return value


class AlreadyProcessed(Exception):
    """The inbox already holds this event for this consumer group."""


class Aggregate(BaseModel):
    """A consistency boundary stored as one document; `version` guards concurrent writes."""

    id: str
    version: int = 0


def _has_label(error: PyMongoError, label: str) -> bool:
    return isinstance(error, OperationFailure | PyMongoError) and error.has_error_label(label)


def _outbox_row(message: OutboxMessage, index: int) -> Doc:
    return {
        "_id": new_id(),
        "seq": time.time_ns() + index,
        "topic": message.topic,
        "key": message.key,
        "type": message.type,
        "value": message.value,
        "event_id": message.event_id,
        "headers": [list(header) for header in message.headers],
        "created_at": utcnow(),
        "published_at": None,
        "attempts": 0,
    }


class MongoStore:
    """A service's own database; runs use cases as transactions with their outbox rows."""

    def __init__(self, client: AsyncMongoClient[Doc], database: str, source: str) -> None:
        self.client = client
        self.db: AsyncDatabase[Doc] = client[database]
        self.source = source
        self.topic = events_topic(source)
        self._committed = asyncio.Event()
        self._fresh: list[Doc] | None = None

    @property
    def committed_signal(self) -> asyncio.Event:
        """Set whenever a transaction stored events; the relay waits on it."""
        return self._committed

    def keep_committed_rows(self) -> None:
        """From now on keep the outbox rows of each commit for `take_committed_rows`."""
        self._fresh = []

    def take_committed_rows(self) -> list[Doc]:
        """The outbox rows committed since the last call, in commit order.

        Lets the relay publish what this process just committed without reading it back;
        the rows are in the outbox all the same, so nothing depends on this list.
        """
        rows, self._fresh = self._fresh or [], [] if self._fresh is not None else None
        return rows

    async def ensure_indexes(self) -> None:
        """Indexes the kernel relies on."""
        # Every outbox query starts with published_at (pending rows in commit order, the oldest
        # pending, the purge); each further index costs every insert and every mark.
        await self.db[OUTBOX].create_index([("published_at", ASCENDING), ("seq", ASCENDING)])
        await self.db[INBOX].create_index([("processed_at", ASCENDING)])
        indexes = await self.db[OUTBOX].index_information()
        if LEGACY_OUTBOX_SEQ_INDEX in indexes:  # created by earlier versions, never used
            with contextlib.suppress(OperationFailure):
                await self.db[OUTBOX].drop_index(LEGACY_OUTBOX_SEQ_INDEX)

    async def transact(self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run `work` in one transaction, storing the events it emitted; retried if transient."""
        for attempt in range(1, MAX_TRANSACTION_ATTEMPTS + 1):
            async with self.client.start_session() as session:
                tx = Transaction(session, self.db, self.source, self.topic)
                try:
                    await session.start_transaction()
                    result = await work(tx)
                    rows = [_outbox_row(m, i) for i, m in enumerate(tx.messages)]
                    tx.insert(OUTBOX, *rows)
                    await tx.flush()
                    await self._commit(session)
                except (WriteRace, PyMongoError) as error:
                    if session.in_transaction:
                        await session.abort_transaction()
                    transient = isinstance(error, WriteRace) or _has_label(
                        error, "TransientTransactionError"
                    )
                    if not transient:
                        raise
                    if attempt < MAX_TRANSACTION_ATTEMPTS:
                        await asyncio.sleep(0.005 * attempt)
                        continue
                    raise ConcurrencyConflict("transaction", "-", 0) from error
                except BaseException:
                    if session.in_transaction:
                        await session.abort_transaction()
                    raise
            if rows:
                if self._fresh is not None:
                    committed_at = utcnow()
                    self._fresh.extend({**row, COMMITTED_AT: committed_at} for row in rows)
                self._committed.set()
            return result
        raise AssertionError("unreachable")

    @staticmethod
    async def _commit(session: AsyncClientSession) -> None:
        await commit_with_retry(session.commit_transaction)

    def mark_processed(
        self, tx: Transaction, group: str, *event_ids: str, dead_lettered: bool = False
    ) -> None:
        """Record in the inbox that `group` processed events: the transaction fails with
        AlreadyProcessed (at its next read or at commit) if it had one, and nothing else it
        wrote survives. A dead-lettered event is marked so, so that an operator's replay may
        remove that mark (and only that one) and deliver the event again."""
        now = utcnow()
        records = [
            {"_id": f"{group}:{event_id}", "processed_at": now}
            | ({"dead_lettered": True} if dead_lettered else {})
            for event_id in event_ids
        ]
        tx.insert(INBOX, *records, on_duplicate=lambda: AlreadyProcessed(", ".join(event_ids)))

    async def purge_inbox(self, retention: timedelta) -> int:
        """Forget processed event ids older than the retention period."""
        cutoff = utcnow() - retention
        result = await self.db[INBOX].delete_many({"processed_at": {"$lt": cutoff}})
        await self.db[ATTEMPTS].delete_many({"updated_at": {"$lt": cutoff}})
        return result.deleted_count


class Repository(Generic[A]):
    """Loads and saves one aggregate type with optimistic concurrency."""

    def __init__(self, model: type[A], collection: str) -> None:
        self.model = model
        self.collection = collection

    def _coll(self, db: AsyncDatabase[Doc]) -> AsyncCollection[Doc]:
        return db[self.collection]

    async def get(self, tx: Transaction, key: str) -> A | None:
        """The aggregate with this id, read inside the transaction."""
        doc = await tx.find_one(self.collection, {"_id": key})
        return self.from_doc(doc) if doc else None

    async def read(self, db: AsyncDatabase[Doc], key: str) -> A | None:
        """The aggregate with this id, read outside any transaction."""
        doc = await self._coll(db).find_one({"_id": key})
        return self.from_doc(doc) if doc else None

    async def find(
        self,
        db: AsyncDatabase[Doc],
        query: Doc,
        *,
        sort: Sequence[tuple[str, int]] = (("_id", ASCENDING),),
        limit: int = 100,
    ) -> list[A]:
        """Aggregates matching a query, read outside any transaction."""
        cursor = self._coll(db).find(query).sort(list(sort)).limit(limit)
        return [self.from_doc(doc) async for doc in cursor]

    async def add(self, tx: Transaction, aggregate: A) -> A:
        """Store a new aggregate at version 1."""
        stored = aggregate.model_copy(update={"version": 1})
        tx.insert(self.collection, self.to_doc(stored))
        return stored

    def add_if_absent(self, tx: Transaction, *aggregates: A) -> None:
        """Store each new aggregate at version 1 unless one with its id exists."""
        docs = [self.to_doc(a.model_copy(update={"version": 1})) for a in aggregates]
        tx.insert_if_absent(self.collection, *docs)

    async def save(self, tx: Transaction, aggregate: A, *, expected_version: int) -> A:
        """Replace the aggregate if it is still at `expected_version`; the transaction fails
        with ConcurrencyConflict otherwise."""
        stored = aggregate.model_copy(update={"version": expected_version + 1})
        # replace_one, not find_one_and_replace: the latter scans the collection on SecantusDB.
        tx.replace(
            self.collection,
            {"_id": aggregate.id, "version": expected_version},
            self.to_doc(stored),
            conflict=ConcurrencyConflict(self.collection, aggregate.id, expected_version),
        )
        return stored

    @staticmethod
    def to_doc(aggregate: Aggregate) -> Doc:
        doc: Doc = to_bson(aggregate.model_dump(mode="python"))
        doc["_id"] = doc.pop("id")
        return doc

    def from_doc(self, doc: Doc) -> A:
        """The aggregate a stored document holds."""
        doc = from_bson(doc)
        doc["id"] = doc.pop("_id")
        return self.model.model_validate(doc)
