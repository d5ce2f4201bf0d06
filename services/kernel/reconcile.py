"""Reconciliation: a loss between a producer's outbox and a consumer group cannot stay silent."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient

from services.kernel.consumer import EventConsumer, Record
from services.kernel.envelope import utcnow
from services.kernel.metrics import Metrics
from services.kernel.settings import Settings
from services.kernel.store import INBOX, OUTBOX, Doc
from services.kernel.topics import topic_producer

log = logging.getLogger(__name__)

CHECKPOINTS = "reconciliation"
PAGE = 500


class Reconciler:
    """Compares, per topic the group reads, what the producer's outbox holds as published with
    what the group's inbox processed, and applies what is missing through the group's own
    consumer (the inbox deduplicates, so an event that arrives meanwhile is not applied twice).

    Only events the group handles are compared, and only those published more than
    `reconcile_grace_s` ago, so one still on its way is not taken for lost. Each run looks from
    the last run's checkpoint (less the grace period, as the producers' clocks may differ) to
    now less the grace period; the first ever looks back over the outbox retention. A run is
    skipped while the group's member here has records left to read.

    The group reads the producers' outboxes, never writes them: in production its database
    user needs read access to the `outbox` collection of each producer it subscribes to.
    """

    def __init__(
        self,
        *,
        consumer: EventConsumer,
        topics: Sequence[str],
        client: AsyncMongoClient[Doc],
        settings: Settings,
        metrics: Metrics,
        caught_up: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.consumer = consumer
        self.group = consumer.group
        self.topics = [t for t in topics if topic_producer(t) is not None]
        self.client = client
        self.settings = settings
        self.metrics = metrics
        self.caught_up = caught_up
        self.handled = sorted(consumer.handlers)

    async def run(self) -> None:
        """Check every interval until cancelled."""
        while True:
            await asyncio.sleep(self.settings.reconcile_interval_s)
            try:
                if self.caught_up is not None and not await self.caught_up():
                    self.metrics.reconciliation_runs.labels(self.group, "skipped").inc()
                    log.info("reconciliation of %s skipped: records still to read", self.group)
                    continue
                await self.check()
                self.metrics.reconciliation_runs.labels(self.group, "ok").inc()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.metrics.reconciliation_runs.labels(self.group, "failed").inc()
                log.warning("reconciliation of %s failed: %r", self.group, error)

    async def check(self) -> int:
        """One run over every topic; the number of missing events found and applied."""
        found = 0
        for topic in self.topics:
            found += await self.check_topic(topic)
        return found

    async def check_topic(self, topic: str) -> int:
        """One run over one topic; the number of missing events found and applied."""
        producer = topic_producer(topic)
        if producer is None or not self.handled:
            return 0
        outbox = self.client[self.settings.database_name(producer)][OUTBOX]
        checkpoints = self.consumer.store.db[CHECKPOINTS]
        grace = timedelta(seconds=self.settings.reconcile_grace_s)
        until = utcnow() - grace
        checkpoint = await checkpoints.find_one({"_id": topic})
        since: datetime = (
            checkpoint["checked_until"] - grace
            if checkpoint
            else until - timedelta(hours=self.settings.outbox_retention_hours)
        )
        missing = 0
        after_seq: int | None = None
        while True:
            rows = await self._published(outbox, since, after_seq, until)
            missing += await self._apply_missing(outbox, topic, rows)
            if len(rows) < PAGE:
                break
            since, after_seq = rows[-1]["published_at"], rows[-1]["seq"]
        await checkpoints.update_one(
            {"_id": topic}, {"$set": {"checked_until": until}}, upsert=True
        )
        return missing

    @staticmethod
    async def _published(
        outbox: Any, since: datetime, after_seq: int | None, until: datetime
    ) -> list[Doc]:
        """The next page of rows published after (since, after_seq) up to `until`, in
        (published_at, seq) order: many rows share one published_at, as marks are batched."""
        projection = {"event_id": 1, "type": 1, "topic": 1, "published_at": 1, "seq": 1}
        order = [("published_at", ASCENDING), ("seq", ASCENDING)]
        rows: list[Doc] = []
        if after_seq is not None:
            same = outbox.find({"published_at": since, "seq": {"$gt": after_seq}}, projection)
            rows = [row async for row in same.sort(order).limit(PAGE)]
        if len(rows) < PAGE:
            later = outbox.find({"published_at": {"$gt": since, "$lte": until}}, projection)
            rows += [row async for row in later.sort(order).limit(PAGE - len(rows))]
        return rows

    async def _apply_missing(self, outbox: Any, topic: str, rows: list[Doc]) -> int:
        wanted = [r for r in rows if r.get("topic") == topic and r.get("type") in self.handled]
        if not wanted:
            return 0
        by_event = {await self._event_id(outbox, row): row for row in wanted}
        inbox_ids = [f"{self.group}:{event_id}" for event_id in by_event]
        seen = self.consumer.store.db[INBOX].find({"_id": {"$in": inbox_ids}}, {"_id": 1})
        processed = {doc["_id"].split(":", 1)[1] async for doc in seen}
        lost = [row for event_id, row in by_event.items() if event_id not in processed]
        applied = 0
        healed: list[str] = []
        for row in lost:
            full = await outbox.find_one({"_id": row["_id"]})
            if full is None:  # purged meanwhile
                continue
            record = Record(topic, -1, -1, full["key"].encode(), full["value"].encode())
            outcome = await self.consumer.process(record)
            if outcome in ("processed", "dead_lettered"):
                applied += 1
                healed.append(f"{row.get('type')} {row.get('event_id')}")
        if applied:
            self.metrics.reconciliation_missing.labels(self.group, topic).inc(applied)
            log.warning(
                "reconciliation: %d events on %s were published but never reached %s; "
                "applied them now: %s",
                applied,
                topic,
                self.group,
                ", ".join(healed[:10]) + (f" and {len(healed) - 10} more" if applied > 10 else ""),
            )
        return applied

    @staticmethod
    async def _event_id(outbox: Any, row: Doc) -> str:
        """The event id of an outbox row (rows written before it was stored: from the value)."""
        if row.get("event_id"):
            return str(row["event_id"])
        full = await outbox.find_one({"_id": row["_id"]}, {"value": 1})
        return str(json.loads(full["value"])["event_id"]) if full else ""
