"""Consumer lag in records, right on Apache Kafka and on the embedded broker alike.

The embedded broker reports a partition's end offset as its last batch's base offset + 1, so
end minus committed under-reports by the rest of that batch. The end is therefore read, not
trusted: fetching from the reported end - 1 returns the last batch, and one past its last
record is the true end (on Apache Kafka that is the reported end itself)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.kernel.kafka import kafka_client_options
from services.kernel.metrics import Metrics
from services.kernel.settings import Settings

log = logging.getLogger(__name__)
READ_TIMEOUT_S = 3.0


async def true_ends(
    consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]
) -> dict[TopicPartition, int]:
    """Each partition's end offset, read to the end of its last batch."""
    consumer.assign(list(partitions))
    reported: dict[TopicPartition, int] = await consumer.end_offsets(list(partitions))
    ends = dict(reported)
    pending = {tp for tp, end in reported.items() if end > 0}
    for tp in pending:
        consumer.seek(tp, reported[tp] - 1)
    deadline = asyncio.get_running_loop().time() + READ_TIMEOUT_S
    while pending and asyncio.get_running_loop().time() < deadline:
        fetched = await consumer.getmany(*pending, timeout_ms=200)
        for tp, records in fetched.items():
            if records:
                ends[tp] = max(ends[tp], records[-1].offset + 1)
                pending.discard(tp)
    return ends


async def group_lag(settings: Settings, group: str, topics: Sequence[str]) -> dict[str, int]:
    """Records per topic the group has not committed yet."""
    admin = AIOKafkaAdminClient(**kafka_client_options(settings))
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **kafka_client_options(settings))
    await admin.start()
    try:
        await consumer.start()
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return {}
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
        starts = await consumer.beginning_offsets(partitions)
        ends = await true_ends(consumer, partitions)
        lag = dict.fromkeys(topics, 0)
        for tp in partitions:
            done = committed.get(tp)
            position = done.offset if done is not None and done.offset >= 0 else starts[tp]
            lag[tp.topic] += max(ends[tp] - position, 0)
        return lag
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()
        await admin.close()


async def watch_lag(
    settings: Settings, group: str, topics: Sequence[str], metrics: Metrics
) -> None:
    """Update vias_consumer_lag every consumer_lag_interval_s."""
    while True:
        try:
            for topic, records in (await group_lag(settings, group, topics)).items():
                metrics.consumer_lag.labels(group, topic).set(records)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.debug("consumer lag not measured: %r", error)
        await asyncio.sleep(settings.consumer_lag_interval_s)
