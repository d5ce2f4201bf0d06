"""Publishes outbox rows to Kafka, and refills the broker when it has lost its data."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from pymongo import ASCENDING, ReturnDocument, UpdateOne
from pymongo.errors import PyMongoError

from services.kernel.envelope import CONTENT_TYPE, utcnow
from services.kernel.metrics import Metrics
from services.kernel.producer import discard_producer, on_connection_lost
from services.kernel.retry import is_duplicate_key
from services.kernel.sentinel import BrokerSentinel
from services.kernel.settings import Settings
from services.kernel.store import COMMITTED_AT, OUTBOX, Doc, MongoStore

log = logging.getLogger(__name__)

LEASES = "relay_lease"
LEASE_SECONDS = 10.0
SEND_TIMEOUT_S = 30.0
STEP_TIMEOUT_S = 120.0
BACKLOG_COUNT_LIMIT = 100_000
MARK_BATCH = 100
BACKLOG_METRICS_INTERVAL_S = 5.0
PARTITIONER = DefaultPartitioner()


def _headers(row: Doc) -> list[tuple[str, bytes]]:
    """A row's record headers: the CloudEvents attributes stored with an event (rows written
    before they were, and dead letters, carry the event type only)."""
    stored = row.get("headers") or [("event_type", row["type"]), ("content-type", CONTENT_TYPE)]
    return [(str(name), str(value).encode()) for name, value in stored]


async def _lanes(
    producer: AIOKafkaProducer, rows: list[Doc]
) -> tuple[dict[tuple[str, int], list[Doc]], list[Doc]]:
    """Rows by (topic, partition) in their order, as the default partitioner places their keys
    (as every Kafka client would); and the rows of topics whose partitions are unknown."""
    lanes: dict[tuple[str, int], list[Doc]] = {}
    unroutable: list[Doc] = []
    partitions_of: dict[str, list[int] | None] = {}
    for row in rows:
        topic = row["topic"]
        if topic not in partitions_of:
            try:
                partitions_of[topic] = sorted(await producer.partitions_for(topic))
            except Exception as error:
                log.warning("no partitions known for %s: %r", topic, error)
                partitions_of[topic] = None
        partitions = partitions_of[topic]
        if not partitions:
            unroutable.append(row)
            continue
        partition = int(PARTITIONER(row["key"].encode(), partitions, partitions))
        lanes.setdefault((topic, partition), []).append(row)
    return lanes, unroutable


class OutboxRelay:
    """Moves committed events from the outbox to their topic, in commit order per aggregate.

    One relay per service publishes at a time (a lease in the service's database). A row is
    marked published only after the broker acknowledged it (acks=all); a failed send is retried
    with backoff. Published rows are kept for the retention period so that, if the broker comes
    back empty, every retained event is published again and consumers deduplicate.
    """

    def __init__(
        self,
        *,
        store: MongoStore,
        producer_factory: Callable[[], AIOKafkaProducer],
        settings: Settings,
        metrics: Metrics,
        sentinel: BrokerSentinel,
    ) -> None:
        self.store = store
        self.producer_factory = producer_factory
        self._producer: AIOKafkaProducer | None = None
        self.settings = settings
        self.metrics = metrics
        self.sentinel = sentinel
        self.owner = f"{socket.gethostname()}:{id(self)}"
        self.retention = timedelta(hours=settings.outbox_retention_hours)
        self._backoff = settings.relay_retry_backoff_s
        self._lease_trusted_until = 0.0
        # True while every row this relay knows of is published: then the rows a commit of
        # this process hands over can be sent straight away without losing per-key order.
        self._caught_up = False
        self._swept_ids: set[str] = set()
        self._swept_at = 0.0
        # How long to wait for a commit before sweeping: the poll interval while there is
        # work, doubling up to the idle interval while sweeps find nothing.
        self._sweep_interval = settings.relay_poll_interval_s
        # Topics that exist on the broker as far as this relay knows: its own, and every topic
        # it created before sending to it.
        self._known_topics: set[str] = set(sentinel.owned_topics)
        # Set when a connection of the current producer broke: it is discarded, never reused.
        self._connection_lost = asyncio.Event()
        # Acknowledged by the broker, not yet marked published: marked together before the
        # next sweep, so the update is off the path of the events that follow. A crash in
        # between only publishes them again, which consumers deduplicate.
        self._unmarked: list[str] = []
        store.keep_committed_rows()

    @property
    def _outbox(self) -> Any:
        return self.store.db[OUTBOX]

    async def run(self) -> None:
        """Publish until cancelled."""
        last_purge = last_metrics = 0.0
        loop = asyncio.get_running_loop()
        signalled = False
        while True:
            try:
                async with asyncio.timeout(STEP_TIMEOUT_S):
                    if not await self._hold_lease():
                        self.store.take_committed_rows()  # the holder's sweep finds them
                        self._caught_up = False
                        await asyncio.sleep(LEASE_SECONDS / 3)
                        continue
                    if await self.sentinel.broker_lost_data():
                        await self.requeue_retained()
                    published, full = await self._publish_next(signalled)
                if loop.time() - last_metrics > BACKLOG_METRICS_INTERVAL_S:
                    await self._update_backlog_metrics()
                    last_metrics = loop.time()
                if loop.time() - last_purge > 60:
                    await self.purge_published()
                    last_purge = loop.time()
                if full:
                    continue
                if published is None:
                    await asyncio.sleep(self._backoff)
                    self._backoff = min(self._backoff * 2, self.settings.relay_retry_backoff_max_s)
                    continue
                self._backoff = self.settings.relay_retry_backoff_s
                signalled = await self._wait_for_work()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("relay iteration failed; reconnecting and retrying")
                self._caught_up = signalled = False
                await self.close()
                await asyncio.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, self.settings.relay_retry_backoff_max_s)

    async def _wait_for_work(self) -> bool:
        """Wait for a commit of this process, the next sweep or the next broker check; whether
        a commit came."""
        signal = self.store.committed_signal
        timeout = min(self._sweep_interval, max(self.sentinel.seconds_to_next_check(), 0.05))
        try:
            await asyncio.wait_for(signal.wait(), timeout)
        except TimeoutError:
            return False
        finally:
            signal.clear()
        return True

    async def _publish_next(self, signalled: bool) -> tuple[int | None, bool]:
        """Send what this process just committed, and sweep the outbox in commit order when due.

        The fast path is taken only when woken by a commit while caught up, and it goes first:
        a due sweep (marking what was sent, reading the outbox) follows it instead of delaying
        it. At least every poll interval, however busy, and after any failure, the outbox itself
        is swept, which also finds rows other instances of the service committed.
        """
        fresh = [r for r in self.store.take_committed_rows() if r["_id"] not in self._swept_ids]
        loop = asyncio.get_running_loop()
        sent = 0
        if signalled and self._caught_up:
            if fresh:
                published = await self._publish(sorted(fresh, key=lambda r: r["seq"]))
                self._caught_up = published is not None
                if published is None:
                    return None, False
                sent = published
            if loop.time() - self._swept_at < self.settings.relay_poll_interval_s:
                return sent, False
        self._swept_at = loop.time()
        published, full = await self.publish_batch()
        self._caught_up = published is not None and not full
        if sent or published or full:
            self._sweep_interval = self.settings.relay_poll_interval_s
        else:  # nothing anywhere: sweep less often, up to the idle interval
            idle = max(
                self.settings.relay_idle_poll_interval_s, self.settings.relay_poll_interval_s
            )
            self._sweep_interval = min(self._sweep_interval * 2, idle)
        return (None if published is None else sent + published), full

    async def _hold_lease(self) -> bool:
        """Whether this relay may publish; the lease is renewed once half of it has run out."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._lease_trusted_until:
            return True
        renewed_at = loop.time()
        now = utcnow()
        try:
            doc = await self.store.db[LEASES].find_one_and_update(
                {"_id": "relay", "$or": [{"owner": self.owner}, {"expires_at": {"$lt": now}}]},
                {
                    "$set": {
                        "owner": self.owner,
                        "expires_at": now + timedelta(seconds=LEASE_SECONDS),
                    }
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except PyMongoError as error:
            if is_duplicate_key(error):  # another relay's lease is live: our upsert collided
                return False
            raise
        held = doc is not None and doc.get("owner") == self.owner
        self._lease_trusted_until = renewed_at + LEASE_SECONDS / 2 if held else 0.0
        return held

    async def publish_batch(self) -> tuple[int | None, bool]:
        """Publish the oldest pending rows; (count published or None on failure, batch full)."""
        limit = self.settings.relay_batch_size
        await self._flush_marks()
        rows = [
            row
            async for row in self._outbox.find({"published_at": None})
            .sort("seq", ASCENDING)
            .limit(limit)
        ]
        # Rows committed during this read may reach the fast path as well: skip them there.
        self._swept_ids = {row["_id"] for row in rows}
        if not rows:
            return 0, False
        published = await self._publish(rows)
        return published, published is not None and len(rows) == limit

    async def _publish(self, rows: list[Doc]) -> int | None:
        """Send rows, each partition's in order; mark the acknowledged ones published.

        Each partition's rows go as record batches one after another, the next only once the
        broker acknowledged the one before, and a partition stops at its first failure: a retry
        can never overtake, so the events of one key arrive in commit order whatever fails.
        Partitions go in parallel. Returns None when any row failed.
        """
        await self._ensure_topics(rows)
        producer = await self._connected_producer()
        lanes, unroutable = await _lanes(producer, rows)
        results = await asyncio.gather(
            *(self._send_lane(producer, topic, p, lane) for (topic, p), lane in lanes.items())
        )
        done = [row for sent, _ in results for row in sent]
        failed = unroutable + [row for _, unsent in results for row in unsent]
        if done:
            now = utcnow()
            self._unmarked.extend(row["_id"] for row in done)
            for row in done:
                self.metrics.events_published.labels(type=row["type"]).inc()
                since: datetime = row.get(COMMITTED_AT) or row["created_at"]
                self.metrics.relay_delay.observe(max((now - since).total_seconds(), 0))
            if len(self._unmarked) >= MARK_BATCH:
                await self._flush_marks()
        if failed:
            log.warning("publishing failed for %d of %d events", len(failed), len(rows))
            self.sentinel.check_soon()  # the broker may have come back empty
            await self.close()
            self.metrics.events_publish_failed.inc(len(failed))
            await self._outbox.bulk_write(
                [UpdateOne({"_id": row["_id"]}, {"$inc": {"attempts": 1}}) for row in failed],
                ordered=False,
            )
            return None
        return len(done)

    async def _ensure_topics(self, rows: list[Doc]) -> None:
        """Create a topic explicitly before the first event for it (e.g. a supplier's feed):
        a broker that creates it on the first produce request may do so while the batch is
        being written, and the embedded broker then loses acknowledged records."""
        new = sorted({row["topic"] for row in rows} - self._known_topics)
        if new:
            await self.sentinel.ensure(new)
            self._known_topics.update(new)

    async def _send_lane(
        self, producer: AIOKafkaProducer, topic: str, partition: int, rows: list[Doc]
    ) -> tuple[list[Doc], list[Doc]]:
        """Send one partition's rows in order, batch after acknowledged batch; (sent, unsent)."""
        limit = self.settings.kafka_max_message_bytes
        sent = 0
        while sent < len(rows):
            batch = producer.create_batch()
            count = 0
            for row in rows[sent:]:
                headers = _headers(row)
                key, value = row["key"].encode(), row["value"].encode()
                if len(key) + len(value) > limit:  # the next round fails at it
                    break
                if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                    break
                count += 1
            try:
                if count == 0:
                    raise ValueError(f"an event larger than the broker takes ({limit} bytes)")
                delivered = await producer.send_batch(batch, topic, partition=partition)
                await self._acknowledged(delivered)
            except Exception as error:
                log.warning("the broker did not take %s[%d]: %r", topic, partition, error)
                return rows[:sent], rows[sent:]
            sent += count
        return rows, []

    async def _acknowledged(self, delivered: asyncio.Future[Any]) -> None:
        """Wait for the broker's acknowledgement; fail if the producer's connection breaks
        first (the producer must not deliver the batch later) or it takes too long."""
        lost: asyncio.Future[Any] = asyncio.ensure_future(self._connection_lost.wait())
        try:
            done, _ = await asyncio.wait(
                {delivered, lost}, timeout=SEND_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            lost.cancel()
        if delivered in done:
            delivered.result()
            return
        raise ConnectionError("the producer lost its connection" if done else "no acknowledgement")

    async def _flush_marks(self) -> None:
        """Mark the acknowledged rows published."""
        if not self._unmarked:
            return
        ids, self._unmarked = self._unmarked, []
        now = utcnow()
        try:
            # One transaction, so the server commits (and syncs) once for the whole batch.
            async with (
                self.store.client.start_session() as session,
                await session.start_transaction(),
            ):
                await self._outbox.update_many(
                    {"_id": {"$in": ids}}, {"$set": {"published_at": now}}, session=session
                )
        except BaseException:
            self._unmarked = ids + self._unmarked
            raise

    async def _connected_producer(self) -> AIOKafkaProducer:
        if self._producer is not None and self._connection_lost.is_set():
            log.warning("the producer lost its connection to the broker: discarding it")
            await self.close()
        if self._producer is None:
            producer = self.producer_factory()
            self._connection_lost = asyncio.Event()
            on_connection_lost(producer, self._lost_connection)
            self._producer = producer
            try:
                await producer.start()
            except BaseException:
                self._producer = None
                await discard_producer(producer)
                raise
        return self._producer

    def _lost_connection(self) -> None:
        self._connection_lost.set()
        self.sentinel.check_soon()  # the broker may come back empty

    async def close(self) -> None:
        """Discard the producer and the sentinel's connection; the next batch reconnects.

        A fresh client is the reliable way out of any state a broker restart left it in, and
        the old one is discarded, not stopped: stopping would wait to deliver its queued
        batches, and a producer that delivers them after the broker came back writes beside
        the new one (the embedded broker then loses records it acknowledged to the new one).
        """
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._flush_marks(), 5)
        producer, self._producer = self._producer, None
        if producer is not None:
            await discard_producer(producer)
        await self.sentinel.close()

    async def requeue_retained(self) -> int:
        """Mark every retained published event pending again, after the broker lost its data."""
        self._unmarked.clear()
        result = await self._outbox.update_many(
            {"published_at": {"$ne": None}}, {"$set": {"published_at": None}}
        )
        log.log(
            logging.WARNING if result.modified_count else logging.INFO,
            "the broker is new or lost its data: republishing %d retained events",
            result.modified_count,
        )
        self.metrics.events_republished.inc(result.modified_count)
        self._caught_up = False
        self._known_topics = set(self.sentinel.owned_topics)  # recreated by the sentinel
        return int(result.modified_count)

    async def purge_published(self) -> int:
        """Delete published events older than the retention period."""
        cutoff = utcnow() - self.retention
        # `$lt` on a date never matches null; adding `$ne: None` makes SecantusDB scan.
        result = await self._outbox.delete_many({"published_at": {"$lt": cutoff}})
        return int(result.deleted_count)

    async def _update_backlog_metrics(self) -> None:
        if self._caught_up:  # the last sweep left nothing pending
            self.metrics.outbox_backlog.set(0)
            self.metrics.outbox_oldest_age.set(0.0)
            return
        # A bounded read of the (published_at, seq) index: count_documents is an aggregation,
        # which SecantusDB answers with a collection scan.
        pending = len(
            await self._outbox.find({"published_at": None}, {"_id": 1})
            .limit(BACKLOG_COUNT_LIMIT)
            .to_list()
        )
        self.metrics.outbox_backlog.set(max(pending - len(self._unmarked), 0))
        oldest = await self._outbox.find_one(
            {"published_at": None}, sort=[("seq", ASCENDING)], projection={"created_at": 1}
        )
        age = (utcnow() - oldest["created_at"]).total_seconds() if oldest else 0.0
        self.metrics.outbox_oldest_age.set(max(age, 0.0))
