"""Wiring and lifespan of one service process; nothing here knows a business rule."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from services.kernel.auth import Authenticator
from services.kernel.consumer import EventConsumer, EventHandler
from services.kernel.grpc_server import Registration, build_server, set_live, set_serving
from services.kernel.kafka import kafka_client_options, producer_options
from services.kernel.lag import watch_lag
from services.kernel.logs import configure_logging
from services.kernel.metrics import Metrics
from services.kernel.reconcile import Reconciler
from services.kernel.relay import OutboxRelay
from services.kernel.retry import wait_out
from services.kernel.sentinel import BrokerSentinel
from services.kernel.settings import Settings
from services.kernel.store import MongoStore
from services.kernel.subscription import Subscription
from services.kernel.topics import consumer_group, dead_letter_topic, events_topic
from services.kernel.tracing import configure_tracing

log = logging.getLogger(__name__)

INBOX_PURGE_INTERVAL_S = 3600.0


def _anything(error: BaseException) -> bool:
    return isinstance(error, Exception)


def _mongo_tls(settings: Settings) -> dict[str, Any]:
    ca = settings.mongo_tls_ca_file
    return {} if ca is None else {"tlsCAFile": str(ca)}


@dataclass(frozen=True)
class Deps:
    """What a service's handlers and servicers are built from."""

    settings: Settings
    store: MongoStore
    metrics: Metrics
    auth: Authenticator


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
            settings.mongo_uri, tz_aware=True, serverSelectionTimeoutMS=5000, **_mongo_tls(settings)
        )
        store = MongoStore(client, settings.database_name(name), name)
        deps = Deps(settings, store, metrics, Authenticator(settings, name))
        await wait_out("database", store.ensure_indexes, retry_on=_anything, max_s=5)
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

        consumer_sentinel = BrokerSentinel(settings, f"consumer.{consumer_group(name)}", [])
        if self.spec.subscribes_to:
            subscription, event_consumer = self._subscription(deps)
            # Joining a new consumer group takes the broker seconds; the gRPC side need not wait
            # for it. Events published meanwhile wait in their topics (the group reads a topic
            # from its start the first time).
            self._spawn(subscription.run(), "consumer")
            self._spawn(self._watch_data_loss(consumer_sentinel, subscription, store), "data-loss")
            reconciler = Reconciler(
                consumer=event_consumer,
                topics=self.spec.subscribes_to,
                client=client,
                settings=settings,
                metrics=metrics,
                caught_up=subscription.caught_up,
            )
            self._spawn(reconciler.run(), "reconciler")
            lag = watch_lag(settings, consumer_group(name), self.spec.subscribes_to, metrics)
            self._spawn(lag, "consumer-lag")

        registrations = self.spec.servicers(deps)
        server, port, health = build_server(
            registrations=registrations,
            auth=deps.auth,
            metrics=metrics,
            address=f"{settings.grpc_host}:{settings.grpc_port_for(name)}",
            max_message_bytes=settings.grpc_max_message_bytes,
        )
        await server.start()
        await set_live(health)
        names = [full_name for _, _, full_name in registrations]
        if self.spec.background is not None:
            for number, work in enumerate(self.spec.background(deps)):
                self._spawn(work, f"background-{number}")
        sentinels = [consumer_sentinel] + ([relay.sentinel] if relay is not None else [])
        self._spawn(self._watch_health(client, health, names, metrics, sentinels), "health")
        log.info("%s serving gRPC on port %d", name, port)

        await _wait_for_stop_signal()
        log.info("%s stopping", name)
        await health.enter_graceful_shutdown()
        await server.stop(grace=5)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await consumer_sentinel.close()
        if relay is not None:
            await relay.close()
        await client.close()
        await deps.auth.close()
        log.info("%s stopped", name)

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        self.tasks.append(asyncio.ensure_future(coro))
        self.tasks[-1].set_name(name)

    def _subscription(self, deps: Deps) -> tuple[Subscription, EventConsumer]:
        settings = deps.settings
        group = consumer_group(self.spec.name)
        consumer = EventConsumer(
            group=group,
            store=deps.store,
            handlers=self.spec.handlers(deps),
            settings=settings,
            metrics=deps.metrics,
        )
        background = self.spec.background_consumer
        subscription = Subscription(
            group=group,
            topics=self.spec.subscribes_to,
            consumer=consumer,
            settings=settings,
            metrics=deps.metrics,
            fetch_max_wait_ms=(
                settings.kafka_background_fetch_max_wait_ms
                if background
                else settings.kafka_fetch_max_wait_ms
            ),
            linger_s=settings.consumer_background_linger_ms / 1000 if background else 0.0,
        )
        return subscription, consumer

    async def _watch_data_loss(
        self, sentinel: BrokerSentinel, subscription: Subscription, store: MongoStore
    ) -> None:
        retention = timedelta(hours=self.settings.inbox_retention_hours)
        loop = asyncio.get_running_loop()
        next_purge = loop.time()
        while True:
            try:
                if await sentinel.broker_lost_data():
                    log.info("the broker is new or lost its data: reading from the start")
                    await subscription.rewind()
                if loop.time() >= next_purge:
                    await store.purge_inbox(retention)
                    next_purge = loop.time() + INBOX_PURGE_INTERVAL_S
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.debug("data-loss check failed: %r", error)
                await asyncio.sleep(self.settings.broker_check_interval_s)
            await sentinel.wait_until_due()

    async def _watch_health(
        self,
        client: AsyncMongoClient[dict[str, Any]],
        health: Any,
        names: Sequence[str],
        metrics: Metrics,
        sentinels: Sequence[BrokerSentinel],
    ) -> None:
        """Probe the database and the broker; when the broker answers again after it did not,
        or a sentinel's marker topic is missing, have the sentinels look at once whether it
        lost its data (they look on their own only every broker check interval)."""
        admin: AIOKafkaAdminClient | None = None
        kafka_was_up = True
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
                topics = set(await asyncio.wait_for(admin.list_topics(), 3))
                kafka_up = True
                for sentinel in sentinels:
                    sentinel.note_topics(topics)
            except Exception as error:
                log.warning("kafka unreachable: %r", error)
                if admin is not None:
                    with contextlib.suppress(Exception):
                        await admin.close()
                    admin = None
            if kafka_up and not kafka_was_up:
                for sentinel in sentinels:
                    sentinel.check_soon()
            kafka_was_up = kafka_up
            metrics.dependency_up.labels("mongodb").set(int(database_up))
            metrics.dependency_up.labels("kafka").set(int(kafka_up))
            await set_serving(health, names, database_up and kafka_up)
            try:
                await asyncio.sleep(self.settings.health_check_interval_s)
            except asyncio.CancelledError:
                if admin is not None:
                    await admin.close()
                raise


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
    tracing = configure_tracing(spec.name, settings)
    try:
        asyncio.run(ServiceProcess(spec, settings).run())
    finally:
        if tracing is not None:
            tracing.shutdown()
