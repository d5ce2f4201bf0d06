"""The delivery worker: tries each due delivery on its current channel, once at a time, with
the try recorded as "sending" before it is made and its outcome after; runs in notifications'
process for as long as it runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter

from services.kernel.auth import ServiceCredentials
from services.kernel.envelope import utcnow
from services.kernel.errors import ConcurrencyConflict, IllegalTransition
from services.kernel.store import MongoStore
from services.notifications.delivery import domain, handlers
from services.notifications.delivery.channels import (
    Channel,
    DigitalPostChannel,
    EmailChannel,
    SecureEmailChannel,
    Undeliverable,
    municipal_mailboxes,
)
from services.notifications.delivery.documents_client import DocumentsFetcher
from services.notifications.delivery.domain import ChannelName, Delivery, RetryPolicy
from services.notifications.delivery.intake_client import IntakeCprResolver
from services.notifications.delivery.settings import DeliverySettings

log = logging.getLogger(__name__)
BATCH = 20
RECORD_TRIES = 10


class DeliveryMetrics:
    """Deliveries by channel and the status each step left them in."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.steps = Counter(
            "vias_deliveries",
            "Delivery steps by channel and the status they left the delivery in "
            "(sending, sent, queued = retry, fallen_back, failed, delivered).",
            ["channel", "status"],
            registry=registry,
        )

    def count(self, delivery: Delivery, channel: str | None = None) -> None:
        """Count the step that left `delivery` in its status."""
        self.steps.labels(channel or delivery.channel or "none", delivery.status).inc()


@dataclass
class Worker:
    """Sends due deliveries through the channels."""

    store: MongoStore
    channels: Mapping[ChannelName, Channel]
    policy: RetryPolicy
    metrics: DeliveryMetrics

    async def deliver_due(self, now: datetime | None = None) -> int:
        """Resume interrupted tries and try every due delivery once; the number sent."""
        moment = now or utcnow()
        lease = timedelta(seconds=self.policy.sending_lease_s)
        stale = await handlers.deliveries.find(
            self.store.db,
            {"status": "sending", "updated_at": {"$lte": moment - lease}},
            limit=BATCH,
        )
        for delivery in stale:
            await self._step(delivery.id, moment, self._interrupted(moment))
        due = await handlers.deliveries.find(
            self.store.db,
            {"status": {"$in": list(domain.WAITING)}, "next_attempt_at": {"$lte": moment}},
            sort=(("next_attempt_at", 1), ("_id", 1)),
            limit=BATCH,
        )
        sent = 0
        for delivery in due:
            sent += await self.try_once(delivery.id)
        return sent

    def _interrupted(self, now: datetime) -> handlers.Change:
        def step(d: Delivery) -> tuple[Delivery, domain.Outcome | None]:
            if not domain.interrupted(d, now, self.policy):
                raise IllegalTransition("no longer interrupted")
            return domain.attempt_failed(
                d, "the try was cut off", now, self.policy, outcome="interrupted"
            )

        return step

    async def _step(
        self, delivery_id: str, now: datetime, step: handlers.Change, *, tries: int = 1
    ) -> Delivery | None:
        """Apply a step; None when another worker took the delivery or it moved on. An outcome
        is recorded with `tries` > 1: losing it would leave the try "sending" until the lease."""
        for attempt in range(1, tries + 1):
            try:
                return await handlers.change(self.store, delivery_id, step, now)
            except IllegalTransition:
                return None
            except ConcurrencyConflict:
                if attempt == tries:
                    return None
                await asyncio.sleep(0.05 * attempt)
        return None

    async def try_once(self, delivery_id: str) -> int:
        """Claim one due delivery, try its channel, record the outcome; 1 if it was sent."""
        began = utcnow()
        claimed = await self._step(
            delivery_id, began, lambda d: (domain.begin_attempt(d, began), None)
        )
        if claimed is None or claimed.channel is None:
            return 0
        channel = claimed.channel
        self.metrics.count(claimed)
        permanent = False
        try:
            detail = await self.channels[channel].send(claimed)
        except Undeliverable as error:
            permanent, detail = True, str(error)
        except Exception as error:
            detail = f"{type(error).__name__}: {error}"
        else:
            now = utcnow()
            done = await self._step(
                delivery_id,
                now,
                lambda d: (domain.attempt_succeeded(d, detail, now), None),
                tries=RECORD_TRIES,
            )
            if done is not None:
                self.metrics.count(done, channel)
            return 1
        log.warning("delivery %s by %s failed: %s", delivery_id, channel, detail[:200])
        now = utcnow()
        failed = await self._step(
            delivery_id,
            now,
            lambda d: domain.attempt_failed(d, detail, now, self.policy, permanent=permanent),
            tries=RECORD_TRIES,
        )
        if failed is not None:
            self.metrics.count(failed, channel)
        return 0


def build_worker(
    store: MongoStore,
    settings: DeliverySettings,
    credentials: ServiceCredentials,
    registry: CollectorRegistry,
) -> Worker:
    """The worker with the configured channels."""
    resolver = IntakeCprResolver(settings.intake_address, credentials)
    documents = DocumentsFetcher(settings.documents_address, credentials)
    channels: dict[ChannelName, Channel] = {
        "email": EmailChannel(settings, documents),
        "secure_email": SecureEmailChannel(
            settings, municipal_mailboxes(settings.municipal_mailboxes_file), documents
        ),
        "digital_post": DigitalPostChannel(settings.digital_post_dir, resolver),
    }
    return Worker(store, channels, settings.policy, DeliveryMetrics(registry))


async def keep_delivering(worker: Worker, interval_s: float) -> None:
    """Deliver what is due, every interval, for as long as the service runs."""
    while True:
        try:
            await worker.deliver_due()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery round failed")
        await asyncio.sleep(interval_s)
