"""Nothing lost, nothing doubled: crashes, duplicates, broker loss, poison, concurrent writers."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import grpc
from aiokafka.admin import AIOKafkaAdminClient
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.contracts.docs.dead_letter import DeadLetter
from services.contracts.intake import InquiryAssigned
from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.topics import dead_letter_topic, ensure_topics, events_topic
from services.platform.infra import Platform
from tests.integration.test_walking_skeleton import case_of
from tests.support import DEADLINE, Clients, eventually, metric_value, produce, read_topic
from vias.intake.v1 import intake_pb2


async def count(clients: Clients, service: str, collection: str, query: dict[str, Any]) -> int:
    return int(await clients.db(service)[collection].count_documents(query))


async def settled_count(
    clients: Clients,
    service: str,
    collection: str,
    query: dict[str, Any],
    expected: int,
    *,
    timeout: float = 60.0,
) -> int:
    """Wait until a count reaches `expected`, then check it stays there for a while."""
    await eventually(
        lambda: _at_least(clients, service, collection, query, expected), timeout=timeout
    )
    await asyncio.sleep(2.0)
    return await count(clients, service, collection, query)


async def _at_least(
    clients: Clients, service: str, collection: str, query: dict[str, Any], expected: int
) -> bool:
    return await count(clients, service, collection, query) >= expected


SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
# The journal entries the walking skeleton makes per inquiry (letters are journaled too).
SKELETON_JOURNAL_KINDS = ["inquiry_registered", "case_opened"]


async def health(platform: Platform, service: str, wanted: int) -> bool:
    """Whether the service's health check answers `wanted`."""
    async with grpc.aio.insecure_channel(platform.grpc_address(service)) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=DEADLINE
        )
    return bool(reply.status == wanted)


async def test_an_event_committed_before_a_crash_is_published_after_restart(
    clients: Clients, platform: Platform
) -> None:
    await asyncio.to_thread(platform.restart_service, "intake", {"VIAS_RELAY_ENABLED": "false"})
    inquiry = await clients.register_and_assign()
    unpublished = {"key": inquiry.inquiry_id, "published_at": None}
    assert await count(clients, "intake", "outbox", unpublished) == 2
    await asyncio.sleep(1.0)
    assert await count(clients, "visitation", "cases", {"inquiry_id": inquiry.inquiry_id}) == 0

    platform.kill_service("intake")
    await asyncio.to_thread(platform.start_service, "intake")

    case = await case_of(clients, inquiry.inquiry_id)

    async def all_marked_published() -> bool:  # marked within a poll interval of the ack
        return await count(clients, "intake", "outbox", unpublished) == 0

    await eventually(all_marked_published, timeout=10)
    assert (
        await settled_count(clients, "notifications", "notices", {"subject_id": case.case_id}, 1)
        == 1
    )


async def test_an_event_delivered_twice_has_one_effect(
    clients: Clients, platform: Platform
) -> None:
    inquiry = await clients.register_and_assign()
    case = await case_of(clients, inquiry.inquiry_id)
    await settled_count(clients, "notifications", "notices", {"subject_id": case.case_id}, 1)
    row = await clients.db("intake").outbox.find_one(
        {"key": inquiry.inquiry_id, "type": "InquiryAssigned"}
    )

    def duplicates() -> float:
        return metric_value(
            clients.metrics("visitation"),
            "vias_events_consumed_total",
            type="InquiryAssigned",
            outcome="duplicate",
        )

    before = duplicates()
    await produce(
        platform,
        events_topic("intake"),
        inquiry.inquiry_id,
        row["value"].encode(),
        row["value"].encode(),
    )

    async def both_seen() -> bool:
        return duplicates() >= before + 2

    await eventually(both_seen)
    assert await count(clients, "visitation", "cases", {"inquiry_id": inquiry.inquiry_id}) == 1
    journaled = {"inquiry_id": inquiry.inquiry_id, "kind": {"$in": SKELETON_JOURNAL_KINDS}}
    assert await settled_count(clients, "documents", "journal", journaled, 2) == 2
    assert (
        await settled_count(clients, "notifications", "notices", {"subject_id": case.case_id}, 1)
        == 1
    )


async def test_a_broker_that_dies_and_comes_back_empty_loses_nothing_and_doubles_nothing(
    clients: Clients, platform: Platform
) -> None:
    inquiry_ids: list[str] = []

    async def register(n: int) -> None:
        for _ in range(n):
            inquiry_ids.append((await clients.register_and_assign()).inquiry_id)

    await asyncio.gather(*(register(10) for _ in range(10)))
    platform.kafka.kill()
    await eventually(lambda: health(platform, "intake", NOT_SERVING))
    await asyncio.gather(*(register(5) for _ in range(10)))
    await asyncio.to_thread(platform.kafka.start)
    await eventually(lambda: health(platform, "intake", SERVING))
    await asyncio.gather(*(register(5) for _ in range(10)))
    assert len(set(inquiry_ids)) == 200

    by_inquiry: dict[str, Any] = {"inquiry_id": {"$in": inquiry_ids}}
    assert await settled_count(clients, "visitation", "cases", by_inquiry, 200, timeout=120) == 200
    cases = await clients.db("visitation").cases.find(by_inquiry, {"_id": 1}).to_list()
    case_ids = [c["_id"] for c in cases]
    by_case = {"subject_id": {"$in": case_ids}}
    assert (
        await settled_count(clients, "notifications", "notices", by_case, 200, timeout=120) == 200
    )
    notices = await clients.db("notifications").notices.find(by_case).to_list()
    assert len({n["subject_id"] for n in notices}) == 200
    journaled = {**by_inquiry, "kind": {"$in": SKELETON_JOURNAL_KINDS}}
    assert await settled_count(clients, "documents", "journal", journaled, 400) == 400
    assert (
        await settled_count(
            clients, "leverance", "case_references", {"_id": {"$in": case_ids}}, 200
        )
        == 200
    )
    republished = metric_value(clients.metrics("intake"), "vias_events_republished_total")
    assert republished >= 1, "the relay did not notice the broker lost its data"


def assignment(inquiry_id: str, main_area: str) -> InquiryAssigned:
    """An assignment as intake would publish it."""
    return InquiryAssigned.model_validate(
        {
            "inquiry_id": inquiry_id,
            "consultant_id": "consultant-1",
            "distributed_on": "2026-04-01",
            "assigned_at": utcnow(),
            "assigned_by": "support-1",
            "main_area": main_area,
        }
    )


async def test_a_poison_message_is_dead_lettered_and_the_partition_moves_on(
    clients: Clients, platform: Platform
) -> None:
    key = f"poison-{new_id()}"
    poison = Envelope.wrap(
        assignment(key, "adults"),
        source="intake",
        correlation_id=new_id(),
        causation_id=None,
    ).model_copy(update={"payload": {"inquiry_id": key, "main_area": "mars"}})
    healthy_id = f"after-{key}"
    healthy = Envelope.wrap(
        assignment(healthy_id, "other"),
        source="intake",
        correlation_id=new_id(),
        causation_id=None,
    )
    await produce(
        platform,
        events_topic("intake"),
        key,
        b"\xffnot an envelope",
        poison.to_bytes(),
        healthy.to_bytes(),
    )

    case = await case_of(clients, healthy_id)
    assert case.main_area == "other"
    assert await count(clients, "visitation", "cases", {"inquiry_id": key}) == 0

    async def letters() -> list[dict[str, Any]] | None:
        records = await read_topic(platform, dead_letter_topic("vias.visitation"))
        found = [json.loads(r.value) for r in records if r.key == key.encode()]
        return found if len(found) == 2 else None

    unparseable, failing = await eventually(letters)
    assert unparseable["event_type"] == "unparseable" and unparseable["attempts"] == 1
    assert base64.b64decode(unparseable["value_base64"]) == b"\xffnot an envelope"
    assert failing["event_id"] == poison.event_id
    assert failing["attempts"] == 3
    for letter in (unparseable, failing):  # as docs/asyncapi.yaml describes a dead letter
        DeadLetter.model_validate(letter)
    assert "main_area" in failing["error"]
    dead = metric_value(clients.metrics("visitation"), "vias_events_dead_lettered_total")
    assert dead >= 2


async def test_concurrent_updates_of_one_inquiry_one_wins_the_other_is_aborted(
    clients: Clients,
) -> None:
    inquiry = await clients.register()

    async def update(text: str, version: int) -> Any:
        request = intake_pb2.UpdateInquiryDescriptionRequest(
            inquiry_id=inquiry.inquiry_id, expected_version=version, description=text
        )
        try:
            return await clients.intake.UpdateInquiryDescription(
                request, metadata=clients.auth(), timeout=DEADLINE
            )
        except grpc.aio.AioRpcError as error:
            return error.code()

    results = await asyncio.gather(update("first writer", 1), update("second writer", 1))
    winners = [r for r in results if not isinstance(r, grpc.StatusCode)]
    assert len(winners) == 1
    assert [r for r in results if isinstance(r, grpc.StatusCode)] == [grpc.StatusCode.ABORTED]
    assert winners[0].version == 2

    stored = await clients.intake.GetInquiry(
        intake_pb2.GetInquiryRequest(inquiry_id=inquiry.inquiry_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert (stored.version, stored.description) == (2, winners[0].description)

    retried = await update("loser retries on the new version", 2)
    assert retried.version == 3
    changes = {"key": inquiry.inquiry_id, "type": "InquiryDescriptionChanged"}
    assert await count(clients, "intake", "outbox", changes) == 2


async def test_events_deleted_from_a_topic_behind_a_consumer_are_healed_by_reconciliation(
    clients: Clients, platform: Platform
) -> None:
    # Visitation is down while intake publishes an assignment; then an operator deletes and
    # re-creates intake's topic. Visitation never receives the event from the broker: its
    # reconciliation finds it published in intake's outbox but not in its inbox.
    await asyncio.to_thread(platform.stop_service, "visitation")
    try:
        inquiry = await clients.register_and_assign()

        async def published() -> bool:
            row = await clients.db("intake").outbox.find_one(
                {"key": inquiry.inquiry_id, "type": "InquiryAssigned"}
            )
            return bool(row and row["published_at"] is not None)

        await eventually(published)
        topic = events_topic("intake")
        admin = AIOKafkaAdminClient(bootstrap_servers=platform.kafka_bootstrap_servers)
        await admin.start()
        try:
            await admin.delete_topics([topic])
        finally:
            await admin.close()
        await eventually(lambda: _topic_gone(platform, topic))
        await ensure_topics(platform.settings, [topic])
    finally:
        await asyncio.to_thread(platform.start_service, "visitation")

    case = await case_of(clients, inquiry.inquiry_id, timeout=90)
    assert case.inquiry_id == inquiry.inquiry_id
    healed = metric_value(
        clients.metrics("visitation"),
        "vias_reconciliation_missing_total",
        group="vias.visitation",
        topic=events_topic("intake"),
    )
    assert healed >= 1
    assert await count(clients, "visitation", "cases", {"inquiry_id": inquiry.inquiry_id}) == 1


async def _topic_gone(platform: Platform, topic: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=platform.kafka_bootstrap_servers)
    await admin.start()
    try:
        return topic not in await admin.list_topics()
    finally:
        await admin.close()
