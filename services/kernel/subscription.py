"""A consumer group's member on aiokafka: fetch, apply, commit only what was done."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from itertools import chain

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from services.kernel.consumer import EventConsumer, Partition, Record
from services.kernel.kafka import kafka_client_options
from services.kernel.metrics import Metrics
from services.kernel.retry import wait_out
from services.kernel.settings import Settings

log = logging.getLogger(__name__)

RESET_GRACE_SECONDS = 30.0
POLL_TIMEOUT_MS = 500
STOP_TIMEOUT_S = 5.0


def _anything(error: BaseException) -> bool:
    return isinstance(error, Exception)


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    """Reports the partitions held, forgets halts of revoked ones, and rewinds partitions
    assigned within the grace period after the broker lost its data."""

    def __init__(self, subscription: Subscription) -> None:
        self.subscription = subscription

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self.subscription.partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        await self.subscription.partitions_assigned(assigned)


class Subscription:
    """Fetches the group's topics and has an EventConsumer apply each batch.

    A partition's offset is committed only past records the consumer applied, found to be
    duplicates, or durably dead-lettered. A partition that halted at a record is sought back to
    it and paused for `consumer_halt_retry_s`, then the record is tried again: it is never
    skipped. Records of the other partitions go on meanwhile.
    """

    def __init__(
        self,
        *,
        group: str,
        topics: Sequence[str],
        consumer: EventConsumer,
        settings: Settings,
        metrics: Metrics,
        fetch_max_wait_ms: int,
        linger_s: float = 0.0,
    ) -> None:
        self.group = group
        self.topics = list(topics)
        self.consumer = consumer
        self.settings = settings
        self.metrics = metrics
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.linger_s = linger_s
        self._kafka: AIOKafkaConsumer | None = None
        self._rewind_until = 0.0
        self._halted: dict[TopicPartition, asyncio.TimerHandle] = {}
        self.joined = asyncio.Event()

    def _client(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            **kafka_client_options(self.settings),
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.fetch_max_wait_ms,
            max_poll_records=self.settings.consumer_batch_size,
        )

    async def run(self) -> None:
        """Consume until cancelled."""
        kafka = self._client()
        kafka.subscribe(self.topics, listener=_Listener(self))
        self._kafka = kafka
        await wait_out(f"kafka consumer {self.group}", kafka.start, retry_on=_anything, max_s=5)
        log.info("consuming %s as group %s", ", ".join(self.topics), self.group)
        active_until = 0.0
        # While idle, one fetch's wait is enough to see whether anything came: waiting longer
        # in getmany would only send more fetches.
        glance_ms = self.fetch_max_wait_ms + 10
        try:
            while True:
                idle = time.monotonic() >= active_until
                records = await self._poll(kafka, glance_ms if idle else POLL_TIMEOUT_MS)
                if records:
                    await self._apply(kafka, records)
                    active_until = time.monotonic() + self.settings.consumer_idle_after_s
                elif time.monotonic() >= active_until:
                    await self._rest(kafka)
        finally:
            self._kafka = None
            for handle in self._halted.values():
                handle.cancel()
            self._halted.clear()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(kafka.stop(), STOP_TIMEOUT_S)

    async def _rest(self, kafka: AIOKafkaConsumer) -> None:
        """Idle: fetch nothing for `consumer_idle_poll_interval_s`, then poll again.

        A broker that answers a fetch as soon as records arrive (Apache Kafka) makes this
        pointless, and it is off there (interval 0). The embedded broker does not: it looks
        for records again and again until the fetch's wait is over, so a consumer keeps it
        busy all the time, and a long wait only delays the records. Resting between polls
        once nothing came for `consumer_idle_after_s` keeps the idle platform quiet; the
        first records after a rest wait for the rest to end.
        """
        interval = self.settings.consumer_idle_poll_interval_s
        if interval <= 0:
            return
        resting = [tp for tp in kafka.assignment() if tp not in self._halted]
        kafka.pause(*resting)
        try:
            await asyncio.sleep(interval)
        finally:
            held = kafka.assignment()
            kafka.resume(*(tp for tp in resting if tp in held and tp not in self._halted))

    async def _poll(
        self, kafka: AIOKafkaConsumer, timeout_ms: int
    ) -> list[ConsumerRecord[bytes, bytes]]:
        """The next records; with a linger, what arrives within it after the first joins them."""
        wanted = self.settings.consumer_batch_size
        try:
            batches = await kafka.getmany(timeout_ms=timeout_ms, max_records=wanted)
            records = list(chain.from_iterable(batches.values()))
            if records and self.linger_s > 0 and len(records) < wanted:
                await asyncio.sleep(self.linger_s)
                more = await kafka.getmany(timeout_ms=0, max_records=wanted - len(records))
                records.extend(chain.from_iterable(more.values()))
        except KafkaError as error:
            log.warning("fetching failed, retrying: %r", error)
            await asyncio.sleep(1.0)
            return []
        return records

    async def _apply(
        self, kafka: AIOKafkaConsumer, fetched: list[ConsumerRecord[bytes, bytes]]
    ) -> None:
        fetched_at = time.time()
        delay = self.metrics.delivery_delay.labels(self.group)
        for record in fetched:
            if record.timestamp and record.timestamp > 0:
                delay.observe(max(fetched_at - record.timestamp / 1000, 0.0))
        records = [Record(r.topic, r.partition, r.offset, r.key, r.value or b"") for r in fetched]
        outcome = await self.consumer.process_batch(records)
        self.metrics.handling_time.labels(self.group).observe(time.time() - fetched_at)
        await self._commit(kafka, outcome.next_offsets)
        for partition, offset in outcome.halted.items():
            self._halt(kafka, partition, offset)

    async def _commit(self, kafka: AIOKafkaConsumer, offsets: dict[Partition, int]) -> None:
        assigned = kafka.assignment()
        wanted = {TopicPartition(t, p): o for (t, p), o in offsets.items()}
        held = {tp: offset for tp, offset in wanted.items() if tp in assigned}
        if not held:
            return
        try:
            await kafka.commit(held)
        except Exception as error:  # redelivery is harmless; the inbox deduplicates
            log.warning("offset commit failed: %r", error)

    def _halt(self, kafka: AIOKafkaConsumer, partition: Partition, offset: int) -> None:
        tp = TopicPartition(*partition)
        if tp not in kafka.assignment():
            return
        kafka.seek(tp, offset)
        kafka.pause(tp)
        retry_s = self.settings.consumer_halt_retry_s
        log.error(
            "%s stopped %s[%d] at offset %d; trying it again in %.0f s",
            self.group,
            tp.topic,
            tp.partition,
            offset,
            retry_s,
        )
        previous = self._halted.pop(tp, None)
        if previous is not None:
            previous.cancel()
        self._halted[tp] = asyncio.get_running_loop().call_later(retry_s, self._resume, tp)
        self._report_halted()

    def _resume(self, tp: TopicPartition) -> None:
        self._halted.pop(tp, None)
        if self._kafka is not None and tp in self._kafka.assignment():
            self._kafka.resume(tp)
        self._report_halted()

    def _report_halted(self) -> None:
        self.metrics.consumer_halted_partitions.labels(self.group).set(len(self._halted))

    def partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        """A rebalance took partitions away: their halts end with them."""
        self.metrics.consumer_assigned_partitions.labels(self.group).set(0)
        for tp in revoked:
            handle = self._halted.pop(tp, None)
            if handle is not None:
                handle.cancel()
        self._report_halted()

    async def partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        """Partitions were assigned: report them, and rewind them within the grace period."""
        self.metrics.consumer_assigned_partitions.labels(self.group).set(len(assigned))
        if assigned:
            self.joined.set()
        rewinding = asyncio.get_running_loop().time() < self._rewind_until
        if assigned and rewinding and self._kafka is not None:
            await self._kafka.seek_to_beginning(*assigned)

    async def caught_up(self) -> bool:
        """Whether this member holds partitions, none of them halted, and has read each to the
        end the broker last reported."""
        kafka = self._kafka
        if kafka is None or not kafka.assignment() or self._halted:
            return False
        for tp in kafka.assignment():
            end = kafka.highwater(tp)
            if end is None or await kafka.position(tp) < end:
                return False
        return True

    async def rewind(self) -> None:
        """Re-read every assigned partition, and any assigned in the next grace period: the
        broker lost its data, so the committed offsets point past what is there now."""
        self._rewind_until = asyncio.get_running_loop().time() + RESET_GRACE_SECONDS
        kafka = self._kafka
        if kafka is not None and kafka.assignment():
            await kafka.seek_to_beginning()
