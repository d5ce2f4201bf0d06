"""Wiring and lifespan of one service process; nothing here knows a business rule."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import chain
from types import MethodType
from typing import Any, cast

from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pymongo import AsyncMongoClient

from services.kernel.auth import TokenAuthority
from services.kernel.consumer import EventConsumer, EventHandler, Record
from services.kernel.grpc_server import Registration, build_server, set_serving
from services.kernel.kafka import faststream_security, kafka_client_options, producer_options
from services.kernel.logs import configure_logging
from services.kernel.metrics import Metrics
from services.kernel.relay import OutboxRelay
from services.kernel.sentinel import BrokerSentinel
from services.kernel.settings import Settings
from services.kernel.store import MongoStore
from services.kernel.topics import consumer_group, dead_letter_topic, events_topic

log = logging.getLogger(__name__)

RESET_GRACE_SECONDS = 30.0
POLL_TIMEOUT_MS = 500
INBOX_PURGE_INTERVAL_S = 3600.0


@dataclass(frozen=True)
class Deps:
    """What a service's handlers and servicers are built from."""

    settings: Settings
    store: MongoStore
    metrics: Metrics
    authority: TokenAuthority


@dataclass(frozen=True)
class ServiceSpec:
    """A service: its name, what it subscribes to and how its pieces are built."""

    name: str
    subscribes_to: Sequence[str]
    handlers: Callable[[Deps], Mapping[str, EventHandler]]
    servicers: Callable[[Deps], Sequence[Registration]]
    setup: Callable[[Deps], Awaitable[None]] | None = None
    background_consumer: bool = False
    """Nobody waits on this service's consumer: it fetches with the background wait."""
    background: Callable[[Deps], Sequence[Awaitable[None]]] | None = None


class RewindAfterDataLoss(ConsumerRebalanceListener):  # type: ignore[misc]
    """Rewinds partitions to the start after the broker lost its data, also on reassignment;
    reports how many partitions the consumer holds."""

    def __init__(self, assigned_partitions: Callable[[int], None] = lambda count: None) -> None:
        self.subscriber: Any = None
        self._until = 0.0
        self._report_assigned = assigned_partitions

    @property
    def consumer(self) -> Any:
        """The subscriber's aiokafka consumer, once it has started."""
        return None if self.subscriber is None else self.subscriber.consumer

    async def rewind(self) -> None:
        """Re-read every assigned partition, and any assigned in the next grace period."""
        self._until = asyncio.get_running_loop().time() + RESET_GRACE_SECONDS
        if self.consumer is not None and self.consumer.assignment():
            await self.consumer.seek_to_beginning()

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self._report_assigned(0)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self._report_assigned(len(assigned))
        rewinding = asyncio.get_running_loop().time() < self._until
        if assigned and rewinding and self.consumer is not None:
            await self.consumer.seek_to_beginning(*assigned)


@dataclass
class ServiceProcess:
    """One running service: server, relay, consumer and their watchers."""

    spec: ServiceSpec
    settings: Settings
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def run(self) -> None:
        """Start everything, serve until SIGTERM/SIGINT, then stop gracefully."""
        settings = self.settings
        name = self.spec.name
        metrics = Metrics(name)
        metrics.serve(settings.metrics_port_for(name), settings.grpc_host)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            settings.mongo_uri, tz_aware=True, serverSelectionTimeoutMS=5000
        )
        store = MongoStore(client, settings.database_name(name), name)
        deps = Deps(settings, store, metrics, TokenAuthority.from_settings(settings))
        await _retry("database", store.ensure_indexes)
        if self.spec.setup is not None:
            await self.spec.setup(deps)

        relay: OutboxRelay | None = None
        if settings.relay_enabled:
            owned = [events_topic(name), dead_letter_topic(consumer_group(name))]
            relay = OutboxRelay(
                store=store,
                producer_factory=lambda: AIOKafkaProducer(**producer_options(settings)),
                settings=settings,
                metrics=metrics,
                sentinel=BrokerSentinel(settings, f"relay.{name}", owned),
            )
            self._spawn(relay.run(), "relay")

        broker: KafkaBroker | None = None
        consumer_sentinel = BrokerSentinel(settings, f"consumer.{consumer_group(name)}", [])
        if self.spec.subscribes_to:
            broker, rewind = self._consumer(deps)
            # Joining a new consumer group takes the broker seconds; the gRPC side need not wait
            # for it. Events published meanwhile wait in their topics (the group reads a topic
            # from its start the first time).
            self._spawn(self._consume(broker, consumer_sentinel, rewind, store), "consumer")

        registrations = self.spec.servicers(deps)
        server, port, health = build_server(
            registrations=registrations,
            authority=deps.authority,
            metrics=metrics,
            address=f"{settings.grpc_host}:{settings.grpc_port_for(name)}",
            max_message_bytes=settings.grpc_max_message_bytes,
        )
        await server.start()
        names = [full_name for _, _, full_name in registrations]
        if self.spec.background is not None:
            for number, work in enumerate(self.spec.background(deps)):
                self._spawn(work, f"background-{number}")
        self._spawn(self._watch_health(client, health, names, metrics), "health")
        log.info("%s serving gRPC on port %d", name, port)

        await _wait_for_stop_signal()
        log.info("%s stopping", name)
        await health.enter_graceful_shutdown()
        await server.stop(grace=5)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if broker is not None:
            await broker.stop()
        await consumer_sentinel.close()
        if relay is not None:
            await relay.close()
        await client.close()
        log.info("%s stopped", name)

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        self.tasks.append(asyncio.ensure_future(coro))
        self.tasks[-1].set_name(name)

    def _consumer(self, deps: Deps) -> tuple[KafkaBroker, RewindAfterDataLoss]:
        settings = deps.settings
        group = consumer_group(self.spec.name)
        consumer = EventConsumer(
            group=group,
            store=deps.store,
            handlers=self.spec.handlers(deps),
            settings=settings,
            metrics=deps.metrics,
        )
        broker = KafkaBroker(
            settings.kafka_bootstrap_servers.split(","),
            security=faststream_security(settings),
            allow_auto_create_topics=False,
            metadata_max_age_ms=settings.kafka_metadata_max_age_ms,
            consumer_only=True,
            logger=logging.getLogger("vias.faststream"),
            log_level=logging.DEBUG,
        )
        rewind = RewindAfterDataLoss(deps.metrics.consumer_assigned_partitions.labels(group).set)
        subscriber = broker.subscriber(
            *self.spec.subscribes_to,
            group_id=group,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,
            fetch_max_wait_ms=(
                settings.kafka_background_fetch_max_wait_ms
                if self.spec.background_consumer
                else settings.kafka_fetch_max_wait_ms
            ),
            batch=True,
            max_records=settings.consumer_batch_size,
            batch_timeout_ms=POLL_TIMEOUT_MS,
            listener=rewind,
        )

        @subscriber
        async def on_events(body: Any) -> None:
            # Read from the context here rather than injected as a parameter: FastStream runs
            # an injected context field in a worker thread, one thread hop on every poll.
            message: KafkaMessage = broker.context.get_local("message")
            raws = cast(tuple[ConsumerRecord[bytes, bytes], ...], message.raw_message)
            await consumer.process_batch(
                [Record(r.topic, r.partition, r.offset, r.key, r.value or b"") for r in raws]
            )
            try:
                await message.ack()
            except Exception as error:  # redelivery is harmless; the inbox deduplicates
                log.warning("offset commit failed: %r", error)

        linger = settings.consumer_background_linger_ms if self.spec.background_consumer else 0
        poll = functools.partial(_poll_without_pause, linger_s=linger / 1000)
        subscriber.get_msg = MethodType(poll, subscriber)  # type: ignore[method-assign]
        rewind.subscriber = subscriber
        return broker, rewind

    async def _consume(
        self,
        broker: KafkaBroker,
        sentinel: BrokerSentinel,
        rewind: RewindAfterDataLoss,
        store: MongoStore,
    ) -> None:
        await _retry("kafka consumer", broker.start)
        log.info("%s consuming as group %s", self.spec.name, consumer_group(self.spec.name))
        await self._watch_data_loss(sentinel, rewind, store)

    async def _watch_data_loss(
        self, sentinel: BrokerSentinel, rewind: RewindAfterDataLoss, store: MongoStore
    ) -> None:
        retention = timedelta(hours=self.settings.inbox_retention_hours)
        loop = asyncio.get_running_loop()
        next_purge = loop.time()
        while True:
            try:
                if await sentinel.broker_lost_data():
                    log.info("the broker is new or lost its data: reading from the start")
                    await rewind.rewind()
                if loop.time() >= next_purge:
                    await store.purge_inbox(retention)
                    next_purge = loop.time() + INBOX_PURGE_INTERVAL_S
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.debug("data-loss check failed: %r", error)
            await asyncio.sleep(self.settings.broker_check_interval_s)

    async def _watch_health(
        self,
        client: AsyncMongoClient[dict[str, Any]],
        health: Any,
        names: Sequence[str],
        metrics: Metrics,
    ) -> None:
        admin: AIOKafkaAdminClient | None = None
        while True:
            database_up = kafka_up = False
            try:
                await asyncio.wait_for(client.admin.command("ping"), 3)
                database_up = True
            except Exception as error:
                log.warning("database unreachable: %r", error)
            try:
                if admin is None:
                    admin = AIOKafkaAdminClient(**kafka_client_options(self.settings))
                    await asyncio.wait_for(admin.start(), 3)
                await asyncio.wait_for(admin.list_topics(), 3)
                kafka_up = True
            except Exception as error:
                log.warning("kafka unreachable: %r", error)
                if admin is not None:
                    with contextlib.suppress(Exception):
                        await admin.close()
                    admin = None
            metrics.dependency_up.labels("mongodb").set(int(database_up))
            metrics.dependency_up.labels("kafka").set(int(kafka_up))
            await set_serving(health, names, database_up and kafka_up)
            try:
                await asyncio.sleep(self.settings.health_check_interval_s)
            except asyncio.CancelledError:
                if admin is not None:
                    await admin.close()
                raise


async def _poll_without_pause(
    subscriber: Any, consumer: Any, *, linger_s: float = 0.0
) -> tuple[Any, ...]:
    """FastStream's batch poll, minus the pause it takes after an empty poll; with a linger,
    what arrives within it after the first records joins them.

    getmany returns as soon as records are fetched, so waiting long in it costs no latency,
    while the pause after an empty poll would delay every record that arrives during it.
    """
    wanted = subscriber.max_records
    batches = await consumer.getmany(timeout_ms=subscriber.batch_timeout_ms, max_records=wanted)
    records = list(chain.from_iterable(batches.values()))
    if records and linger_s > 0 and len(records) < wanted:
        await asyncio.sleep(linger_s)
        more = await consumer.getmany(timeout_ms=0, max_records=wanted - len(records))
        records.extend(chain.from_iterable(more.values()))
    return tuple(records)


async def _retry(what: str, start: Callable[[], Awaitable[Any]]) -> None:
    delay = 0.2
    while True:
        try:
            await start()
            return
        except Exception as error:
            log.warning("%s not available yet: %r", what, error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def _wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def run_service(spec: ServiceSpec) -> None:
    """Entry point of a service process: configuration from the environment."""
    settings = Settings()
    configure_logging(spec.name, level=settings.log_level, fmt=settings.log_format)
    asyncio.run(ServiceProcess(spec, settings).run())
