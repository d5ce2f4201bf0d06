"""A thousand inquiries while the broker dies twice and every service is SIGKILLed once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from services.kernel.envelope import utcnow
from services.kernel.topics import consumer_group, dead_letter_topic
from services.platform.infra import Platform
from tests.integration.test_reliability import SKELETON_JOURNAL_KINDS, count
from tests.support import DEADLINE, Clients, adult_form, eventually, metric_value
from vias.intake.v1 import intake_pb2

log = logging.getLogger(__name__)

INQUIRIES = 1000
WORKERS = 12
# Codes a call gets while its service or the broker is down or restarting: try again.
RETRY_CODES = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.CANCELLED,
}


async def until_ok(call: Callable[[], Awaitable[Any]]) -> Any:
    """The call's reply, retried while the platform is down; any other error fails the test."""
    delay = 0.1
    while True:
        try:
            return await call()
        except grpc.aio.AioRpcError as error:
            if error.code() not in RETRY_CODES:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


class Load:
    """Registers and assigns inquiries; an inquiry counts once intake acknowledged both."""

    def __init__(self, clients: Clients) -> None:
        self.clients = clients
        self.acknowledged: list[str] = []
        self.refused_registrations = 0
        self.acknowledged_more = asyncio.Event()
        self._next = 0

    async def one(self) -> None:
        clients = self.clients
        try:
            inquiry = await clients.intake.RegisterInquiry(
                adult_form(), metadata=clients.auth(), timeout=DEADLINE
            )
        except grpc.aio.AioRpcError as error:
            # Refused or lost with intake: the caller does not know the inquiry, so it is
            # not counted (it may or may not have been stored; it is never assigned).
            if error.code() not in RETRY_CODES:
                raise
            self.refused_registrations += 1
            await asyncio.sleep(0.5)
            return
        request = intake_pb2.AssignInquiryRequest(
            inquiry_id=inquiry.inquiry_id,
            consultant_id="consultant-chaos",
            distributed_on=inquiry.distribution_date,
        )

        async def assign() -> Any:
            try:
                return await clients.intake.AssignInquiry(
                    request, metadata=clients.auth(), timeout=DEADLINE
                )
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.FAILED_PRECONDITION:
                    raise
            # A retry after an assignment that committed but whose reply was lost.
            stored = await clients.intake.GetInquiry(
                intake_pb2.GetInquiryRequest(inquiry_id=inquiry.inquiry_id),
                metadata=clients.auth(),
                timeout=DEADLINE,
            )
            assert stored.status == "assigned", stored.status
            return stored

        await until_ok(assign)
        self.acknowledged.append(inquiry.inquiry_id)
        self.acknowledged_more.set()

    async def worker(self) -> None:
        while self._next < INQUIRIES:
            self._next += 1
            await self.one()
            if len(self.acknowledged) + self.refused_registrations >= INQUIRIES:
                return

    async def run(self) -> None:
        await asyncio.gather(*(self.worker() for _ in range(WORKERS)))
        # Top up what the outages refused, so that exactly INQUIRIES are acknowledged.
        while len(self.acknowledged) < INQUIRIES:
            await self.one()


async def progress(load: Load, share: float) -> None:
    """Wait until `share` of the inquiries are acknowledged."""
    while len(load.acknowledged) < share * INQUIRIES:
        await load.acknowledged_more.wait()
        load.acknowledged_more.clear()


async def chaos(platform: Platform, load: Load) -> list[str]:
    """The outages, each at a point of the load; what happened, for the report."""
    done: list[str] = []

    async def kill_broker() -> None:
        platform.kafka.kill()
        await asyncio.sleep(2.0)
        await asyncio.to_thread(platform.kafka.start)

    async def kill(service: str) -> None:
        platform.kill_service(service)
        await asyncio.to_thread(platform.start_service, service)

    steps: list[tuple[float, str, Callable[[], Awaitable[None]]]] = [
        (0.10, "broker", kill_broker),
        (0.25, "visitation", lambda: kill("visitation")),
        (0.35, "notifications", lambda: kill("notifications")),
        (0.45, "documents", lambda: kill("documents")),
        (0.55, "broker", kill_broker),
        (0.65, "leverance", lambda: kill("leverance")),
        # Every user's call asks identity about the session: while it is down, calls are
        # UNAVAILABLE and tried again.
        (0.72, "identity", lambda: kill("identity")),
        (0.80, "intake", lambda: kill("intake")),
    ]
    for share, what, step in steps:
        await progress(load, share)
        started = time.monotonic()
        await step()
        done.append(f"{what} at {len(load.acknowledged)} ({time.monotonic() - started:.1f} s)")
    return done


async def test_a_thousand_inquiries_survive_two_broker_losses_and_a_kill_of_every_service(
    clients: Clients, platform: Platform
) -> None:
    began = utcnow()
    started = time.monotonic()
    load = Load(clients)
    outages = asyncio.create_task(chaos(platform, load))
    await load.run()
    happened = await outages
    loaded = time.monotonic()
    assert len(happened) == 8, happened
    inquiry_ids = load.acknowledged
    assert len(set(inquiry_ids)) == INQUIRIES

    by_inquiry: dict[str, Any] = {"inquiry_id": {"$in": inquiry_ids}}
    await eventually(
        lambda: _reaches(clients, "visitation", "cases", by_inquiry, INQUIRIES),
        timeout=240,
        interval=1.0,  # a count over a thousand ids is a scan: do not load the database
    )
    cases = await clients.db("visitation").cases.find(by_inquiry, {"_id": 1}).to_list()
    case_ids = [c["_id"] for c in cases]
    by_case = {"subject_id": {"$in": case_ids}}
    journaled = {**by_inquiry, "kind": {"$in": SKELETON_JOURNAL_KINDS}}
    references = {"_id": {"$in": case_ids}}
    await eventually(
        lambda: _reaches(clients, "notifications", "notices", by_case, INQUIRIES),
        timeout=240,
        interval=1.0,
    )
    await eventually(
        lambda: _reaches(clients, "documents", "journal", journaled, 2 * INQUIRIES),
        timeout=240,
        interval=1.0,
    )
    await eventually(
        lambda: _reaches(clients, "leverance", "case_references", references, INQUIRIES),
        timeout=240,
        interval=1.0,
    )
    settled = time.monotonic()
    await asyncio.sleep(5.0)  # late redeliveries would show as doubles now

    assert await count(clients, "visitation", "cases", by_inquiry) == INQUIRIES
    assert len(set(case_ids)) == INQUIRIES
    notices = await clients.db("notifications").notices.find(by_case).to_list()
    assert len(notices) == INQUIRIES, "a case's notice is missing or doubled"
    assert len({n["subject_id"] for n in notices}) == INQUIRIES
    assert await count(clients, "documents", "journal", journaled) == 2 * INQUIRIES
    assert await count(clients, "leverance", "case_references", references) == INQUIRIES
    # Nothing was handed to a dead-letter topic on the way.
    for service in ("visitation", "notifications", "documents", "leverance"):
        letters = {
            "topic": dead_letter_topic(consumer_group(service)),
            "created_at": {"$gte": began},
        }
        assert await count(clients, service, "outbox", letters) == 0, f"{service} dead-lettered"
    healed = {
        service: metric_value(clients.metrics(service), "vias_reconciliation_missing_total")
        for service in ("visitation", "notifications", "documents", "leverance")
    }
    log.warning(
        "load %.0f s, settling %.0f s; outages: %s; registrations refused during them: %d; "
        "healed by reconciliation: %s",
        loaded - started,
        settled - loaded,
        happened,
        load.refused_registrations,
        healed,
    )


async def _reaches(
    clients: Clients, service: str, collection: str, query: dict[str, Any], expected: int
) -> bool:
    return await count(clients, service, collection, query) >= expected
