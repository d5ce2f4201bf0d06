"""Idempotent event processing: effect and inbox mark in one transaction, bounded retries, DLQ."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from pymongo.errors import ConnectionFailure, PyMongoError

from services.kernel.context import Trace, current_trace
from services.kernel.envelope import Envelope, utcnow
from services.kernel.metrics import Metrics
from services.kernel.settings import Settings
from services.kernel.store import AlreadyProcessed, MongoStore, OutboxMessage, Transaction
from services.kernel.topics import dead_letter_topic

log = logging.getLogger(__name__)

EventHandler = Callable[[Transaction, Envelope], Awaitable[None]]


@dataclass(frozen=True)
class Record:
    """The parts of a Kafka record the consumer needs."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


class EventConsumer:
    """Applies each event once per consumer group, whatever the broker redelivers.

    A handler's effect, the inbox mark and any events it emits commit in one transaction; the
    caller commits the Kafka offset only after `process` returns. A record whose handler keeps
    failing is dead-lettered (through the outbox, so that is not lost either) after
    `consumer_max_attempts` tries, and processing moves on. Database outages are waited out,
    never counted as attempts.
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

    async def process_batch(self, records: Sequence[Record]) -> None:
        """Handle records in order: all in one transaction when that succeeds, else one by one.

        The shared transaction is only a fast path: any duplicate, malformed record, handler
        error or database trouble rolls it back whole, and each record then goes through
        `process` with its own deduplication, retries and dead-lettering.
        """
        if len(records) > 1 and await self._apply_together(records):
            return
        for record in records:
            await self.process(record)

    async def _apply_together(self, records: Sequence[Record]) -> bool:
        try:
            envelopes = [Envelope.from_bytes(record.value) for record in records]
        except ValidationError:
            return False
        handled = [(e, self.handlers[e.type]) for e in envelopes if e.type in self.handlers]

        async def work(tx: Transaction) -> None:
            if handled:
                self.store.mark_processed(tx, self.group, *(e.event_id for e, _ in handled))
            for envelope, handler in handled:
                token = current_trace.set(Trace(envelope.correlation_id, envelope.event_id))
                try:
                    await handler(tx, envelope)
                finally:
                    current_trace.reset(token)

        try:
            await self.store.transact(work)
        except Exception as error:
            log.info("a batch of %d falls back to one at a time: %r", len(records), error)
            return False
        for envelope in envelopes:
            outcome = "processed" if envelope.type in self.handlers else "ignored"
            self.metrics.events_consumed.labels(self.group, envelope.type, outcome).inc()
        return True

    async def process(self, record: Record) -> str:
        """Handle one record; returns the outcome. Raises only on cancellation."""
        try:
            envelope = Envelope.from_bytes(record.value)
        except ValidationError as error:
            await self._dead_letter(record, None, f"malformed envelope: {error}", attempts=1)
            return "dead_lettered"
        handler = self.handlers.get(envelope.type)
        if handler is None:
            self.metrics.events_consumed.labels(self.group, envelope.type, "ignored").inc()
            return "ignored"
        attempts = 0
        backoff = self.settings.consumer_retry_backoff_s
        token = current_trace.set(Trace(envelope.correlation_id, envelope.event_id))
        try:
            while True:
                try:
                    outcome = await self.store.transact(
                        lambda tx: self._apply(tx, envelope, handler)
                    )
                except AlreadyProcessed:
                    outcome = "duplicate"
                    self.metrics.events_consumed.labels(self.group, envelope.type, outcome).inc()
                    return outcome
                except (TimeoutError, ConnectionFailure) as error:
                    log.warning("database unavailable while handling %s: %r", envelope.type, error)
                except Exception as error:  # a handler bug or a bad payload: counted
                    attempts += 1
                    self.metrics.events_failed.labels(self.group, envelope.type).inc()
                    log.warning(
                        "attempt %d at %s %s failed: %r",
                        attempts,
                        envelope.type,
                        envelope.event_id,
                        error,
                    )
                    if attempts >= self.settings.consumer_max_attempts:
                        await self._dead_letter(record, envelope, repr(error), attempts=attempts)
                        return "dead_lettered"
                else:
                    self.metrics.events_consumed.labels(self.group, envelope.type, outcome).inc()
                    return outcome
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.settings.consumer_retry_backoff_max_s)
        finally:
            current_trace.reset(token)

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

    async def _dead_letter(
        self, record: Record, envelope: Envelope | None, error: str, *, attempts: int
    ) -> None:
        event_type = envelope.type if envelope else "unparseable"
        letter = {
            "group": self.group,
            "error": error,
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
                self.store.mark_processed(tx, self.group, envelope.event_id)
            tx.messages.append(message)

        backoff = self.settings.consumer_retry_backoff_s
        while True:
            try:
                await self.store.transact(store_letter)
                break
            except AlreadyProcessed:
                return
            except PyMongoError as db_error:
                log.warning("cannot store dead letter yet: %r", db_error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.settings.consumer_retry_backoff_max_s)
        self.metrics.events_dead_lettered.labels(self.group, event_type).inc()
        log.error(
            "dead-lettered %s at %s[%d]@%d after %d attempts: %s",
            event_type,
            record.topic,
            record.partition,
            record.offset,
            attempts,
            error,
        )


async def _already_processed(tx: Transaction) -> bool:
    """Whether writing the transaction's buffered inbox mark finds the event processed."""
    try:
        await tx.flush()
    except AlreadyProcessed:
        return True
    except Exception:  # the handler's own error is the one to report
        return False
    return False
