"""Consumer lag counts every record, also where the broker under-reports a partition's end."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from services.kernel.envelope import new_id
from services.kernel.kafka import kafka_client_options
from services.kernel.lag import group_lag
from services.kernel.topics import ensure_topics
from services.platform.infra import Platform


async def test_lag_counts_the_records_of_the_last_batch_too(platform: Platform) -> None:
    settings = platform.settings.model_copy(update={"kafka_topic_partitions": 1})
    topic, group = f"vias.test.lag.{new_id()}", f"vias.test.lag.{new_id()}"
    await ensure_topics(settings, [topic])
    producer = AIOKafkaProducer(**kafka_client_options(settings))
    await producer.start()
    try:
        for batch_number in range(3):  # three batches of four records each
            batch = producer.create_batch()
            for n in range(4):
                batch.append(key=None, value=f"{batch_number}.{n}".encode(), timestamp=None)
            await producer.send_batch(batch, topic, partition=0)
    finally:
        await producer.stop()

    assert await group_lag(settings, group, [topic]) == {topic: 12}

    consumer = AIOKafkaConsumer(
        group_id=group, enable_auto_commit=False, **kafka_client_options(settings)
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.commit({tp: OffsetAndMetadata(5, "")})
    finally:
        await consumer.stop()
    assert await group_lag(settings, group, [topic]) == {topic: 7}
