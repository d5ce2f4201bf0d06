"""A consumer group never moves past what it has not done: against the real broker and database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from aiokafka import TopicPartition
from pymongo import AsyncMongoClient

from services.kernel.consumer import EventConsumer, Record
from services.kernel.envelope import Envelope, EventPayload, new_id
from services.kernel.metrics import Metrics
from services.kernel.relay import PARTITIONER
from services.kernel.settings import Settings
from services.kernel.store import ATTEMPTS, OUTBOX, MongoStore, Transaction
from services.kernel.subscription import Subscription
from services.kernel.topics import dead_letter_topic, ensure_topics
from services.platform.infra import Platform
from tests.support import eventually, metric_value, produce

EFFECTS = "effects"


class Numbered(EventPayload):
    """A numbered event about one aggregate."""

    event_type: ClassVar[str] = "Numbered"

    aggregate: str
    number: int

    def subject(self) -> str:
        return self.aggregate


def numbered(aggregate: str, number: int) -> Envelope:
    return Envelope.wrap(
        Numbered(aggregate=aggregate, number=number),
        source="test",
        correlation_id=new_id(),
        causation_id=None,
    )


@dataclass
class Group:
    """A throwaway consumer group with its own database and topic on the test platform."""

    platform: Platform
    client: AsyncMongoClient[dict[str, Any]]
    store: MongoStore
    settings: Settings
    topic: str
    name: str
    poison: set[int] = field(default_factory=set)
    metrics: Metrics = field(init=False)

    def __post_init__(self) -> None:
        self.metrics = Metrics(self.name)

    async def handler(self, tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(Numbered)
        if event.number in self.poison:
            raise ValueError(f"cannot apply number {event.number}")
        tx.insert(EFFECTS, {"_id": f"{event.aggregate}:{event.number}"})

    def consumer(self) -> EventConsumer:
        return EventConsumer(
            group=self.name,
            store=self.store,
            handlers={"Numbered": self.handler},
            settings=self.settings,
            metrics=self.metrics,
        )

    def subscription(self, consumer: EventConsumer | None = None) -> Subscription:
        return Subscription(
            group=self.name,
            topics=[self.topic],
            consumer=consumer or self.consumer(),
            settings=self.settings,
            metrics=self.metrics,
            fetch_max_wait_ms=20,
        )

    async def send(self, aggregate: str, *numbers: int) -> list[Envelope]:
        events = [numbered(aggregate, n) for n in numbers]
        await produce(self.platform, self.topic, aggregate, *(e.to_bytes() for e in events))
        return events

    async def effects(self) -> set[str]:
        return {doc["_id"] async for doc in self.store.db[EFFECTS].find({})}

    def counter(self, name: str, **labels: str) -> float:
        from prometheus_client import generate_latest

        return metric_value(generate_latest(self.metrics.registry).decode(), name, **labels)


@pytest.fixture
async def group(platform: Platform) -> AsyncIterator[Group]:
    name = f"consumertest{new_id()[:8]}"
    settings = platform.settings.model_copy(
        update={
            "consumer_max_attempts": 2,
            "consumer_halt_retry_s": 0.5,
            "consumer_retry_backoff_s": 0.01,
            "consumer_retry_backoff_max_s": 0.05,
        }
    )
    topic = f"vias.{name}.events.v1"
    await ensure_topics(settings, [topic])
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(platform.mongo_uri, tz_aware=True)
    store = MongoStore(client, settings.database_name(name), name)
    scratch = Group(platform, client, store, settings, topic, name)
    try:
        yield scratch
    finally:
        await client.drop_database(store.db.name)
        await client.close()


async def stop(task: asyncio.Task[Any]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def until(probe: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    await eventually(probe, timeout=timeout)


async def test_a_partition_stops_at_a_record_it_cannot_dead_letter_and_goes_on_once_it_can(
    group: Group,
) -> None:
    # The dead letter goes through the outbox: a validator that refuses dead-letter rows makes
    # storing it fail for a reason that is not transient.
    await group.store.db.create_collection(OUTBOX, validator={"topic": {"$not": {"$regex": "dlq"}}})
    await group.store.ensure_indexes()
    group.poison = {1}
    events = await group.send("k", 0, 1, 2, 3)
    subscription = group.subscription()
    task = asyncio.ensure_future(subscription.run())
    try:

        async def halted() -> bool:
            return group.counter("vias_consumer_partitions_halted_total") >= 1

        await until(halted)
        await asyncio.sleep(1.0)  # it retries after 0.5 s, and halts again
        assert await group.effects() == {"k:0"}
        assert group.counter("vias_consumer_partitions_halted_total") >= 2
        kafka = subscription._kafka
        assert kafka is not None
        partitions = sorted(tp.partition for tp in kafka.assignment())
        tp = TopicPartition(group.topic, PARTITIONER(b"k", partitions, partitions))
        committed = await kafka.committed(tp)
        assert committed == 1, "the offset moved past the record it could not dead-letter"

        await group.store.db.command("collMod", OUTBOX, validator={})

        async def all_done() -> bool:
            return await group.effects() == {"k:0", "k:2", "k:3"}

        await until(all_done)
        await until(lambda: _committed_is(kafka, tp, 4))
    finally:
        await stop(task)
    letters = await group.store.db[OUTBOX].find({"topic": dead_letter_topic(group.name)}).to_list()
    assert [json.loads(row["value"])["event_id"] for row in letters] == [events[1].event_id]
    assert json.loads(letters[0]["value"])["attempts"] >= 2  # tried again after each halt
    assert await group.store.db[ATTEMPTS].count_documents({}) == 0
    assert group.counter("vias_consumer_halted_partitions") == 0


async def _committed_is(kafka: Any, tp: TopicPartition, offset: int) -> bool:
    return bool(await kafka.committed(tp) == offset)


async def test_failed_attempts_are_counted_across_restarts(group: Group) -> None:
    group.poison = {7}
    (event,) = await group.send("r", 7)
    record = Record(group.topic, 0, 0, b"r", event.to_bytes())
    settings = group.settings.model_copy(
        update={
            "consumer_max_attempts": 3,
            "consumer_retry_backoff_s": 1.0,
            "consumer_retry_backoff_max_s": 2.0,
        }
    )

    def fresh() -> EventConsumer:  # a new process: nothing kept in memory
        consumer = group.consumer()
        consumer.settings = settings
        return consumer

    # The first process fails twice and dies; it is cancelled while backing off.
    first = asyncio.ensure_future(fresh().process(record))

    async def two_attempts() -> bool:
        doc = await group.store.db[ATTEMPTS].find_one({})
        return bool(doc and doc["attempts"] >= 2)

    await until(two_attempts)
    await stop(first)
    attempts = await group.store.db[ATTEMPTS].find_one({})
    assert attempts is not None and attempts["attempts"] == 2
    assert "cannot apply number 7" in attempts["last_error"]

    # The next process needs only the third attempt to give up.
    assert await fresh().process(record) == "dead_lettered"
    letter = await group.store.db[OUTBOX].find_one({"topic": dead_letter_topic(group.name)})
    assert letter is not None and json.loads(letter["value"])["attempts"] == 3


async def test_a_write_conflict_is_waited_out_and_never_counted_as_an_attempt(
    group: Group,
) -> None:
    # A killed process's open transaction holds the keys it wrote; here another session holds
    # the effect's key until it aborts.
    (event,) = await group.send("w", 5)
    record = Record(group.topic, 0, 0, b"w", event.to_bytes())
    holder = group.client.start_session()
    await holder.start_transaction()
    await group.store.db[EFFECTS].insert_one({"_id": "w:5", "by": "holder"}, session=holder)
    consumer = group.consumer()
    applying = asyncio.ensure_future(consumer.process(record))
    try:

        async def waited() -> bool:
            return group.counter("vias_events_waited_total") >= 3

        await until(waited)
        assert not applying.done()
        await holder.abort_transaction()
        assert await asyncio.wait_for(applying, 30) == "processed"
    finally:
        await stop(applying)
        await holder.end_session()
    assert await group.effects() == {"w:5"}
    assert group.counter("vias_events_failed_total") == 0
    assert await group.store.db[ATTEMPTS].count_documents({}) == 0
