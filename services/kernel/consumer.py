"""Idempotent event processing: effect and inbox mark in one transaction, bounded retries, DLQ."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError
from pymongo import ReturnDocument
from pymongo.errors import PyMongoError

from services.kernel.context import Trace, current_trace
from services.kernel.envelope import Envelope, UnknownSchemaVersion, utcnow
from services.kernel.metrics import Metrics
from services.kernel.retry import is_transient, wait_out
from services.kernel.settings import Settings
from services.kernel.store import (
    ATTEMPTS,
    INBOX,
    AlreadyProcessed,
    MongoStore,
    OutboxMessage,
    Transaction,
)
from services.kernel.topics import dead_letter_topic
from services.kernel.tracing import consuming

log = logging.getLogger(__name__)

EventHandler = Callable[[Transaction, Envelope], Awaitable[None]]
Partition = tuple[str, int]

ERROR_TEXT_LIMIT = 2000


@dataclass(frozen=True)
class Record:
    """The parts of a Kafka record the consumer needs."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes

    @property
    def tp(self) -> Partition:
        """The record's (topic, partition)."""
        return (self.topic, self.partition)


class PartitionHalted(Exception):
    """A record could be neither applied nor durably dead-lettered: its partition stops there."""

    def __init__(self, record: Record, reason: str) -> None:
        self.record = record
        self.reason = reason
        super().__init__(f"{record.topic}[{record.partition}]@{record.offset}: {reason}")


@dataclass
class BatchOutcome:
    """What a batch left done: per partition the offset to commit (the next one to read), and
    the partitions that stopped at a record (its offset) instead of moving past it."""

    next_offsets: dict[Partition, int] = field(default_factory=dict)
    halted: dict[Partition, int] = field(default_factory=dict)


def bounded(text: str, limit: int = ERROR_TEXT_LIMIT) -> str:
    """An error text short enough for a log line and a dead letter."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more chars)"


class EventConsumer:
    """Applies each event once per consumer group, whatever the broker redelivers.

    A handler's effect, the inbox mark and any events it emits commit in one transaction; the
    caller commits a partition's offset only past records that were applied, found to be
    duplicates, or durably dead-lettered. Transient failures (write conflicts, transient
    transaction errors, the database unreachable) are waited out and never count as attempts.
    Any other failure counts; the counts are stored, so a restart does not reset them, and
    after `consumer_max_attempts` the record is dead-lettered through the outbox. If even that
    fails for a reason other than a transient one, the record's partition halts at it.
    """

    def __init__(
        self,
        *,
        group: str,
        store: MongoStore,
        handlers: Mapping[str, EventHandler],
        settings: Settings,
        metrics: Metrics,
    ) -> None:
        self.group = group
        self.store = store
        self.handlers = dict(handlers)
        self.settings = settings
        self.metrics = metrics
        self.dlq_topic = dead_letter_topic(group)

    async def process_batch(self, records: Sequence[Record]) -> BatchOutcome:
        """Handle records in order: all in one transaction when that succeeds, else one by one.

        The shared transaction is only a fast path: any duplicate, malformed record, handler
        error or database trouble rolls it back whole. Then the events the inbox already holds
        are found with one read and passed over (a broker that redelivers or replays a
        partition costs a read, not a failed transaction per event), the rest are tried
        together once more, and if that fails too each record goes through `process` with its
        own deduplication, retries and dead-lettering.
        """
        todo = list(records)
        if len(todo) > 1 and await self._apply_together(todo):
            todo = []
        elif len(todo) > 1:  # perhaps a redelivery or a replay: one read finds the duplicates
            todo = await self._without_processed(todo)
            if len(todo) > 1 and await self._apply_together(todo):
                todo = []
        halted: dict[Partition, int] = {}
        for record in todo:
            if record.tp in halted:
                continue
            try:
                await self.process(record)
            except PartitionHalted as halt:
                halted[record.tp] = record.offset
                self.metrics.partitions_halted_total.labels(self.group).inc()
                log.error("partition halted, nothing after it is applied: %s", halt)
        outcome = BatchOutcome(halted=halted)
        for record in records:  # a partition's offset moves up to the record it halted at
            if record.tp not in halted or record.offset < halted[record.tp]:
                outcome.next_offsets[record.tp] = record.offset + 1
        return outcome

    async def _without_processed(self, records: list[Record]) -> list[Record]:
        """The records whose events the inbox does not hold yet; the others count as the
        duplicates they are."""
        envelopes = [_parsed(record) for record in records]
        seen = await self._processed(
            [e.event_id for e in envelopes if e is not None and e.type in self.handlers]
        )
        left: list[Record] = []
        for record, envelope in zip(records, envelopes, strict=True):
            if envelope is not None and envelope.event_id in seen:
                self.metrics.events_consumed.labels(self.group, envelope.type, "duplicate").inc()
            else:
                left.append(record)
        return left

    async def _processed(self, event_ids: list[str]) -> set[str]:
        """Which of these events the inbox holds for this group (none, if it cannot be read)."""
        if not event_ids:
            return set()
        prefix = f"{self.group}:"
        try:
            found = self.store.db[INBOX].find(
                {"_id": {"$in": [prefix + event_id for event_id in event_ids]}}, {"_id": 1}
            )
            return {doc["_id"][len(prefix) :] async for doc in found}
        except PyMongoError as error:  # each record's own transaction finds out
            log.info("inbox not read ahead of a batch: %r", error)
            return set()

    async def _apply_together(self, records: Sequence[Record]) -> bool:
        envelopes = [_parsed(record) for record in records]
        if any(envelope is None for envelope in envelopes):
            return False
        parsed = [e for e in envelopes if e is not None]
        handled = [(e, self.handlers[e.type]) for e in parsed if e.type in self.handlers]

        async def work(tx: Transaction) -> None:
            if handled:
                self.store.mark_processed(tx, self.group, *(e.event_id for e, _ in handled))
            for envelope, handler in handled:
                token = current_trace.set(Trace(envelope.correlation_id, envelope.event_id))
                try:
                    with consuming(envelope.type, envelope.traceparent, self.group):
                        await handler(tx, envelope)
                finally:
                    current_trace.reset(token)

        try:
            await self.store.transact(work)
        except Exception as error:
            log.info("a batch of %d falls back to one at a time: %r", len(records), error)
            return False
        for envelope in parsed:
            outcome = "processed" if envelope.type in self.handlers else "ignored"
            self.metrics.events_consumed.labels(self.group, envelope.type, outcome).inc()
        self._observe_age(envelope for envelope, _ in handled)
        return True

    async def process(self, record: Record) -> str:
        """Handle one record; its outcome: processed, duplicate, ignored or dead_lettered.

        Raises PartitionHalted when the record could not be dead-lettered, and on cancellation.
        """
        try:
            envelope = Envelope.from_bytes(record.value)
        except ValidationError as error:
            await self._dead_letter(record, None, f"malformed envelope: {error}", attempts=1)
            return "dead_lettered"
        handler = self.handlers.get(envelope.type)
        if handler is None:
            self.metrics.events_consumed.labels(self.group, envelope.type, "ignored").inc()
            return "ignored"
        token = current_trace.set(Trace(envelope.correlation_id, envelope.event_id))
        try:
            with consuming(envelope.type, envelope.traceparent, self.group):
                outcome = await self._apply_with_retries(record, envelope, handler)
        finally:
            current_trace.reset(token)
        self.metrics.events_consumed.labels(self.group, envelope.type, outcome).inc()
        if outcome == "processed":
            self._observe_age([envelope])
        return outcome

    def _observe_age(self, envelopes: Iterable[Envelope]) -> None:
        now = utcnow()
        age = self.metrics.event_age.labels(self.group)
        for envelope in envelopes:
            age.observe(max((now - envelope.occurred_at).total_seconds(), 0.0))

    async def _apply_with_retries(
        self, record: Record, envelope: Envelope, handler: EventHandler
    ) -> str:
        backoff = self.settings.consumer_retry_backoff_s
        while True:
            try:
                return await wait_out(
                    f"{self.group} applying {envelope.type} {envelope.event_id}",
                    lambda: self.store.transact(lambda tx: self._apply(tx, envelope, handler)),
                    retry_on=lambda error: self._transient(error, envelope.type),
                    initial_s=self.settings.consumer_retry_backoff_s,
                    max_s=self.settings.consumer_retry_backoff_max_s,
                )
            except AlreadyProcessed:
                return "duplicate"
            except UnknownSchemaVersion as error:  # retrying cannot help: dead-letter at once
                return await self._dead_letter(record, envelope, str(error), attempts=1)
            except Exception as error:  # a handler bug or a bad payload: counted
                self.metrics.events_failed.labels(self.group, envelope.type).inc()
                attempts = await self._count_attempt(record, envelope, error)
                log.warning(
                    "attempt %d at %s %s failed: %s",
                    attempts,
                    envelope.type,
                    envelope.event_id,
                    bounded(repr(error)),
                )
                if attempts >= self.settings.consumer_max_attempts:
                    return await self._dead_letter(record, envelope, repr(error), attempts=attempts)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.settings.consumer_retry_backoff_max_s)

    def _transient(self, error: BaseException, event_type: str) -> bool:
        if isinstance(error, AlreadyProcessed) or not is_transient(error):
            return False
        self.metrics.events_waited.labels(self.group, event_type).inc()
        return True

    async def _apply(self, tx: Transaction, envelope: Envelope, handler: EventHandler) -> str:
        self.store.mark_processed(tx, self.group, envelope.event_id)
        try:
            await handler(tx, envelope)
        except AlreadyProcessed:
            raise
        except Exception as error:
            # The inbox mark is written first: a handler that failed on an event it had
            # already applied shows as the duplicate it is, not as a failure to retry.
            if await _already_processed(tx):
                raise AlreadyProcessed(envelope.event_id) from error
            raise
        return "processed"

    async def _count_attempt(self, record: Record, envelope: Envelope, error: Exception) -> int:
        """Store one more failed attempt at the event; the count so far."""

        async def count() -> int:
            doc = await self.store.db[ATTEMPTS].find_one_and_update(
                {"_id": f"{self.group}:{envelope.event_id}"},
                {
                    "$inc": {"attempts": 1},
                    "$set": {
                        "group": self.group,
                        "event_type": envelope.type,
                        "last_error": bounded(repr(error)),
                        "updated_at": utcnow(),
                    },
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            return int(doc["attempts"]) if doc else 1

        try:
            return await wait_out(f"{self.group} counting a failed attempt", count)
        except Exception as db_error:
            raise PartitionHalted(
                record, bounded(f"cannot count a failed attempt: {db_error!r}")
            ) from None

    async def _dead_letter(
        self, record: Record, envelope: Envelope | None, error: str, *, attempts: int
    ) -> str:
        """Publish the record to the group's dead-letter topic through the outbox, marking the
        event processed in the same transaction; raises PartitionHalted if that cannot be done."""
        event_type = envelope.type if envelope else "unparseable"
        letter = {
            "group": self.group,
            "error": bounded(error),
            "attempts": attempts,
            "failed_at": utcnow().isoformat(),
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "event_id": envelope.event_id if envelope else None,
            "event_type": event_type,
            "value_base64": base64.b64encode(record.value).decode(),
        }
        key = (record.key or b"").decode(errors="replace")
        message = OutboxMessage(self.dlq_topic, key, event_type, json.dumps(letter))

        async def store_letter(tx: Transaction) -> None:
            if envelope is not None:
                self.store.mark_processed(tx, self.group, envelope.event_id, dead_lettered=True)
            tx.messages.append(message)

        try:
            await wait_out(
                f"{self.group} storing a dead letter",
                lambda: self.store.transact(store_letter),
                retry_on=lambda error: (
                    is_transient(error) and not isinstance(error, AlreadyProcessed)
                ),
                initial_s=self.settings.consumer_retry_backoff_s,
                max_s=self.settings.consumer_retry_backoff_max_s,
            )
        except AlreadyProcessed:
            return "duplicate"
        except Exception as db_error:
            raise PartitionHalted(
                record, bounded(f"cannot store the dead letter: {db_error!r}")
            ) from None
        if envelope is not None:
            await self._forget_attempts(envelope)
        self.metrics.events_dead_lettered.labels(self.group, event_type).inc()
        log.error(
            "dead-lettered %s at %s[%d]@%d after %d attempts: %s",
            event_type,
            record.topic,
            record.partition,
            record.offset,
            attempts,
            bounded(error),
        )
        return "dead_lettered"

    async def _forget_attempts(self, envelope: Envelope) -> None:
        try:
            await self.store.db[ATTEMPTS].delete_one({"_id": f"{self.group}:{envelope.event_id}"})
        except Exception as error:  # a leftover count is purged with the inbox
            log.info("could not clear the attempt count of %s: %r", envelope.event_id, error)


def _parsed(record: Record) -> Envelope | None:
    try:
        return Envelope.from_bytes(record.value)
    except ValidationError:
        return None


async def _already_processed(tx: Transaction) -> bool:
    """Whether writing the transaction's buffered inbox mark finds the event processed."""
    try:
        await tx.flush()
    except AlreadyProcessed:
        return True
    except Exception:  # the handler's own error is the one to report
        return False
    return False
