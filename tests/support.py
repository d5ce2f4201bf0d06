"""Test helpers: clients of a running platform, and polling for eventual outcomes."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any, TypeVar

import grpc
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from pymongo import AsyncMongoClient

from services.identity.login import Tokens, local_login
from services.kernel.grpc_server import HISTORY_WINDOW
from services.platform.infra import Platform
from vias.documents.v1 import documents_pb2_grpc
from vias.identity.v1 import identity_pb2_grpc
from vias.intake.v1 import intake_pb2, intake_pb2_grpc
from vias.leverance.v1 import leverance_pb2_grpc
from vias.notifications.v1 import notifications_pb2_grpc
from vias.visitation.v1 import visitation_pb2_grpc

T = TypeVar("T")
DEADLINE = 10.0
ROOT = Path(__file__).resolve().parent.parent

USED_CPRS: set[str] = set()
"""Every CPR number the test run sent, ten digits; the leak test looks for each of them."""


def fake_cpr(*, born: int | None = None, rng: random.Random | None = None) -> str:
    """A valid, random CPR number "DDMMYY-SSSS" of someone born in `born` (1930-2029).

    The first serial digit follows the century rule; the number is remembered in USED_CPRS.
    """
    pick = rng or random.SystemRandom()
    year = born if born is not None else pick.randint(1950, 1995)
    if not 1930 <= year <= 2029:
        raise ValueError("born must be between 1930 and 2029")
    day, month = pick.randint(1, 28), pick.randint(1, 12)
    first = pick.choice("0123") if year < 2000 else "4"
    serial = first + "".join(pick.choice("0123456789") for _ in range(3))
    digits = f"{day:02d}{month:02d}{year % 100:02d}{serial}"
    USED_CPRS.add(digits)
    return f"{digits[:6]}-{digits[6:]}"


def adult_form(**fields: str) -> intake_pb2.RegisterInquiryRequest:
    """A valid full form: a municipality asks for a single case about one consenting adult.

    A CPR given in `fields` is remembered in USED_CPRS too, valid or not.
    """
    cpr = fields.get("cpr") or fake_cpr()
    USED_CPRS.add(cpr.replace("-", ""))
    return intake_pb2.RegisterInquiryRequest(
        inquirer_name=fields.get("inquirer_name", "Odense Kommune"),
        main_area=fields.get("main_area", "children_youth"),
        description=fields.get("description", "Advice on a child with autism"),
        requested_service=fields.get("requested_service", "single_case"),
        management_approved=True,
        inquirer=intake_pb2.InquirerDetails(
            type="municipal_administration",
            organisation=fields.get("inquirer_name", "Odense Kommune"),
            municipality_code=fields.get("municipality_code", "461"),
            email="raadgiver@odense.dk",
        ),
        citizens=[
            intake_pb2.Citizen(
                name=fields.get("citizen_name", "Test Citizen"),
                cpr=cpr,
                consent=intake_pb2.Consent(basis="consent", citizen_consented=True),
            )
        ],
    )


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 30.0, interval: float = 0.1
) -> T:
    """The first truthy result of `probe`, polled until `timeout`; fails the test otherwise."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"not reached within {timeout}s; last result {last!r}")


def violations(error: grpc.aio.AioRpcError) -> list[tuple[str, str]]:
    """The (field, description) pairs a google.rpc.BadRequest detail of an error lists."""
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    found: list[tuple[str, str]] = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            found += [(v.field, v.description) for v in bad.field_violations]
    return found


def bad_fields(error: grpc.aio.AioRpcError) -> set[str]:
    """The fields a google.rpc.BadRequest detail of an error names."""
    return {field for field, _ in violations(error)}


def outside_history(error: grpc.aio.AioRpcError) -> set[str]:
    """The fields a FAILED_PRECONDITION's google.rpc.PreconditionFailure names as dated
    outside the case's history."""
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error.details()
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    found: set[str] = set()
    for detail in status.details:
        failure = error_details_pb2.PreconditionFailure()
        if detail.Unpack(failure):
            found |= {v.subject for v in failure.violations if v.type == HISTORY_WINDOW}
    return found


class Clients:
    """Stubs of the services plus the databases behind them (for assertions only)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.issuer_url = platform.issuer_url
        self._tokens: dict[tuple[str, str, str | None], Tokens] = {}
        self._channels = {
            name: grpc.aio.insecure_channel(platform.grpc_address(name))
            for name in platform.services
        }
        self.intake: Any = self._stub(intake_pb2_grpc.IntakeServiceStub, "intake")
        self.visitation: Any = self._stub(visitation_pb2_grpc.VisitationServiceStub, "visitation")
        self.leverance: Any = self._stub(leverance_pb2_grpc.LeveranceServiceStub, "leverance")
        self.documents: Any = self._stub(documents_pb2_grpc.DocumentsServiceStub, "documents")
        self.notifications: Any = self._stub(
            notifications_pb2_grpc.NotificationsServiceStub, "notifications"
        )
        self.identity: Any = self._stub(identity_pb2_grpc.IdentityServiceStub, "identity")
        self.mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            platform.mongo_uri, tz_aware=True
        )

    def _stub(self, stub: Callable[[grpc.aio.Channel], Any], service: str) -> Any:
        """A service's stub, or None when the platform runs without that service."""
        channel = self._channels.get(service)
        return None if channel is None else stub(channel)

    def db(self, service: str) -> Any:
        """A service's own database."""
        return self.mongo[self.platform.settings.database_name(service)]

    def auth(
        self, *, user: str = "support-1", role: str = "support", supplier: str | None = None
    ) -> list[tuple[str, str]]:
        """Call metadata carrying a valid token from the local issuer, over HTTP as a person's
        client gets it: one login per user, role and supplier, until shortly before expiry."""
        key = (user, role, supplier)
        tokens = self._tokens.get(key)
        if tokens is None or not tokens.valid_for(60):
            tokens = self._tokens[key] = local_login(self.issuer_url, user, role, supplier)
        return [("authorization", f"Bearer {tokens.access_token}")]

    def login(self, *, user: str, role: str, supplier: str | None = None) -> list[tuple[str, str]]:
        """Call metadata of a new session (a fresh login, never a cached token)."""
        tokens = local_login(self.issuer_url, user, role, supplier)
        return [("authorization", f"Bearer {tokens.access_token}")]

    def forget_tokens(self) -> None:
        """Log in afresh from now on (after a key rotation left the cached tokens behind)."""
        self._tokens.clear()

    async def register(self, **fields: str) -> Any:
        """Register an inquiry as Team Support; fields override a valid default."""
        request = adult_form(**fields)
        return await self.intake.RegisterInquiry(request, metadata=self.auth(), timeout=DEADLINE)

    async def assign(
        self, inquiry_id: str, *, consultant: str = "consultant-1", on: str = "2026-04-01"
    ) -> Any:
        """Register, as Team Support, the consultant the distribution list of `on` gave an
        inquiry (put on that list first, see `put_on_list`)."""
        await self.put_on_list(inquiry_id, on)
        request = intake_pb2.AssignInquiryRequest(
            inquiry_id=inquiry_id, consultant_id=consultant, distributed_on=on
        )
        return await self.intake.AssignInquiry(request, metadata=self.auth(), timeout=DEADLINE)

    async def put_on_list(self, inquiry_id: str, on: str) -> None:
        """Put a registered inquiry on the distribution list of `on` (a distribution day), the
        only list AssignInquiry accepts for it.

        The honest way where the dates allow: when `on` is not before the list the inquiry
        waits for, Team Support produces the list of `on`, which takes over every inquiry
        waiting since an earlier list. A test that needs a day before that (fixed days in the
        past: the platform registers nothing in the past) gets a fixture instead,
        `backdate_onto_list`. An inquiry on no list (held, assigned, stopped) is left as it is.
        """
        found = await self.db("intake").inquiries.find_one(
            {"_id": inquiry_id}, {"status": 1, "distribution_date": 1}
        )
        if found is None or found["status"] != "registered" or not found["distribution_date"]:
            return
        listed_on: str = found["distribution_date"]
        if on > listed_on:
            await self.intake.ProduceDistributionList(
                intake_pb2.ProduceDistributionListRequest(list_date=on),
                metadata=self.auth(),
                timeout=DEADLINE,
            )
        elif on < listed_on:
            await backdate_onto_list(self, inquiry_id, date.fromisoformat(on))

    async def add_material(self, inquiry_id: str, *, title: str = "Statusudtalelse") -> Any:
        """Add, as Team Support, one supplementary document received by post to an inquiry."""
        request = intake_pb2.AddSupplementaryMaterialRequest(
            inquiry_id=inquiry_id,
            documents=[intake_pb2.DocumentRef(document_id="doc-1", title=title)],
            received_via="post",
        )
        return await self.intake.AddSupplementaryMaterial(
            request, metadata=self.auth(), timeout=DEADLINE
        )

    async def register_and_assign(self, *, consultant: str = "consultant-1", **fields: str) -> Any:
        """An inquiry registered and assigned, so that visitation opens its case."""
        inquiry = await self.register(**fields)
        return await self.assign(inquiry.inquiry_id, consultant=consultant)

    async def correlated_events(
        self, service: str, correlation_ids: set[str], since: int
    ) -> set[str]:
        """Which of `correlation_ids` a service's outbox rows stored since `since` (a
        time.time_ns() taken before the calls) carry."""
        rows = self.db(service).outbox.find({"seq": {"$gte": since}}, {"value": 1})
        carried = {json.loads(row["value"]).get("correlation_id", "") async for row in rows}
        return carried & correlation_ids

    def metrics(self, service: str) -> str:
        """The Prometheus text a service exposes."""
        with urllib.request.urlopen(self.platform.metrics_url(service), timeout=5) as reply:
            return str(reply.read().decode())

    async def close(self) -> None:
        """Close channels and the database client."""
        for channel in self._channels.values():
            await channel.close()
        await self.mongo.close()


async def backdate_onto_list(clients: Clients, inquiry_id: str, on: date) -> None:
    """Test fixture, not a platform path: rewrite an inquiry in intake's own database as if it
    had been registered the day before `on` (a distribution day) and so waited for the list
    of `on`. For tests whose story runs on fixed days in the past."""
    inquiries = clients.db("intake").inquiries
    found = await inquiries.find_one({"_id": inquiry_id}, {"registered_at": 1})
    assert found is not None, f"no inquiry {inquiry_id}"
    day_before = datetime.combine(on - timedelta(days=1), dt_time(9, 0), tzinfo=UTC)
    await inquiries.update_one(
        {"_id": inquiry_id, "status": "registered"},
        {
            "$set": {
                "distribution_date": on.isoformat(),
                "registered_at": min(found["registered_at"], day_before),
            }
        },
    )


def metric_value(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of a metric whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        sample, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in sample for k, v in labels.items()):
            total += float(value)
    return total


async def produce(platform: Platform, topic: str, key: str, *values: bytes) -> None:
    """Write records straight to a topic, as a misbehaving or duplicating producer would."""
    producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value=value, key=key.encode())
    finally:
        await producer.stop()


async def read_topic(platform: Platform, topic: str, *, timeout: float = 5.0) -> list[Any]:
    """Every record currently on a topic, read without a consumer group."""
    return (await read_topics(platform, [topic], timeout=timeout))[topic]


async def read_topics(
    platform: Platform, topics: Sequence[str], *, timeout: float = 5.0
) -> dict[str, list[Any]]:
    """Every record currently on each of the topics, read together by one consumer without a
    group (one quiet period for all, not one per topic)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=platform.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:

        def partitions_of(topic: str) -> list[TopicPartition]:
            return [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]

        if not all(partitions_of(topic) for topic in topics):
            await consumer.client.force_metadata_update()
        partitions = [tp for topic in topics for tp in partitions_of(topic)]
        consumer.assign(partitions)
        # The embedded broker reports a partition's end as its last batch's base offset + 1,
        # so the end offsets are only where to start looking: read on until nothing comes.
        ends = await consumer.end_offsets(partitions)
        records: dict[str, list[Any]] = {topic: [] for topic in topics}
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for tp, found in batch.items():
                records[tp.topic].extend(found)
            positions = {tp: await consumer.position(tp) for tp in partitions}
            at_end = all(positions[tp] >= ends[tp] for tp in partitions)
            if batch or not at_end:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= 0.5:
                break
        return records
    finally:
        await consumer.stop()


def vias_command(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    """`vias ARGS` run as a user would, against the platform's services and broker."""
    env = {
        **os.environ,
        "VIAS_AUTH_SIGNING_KEY_FILE": str(platform.signing_key_file),
        "VIAS_AUTH_ISSUER": platform.issuer_url,
        "VIAS_CLI_TOKEN_DIR": str(platform.var_dir / "cli"),
        "VIAS_KAFKA_BOOTSTRAP_SERVERS": platform.kafka_bootstrap_servers,
        "VIAS_MONGO_URI": platform.mongo_uri,
        **{f"VIAS_{n.upper()}_ADDRESS": platform.grpc_address(n) for n in platform.services},
    }
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
