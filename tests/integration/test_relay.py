"""The outbox relay against the real broker and database: order per key, nothing twice."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, ClassVar

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from services.kernel.envelope import EventPayload, new_id
from services.kernel.kafka import producer_options
from services.kernel.metrics import Metrics
from services.kernel.relay import PARTITIONER, OutboxRelay
from services.kernel.sentinel import BrokerSentinel
from services.kernel.store import OUTBOX, MongoStore, OutboxMessage, Transaction
from services.kernel.topics import describe_topics, events_topic
from services.platform.infra import Platform
from tests.support import eventually, read_topic


class Counted(EventPayload):
    """A numbered event about one aggregate."""

    event_type: ClassVar[str] = "Counted"

    aggregate: str
    number: int

    def subject(self) -> str:
        return self.aggregate


@dataclass
class Scratch:
    """A throwaway service database, its store and a relay for it, on the test platform."""

    client: AsyncMongoClient[dict[str, Any]]
    store: MongoStore
    relay: OutboxRelay

    @classmethod
    async def open(cls, platform: Platform, **overrides: Any) -> Scratch:
        source = f"relaytest{new_id()[:8]}"
        settings = platform.settings.model_copy(update=overrides)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            platform.mongo_uri, tz_aware=True
        )
        store = MongoStore(client, settings.database_name(source), source)
        await store.ensure_indexes()
        relay = OutboxRelay(
            store=store,
            producer_factory=lambda: AIOKafkaProducer(**producer_options(settings)),
            settings=settings,
            metrics=Metrics(source),
            sentinel=BrokerSentinel(settings, f"relay.{source}", [events_topic(source)]),
        )
        return cls(client, store, relay)

    def replica(self) -> MongoStore:
        """Another process's store on the same database (it runs no relay here)."""
        return MongoStore(self.client, self.store.db.name, self.store.source)

    async def close(self) -> None:
        await self.relay.close()
        await self.client.drop_database(self.store.db.name)
        await self.client.close()


async def emit(store: MongoStore, aggregate: str, number: int) -> None:
    """One transaction emitting one numbered event."""

    async def work(tx: Transaction) -> None:
        tx.emit(Counted(aggregate=aggregate, number=number))

    await store.transact(work)


class Padded(EventPayload):
    """A numbered event with padding, to make it large."""

    event_type: ClassVar[str] = "Padded"

    aggregate: str
    number: int
    pad: str

    def subject(self) -> str:
        return self.aggregate


async def emit_many(store: MongoStore, numbered: list[tuple[str, int]]) -> None:
    """One transaction emitting many numbered events."""

    async def work(tx: Transaction) -> None:
        for aggregate, number in numbered:
            tx.emit(Counted(aggregate=aggregate, number=number))

    await store.transact(work)


async def test_events_of_one_aggregate_are_published_once_each_in_commit_order(
    platform: Platform,
) -> None:
    scratch = await Scratch.open(platform)
    store, relay = scratch.store, scratch.relay
    # Some events are already pending when the relay starts: it must sweep them first.
    aggregates = [f"agg-{i}" for i in range(4)]

    for number in range(10):
        await emit(store, aggregates[0], number)
    running = asyncio.create_task(relay.run())
    try:

        async def writer(aggregate: str, start: int) -> None:
            for number in range(start, start + 40):
                await emit(store, aggregate, number)

        await asyncio.gather(writer(aggregates[0], 10), *(writer(a, 0) for a in aggregates[1:]))
        await eventually(lambda: _all_published(store), timeout=30)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await relay.close()

    records = await read_topic(platform, events_topic(store.source), timeout=10)
    seen: dict[str, list[int]] = defaultdict(list)
    for record in records:
        payload = json.loads(record.value)["payload"]
        assert record.key.decode() == payload["aggregate"]
        seen[payload["aggregate"]].append(payload["number"])
    assert seen[aggregates[0]] == list(range(50))
    for aggregate in aggregates[1:]:
        assert seen[aggregate] == list(range(40))
    await scratch.close()


async def test_rows_another_instance_commits_are_published_while_the_relay_is_busy(
    platform: Platform,
) -> None:
    scratch = await Scratch.open(platform)
    holder, relay = scratch.store, scratch.relay
    other = scratch.replica()

    running = asyncio.create_task(relay.run())
    busy = True

    async def keep_the_holder_busy() -> None:
        number = 0
        while busy:  # a commit of its own wakes the relay well within every poll interval
            await emit(holder, "holder", number)
            number += 1
            await asyncio.sleep(0.02)

    busy_task = asyncio.create_task(keep_the_holder_busy())
    try:
        for number in range(20):
            await emit(other, "other", number)

        async def others_published() -> bool:
            pending = {"key": "other", "published_at": None}
            done = {"key": "other", "published_at": {"$ne": None}}
            outbox = other.db[OUTBOX]
            return (
                await outbox.count_documents(pending) == 0
                and await outbox.count_documents(done) == 20
            )

        await eventually(others_published, timeout=30)
    finally:
        busy = False
        await asyncio.gather(busy_task, return_exceptions=True)
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    await scratch.close()


async def test_a_commit_is_sent_before_a_due_sweep_runs(platform: Platform) -> None:
    # Woken by a commit while caught up, with a sweep due: the sweep (marking what was sent,
    # reading the outbox) must follow the commit's send, not delay it.
    scratch = await Scratch.open(platform)
    store, relay = scratch.store, scratch.relay
    steps: list[tuple[str, list[str]]] = []
    sweep, publish = relay.publish_batch, relay._publish

    async def recorded_sweep() -> tuple[int | None, bool]:
        steps.append(("sweep", []))
        return await sweep()

    async def recorded_publish(rows: list[dict[str, Any]]) -> int | None:
        steps.append(("send", [row["_id"] for row in rows]))
        return await publish(rows)

    try:
        assert await relay._publish_next(signalled=False) == (0, False)  # caught up
        await emit(store, "later", 0)
        relay._swept_at = float("-inf")  # a sweep is due
        relay.publish_batch = recorded_sweep  # type: ignore[method-assign]
        relay._publish = recorded_publish  # type: ignore[method-assign]
        assert await relay._publish_next(signalled=True) == (1, False)
    finally:
        await relay.close()
    row = await store.db[OUTBOX].find_one({"key": "later"})
    assert row is not None and row["published_at"] is not None
    assert steps == [("send", [row["_id"]]), ("sweep", [])]
    await scratch.close()


async def _all_published(store: MongoStore, expected: int | None = 170) -> bool:
    pending = await store.db[OUTBOX].count_documents({"published_at": None})
    total = await store.db[OUTBOX].count_documents({})
    return (expected is None or total == expected) and pending == 0


async def test_a_broker_lost_while_batches_are_queued_loses_no_acknowledged_event(
    platform: Platform,
) -> None:
    # The relay's producer holds queued batches when the broker dies, and the relay gives up
    # on it. Were that producer only abandoned, it would send them when the broker returns,
    # beside the producer that replaced it republishing everything, and the embedded broker
    # then drops records it acknowledged to one of them. Every committed event must be on the
    # topic afterwards.
    scratch = await Scratch.open(platform)
    store, relay = scratch.store, scratch.relay
    try:
        for number in range(20):  # the producer learns the topic's partitions
            await emit(store, f"agg-{number % 8}", number)
        assert await relay.publish_batch() == (20, False)
        for number in range(20, 520):
            await emit(store, f"agg-{number % 8}", number)
        rows = await store.db[OUTBOX].find({"published_at": None}).sort("seq").to_list()

        platform.kafka.kill()
        sending = asyncio.create_task(relay._publish(rows))
        await asyncio.sleep(0.5)  # the batches are queued in the producer
        await relay.close()  # as after any failure
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)
        # Other events, for the next producer only; written quickly, in few transactions.
        for start in range(520, 3020, 500):
            await emit_many(store, [(f"agg-{n % 8}", n) for n in range(start, start + 500)])
        # Back while the old producer's batches would still be alive (they expire after the
        # request timeout, 10 s): an abandoned producer would send them now.
        await asyncio.to_thread(platform.kafka.start)
        back_at_ms = time.time() * 1000

        running = asyncio.create_task(relay.run())
        try:
            await eventually(lambda: _all_published(store, None), timeout=60)
            await asyncio.sleep(2.0)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
    finally:
        await relay.close()
    committed = {json.loads(row["value"])["event_id"] async for row in store.db[OUTBOX].find({})}
    assert len(committed) == 3020
    records = await read_topic(platform, events_topic(store.source), timeout=30)
    delivered = {json.loads(record.value)["event_id"] for record in records}
    assert committed - delivered == set(), f"{len(committed - delivered)} events never arrived"
    # The broker came back empty: a record made before that can only be a batch the old
    # producer still held, written after the loss beside the new producer.
    stale = [r for r in records if r.timestamp < back_at_ms]
    assert stale == [], f"{len(stale)} records from the producer before the broker loss"
    await scratch.close()


async def test_a_partition_that_fails_stops_there_while_the_others_go_on(
    platform: Platform,
) -> None:
    # One key's second event is larger than the broker takes: that partition's later events
    # must not overtake it, on this try or any retry, while other partitions are published.
    scratch = await Scratch.open(platform, kafka_max_message_bytes=4096)
    store, relay = scratch.store, scratch.relay
    try:
        keys = [f"agg-{i}" for i in range(8)]
        partitions = list(range(platform.settings.kafka_topic_partitions))
        lane = {k: PARTITIONER(k.encode(), partitions, partitions) for k in keys}
        blocked = keys[0]
        others = [k for k in keys if lane[k] != lane[blocked]]
        assert others
        for number in range(3):
            for key in keys:
                await emit(store, key, number)

        async def oversized(tx: Transaction) -> None:
            tx.emit(Padded(aggregate=blocked, number=1000, pad="x" * 8000))

        await store.transact(oversized)
        for number in range(3, 6):
            await emit(store, blocked, number)

        for _ in range(3):  # the first try and two retries
            assert await relay.publish_batch() == (None, False)
    finally:
        await relay.close()

    records = await read_topic(platform, events_topic(store.source), timeout=10)
    seen: dict[str, list[int]] = defaultdict(list)
    for record in records:
        payload = json.loads(record.value)["payload"]
        seen[payload["aggregate"]].append(payload["number"])
    assert seen[blocked] == [0, 1, 2], "an event of the blocked key overtook the failed one"
    for key in others:
        assert seen[key] == [0, 1, 2]
    pending = await store.db[OUTBOX].find({"published_at": None}).sort("seq").to_list()
    pending_blocked = [
        json.loads(r["value"])["payload"]["number"] for r in pending if r["key"] == blocked
    ]
    assert pending_blocked == [1000, 3, 4, 5]
    await scratch.close()


async def test_a_topic_the_relay_has_not_sent_to_is_created_with_its_partitions_first(
    platform: Platform,
) -> None:
    # A broker that creates a topic on the first produce request gives it its own default
    # partition count, and may be creating it while the batch is written.
    scratch = await Scratch.open(platform, kafka_topic_partitions=3)
    store, relay = scratch.store, scratch.relay
    other = f"vias.relaytestfeed{new_id()[:8]}.v1"
    try:

        async def work(tx: Transaction) -> None:
            for number in range(5):
                tx.messages.append(OutboxMessage(other, f"k{number}", "Counted", f'"{number}"'))

        await store.transact(work)
        assert await relay.publish_batch() == (5, False)
    finally:
        await relay.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=platform.kafka_bootstrap_servers)
    await admin.start()
    try:
        assert await describe_topics(admin, [other]) == {other: 3}
    finally:
        await admin.close()
    records = await read_topic(platform, other)
    assert sorted(r.value for r in records) == [f'"{n}"'.encode() for n in range(5)]
    assert other in relay.sentinel.owned_topics  # recreated with the rest after a data loss
    await scratch.close()
