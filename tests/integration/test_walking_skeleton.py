"""An inquiry registered and assigned over gRPC travels through every service as real processes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.kernel.settings import Settings
from services.visitation.main import SPEC as VISITATION
from tests.support import DEADLINE, Clients, eventually, fake_cpr, metric_value, vias_command
from vias.documents.v1 import documents_pb2
from vias.leverance.v1 import leverance_pb2
from vias.notifications.v1 import notifications_pb2
from vias.visitation.v1 import visitation_pb2


async def case_of(clients: Clients, inquiry_id: str, *, timeout: float = 30.0) -> Any:
    """The visitation case of an inquiry, once visitation has opened it."""

    async def probe() -> Any:
        try:
            return await clients.visitation.GetCaseByInquiry(
                visitation_pb2.GetCaseByInquiryRequest(inquiry_id=inquiry_id),
                metadata=clients.auth(),
                timeout=DEADLINE,
            )
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.NOT_FOUND
            return None

    return await eventually(probe, timeout=timeout)


async def notices_about(clients: Clients, consultant: str, case_id: str) -> list[Any]:
    """The consultant's notices about a case, as the consultant reads them."""
    reply = await clients.notifications.ListNotices(
        notifications_pb2.ListNoticesRequest(limit=500),
        metadata=clients.auth(user=consultant, role="consultant"),
        timeout=DEADLINE,
    )
    return [n for n in reply.notices if n.subject_id == case_id]


async def test_an_assigned_inquiry_opens_a_case_and_notifies_its_consultant(
    clients: Clients,
) -> None:
    inquiry = await clients.register(main_area="adults")
    assert inquiry.version == 1 and inquiry.status == "registered"
    await asyncio.sleep(0.5)
    assert (
        await clients.db("visitation").cases.count_documents({"inquiry_id": inquiry.inquiry_id})
        == 0
    )

    assigned = await clients.assign(inquiry.inquiry_id, consultant="consultant-7", on="2026-05-08")
    assert (assigned.version, assigned.status) == (2, "assigned")
    assert (assigned.consultant_id, assigned.distributed_on) == ("consultant-7", "2026-05-08")

    case = await case_of(clients, inquiry.inquiry_id)
    assert case.inquiry_id == inquiry.inquiry_id and case.consultant_id == "consultant-7"
    assert case.main_area == "adults" and case.status == "opened"

    notices = await eventually(lambda: notices_about(clients, case.consultant_id, case.case_id))
    assert len(notices) == 1
    assert notices[0].kind == "case_assigned"
    assert inquiry.inquiry_id in notices[0].text

    async def journal() -> list[str] | None:
        reply = await clients.documents.GetJournal(
            documents_pb2.GetJournalRequest(inquiry_id=inquiry.inquiry_id),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
        kinds = [e.kind for e in reply.entries if e.kind in ("inquiry_registered", "case_opened")]
        return kinds if len(kinds) == 2 else None

    assert sorted(await eventually(journal)) == ["case_opened", "inquiry_registered"]

    async def reference() -> Any:
        try:
            return await clients.leverance.GetCaseReference(
                leverance_pb2.GetCaseReferenceRequest(case_id=case.case_id),
                metadata=clients.auth(),
                timeout=DEADLINE,
            )
        except grpc.aio.AioRpcError:
            return None

    ref = await eventually(reference)
    assert (ref.inquiry_id, ref.consultant_id) == (inquiry.inquiry_id, case.consultant_id)


async def test_the_assignment_s_correlation_id_runs_through_the_events_it_caused(
    clients: Clients,
) -> None:
    inquiry = await clients.register_and_assign()
    case = await case_of(clients, inquiry.inquiry_id)
    rows = []
    for service in ("intake", "visitation"):
        query = {"key": {"$in": [inquiry.inquiry_id, case.case_id]}}
        rows += await clients.db(service).outbox.find(query).to_list()
    envelopes = {(e := json.loads(row["value"]))["type"]: e for row in rows}
    assert set(envelopes) == {
        "InquiryRegistered",
        "InquiryAssigned",
        "VisitationCaseOpened",
        "DeadlineSet",
    }
    assigned = envelopes["InquiryAssigned"]
    for caused in (envelopes["VisitationCaseOpened"], envelopes["DeadlineSet"]):
        assert caused["correlation_id"] == assigned["correlation_id"]
        assert caused["causation_id"] == assigned["event_id"]
    assert envelopes["InquiryRegistered"]["correlation_id"] != assigned["correlation_id"]


async def test_metrics_count_calls_and_events(clients: Clients) -> None:
    await clients.register_and_assign()
    intake = clients.metrics("intake")
    assert metric_value(intake, "vias_rpc_requests_total", method="RegisterInquiry", code="OK") >= 1
    assert "vias_rpc_latency_seconds_bucket" in intake
    assert "vias_outbox_backlog" in intake
    assert "vias_outbox_oldest_pending_age_seconds" in intake

    async def published() -> float:
        text = clients.metrics("intake")
        return metric_value(text, "vias_events_published_total", type="InquiryAssigned")

    assert await eventually(published) >= 1

    async def consumed() -> float:
        text = clients.metrics("visitation")
        return metric_value(
            text, "vias_events_consumed_total", type="InquiryAssigned", outcome="processed"
        )

    assert await eventually(consumed) >= 1
    # The only member of its group holds every partition of the topics it subscribes to.
    partitions = Settings().kafka_topic_partitions * len(VISITATION.subscribes_to)
    visitation = clients.metrics("visitation")
    held = metric_value(visitation, "vias_consumer_assigned_partitions", group="vias.visitation")
    assert held == partitions


@pytest.mark.parametrize(
    "service", ["intake", "visitation", "leverance", "documents", "notifications"]
)
async def test_every_service_reports_serving(clients: Clients, service: str) -> None:
    async with grpc.aio.insecure_channel(clients.platform.grpc_address(service)) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=DEADLINE
        )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_the_command_line_client_registers_assigns_and_reads_back(clients: Clients) -> None:
    platform = clients.platform

    def vias(*args: str) -> str:
        done = vias_command(platform, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    registered = json.loads(
        vias(
            "intake",
            "register",
            "--inquirer",
            "Vejle Kommune",
            "--main-area",
            "other",
            "--citizen",
            "C",
            "--cpr",
            fake_cpr(),
            "--description",
            "d",
        )
    )
    on = registered["distribution_date"]
    vias("intake", "assign", registered["inquiry_id"], "--consultant", "c-9", "--on", on)
    deadline = time.monotonic() + 30
    while True:
        try:
            case = json.loads(vias("visitation", "case", "--inquiry", registered["inquiry_id"]))
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert (case["inquiry_id"], case["consultant_id"]) == (registered["inquiry_id"], "c-9")
    inquiry_id = registered["inquiry_id"]

    def eventually_cli(check: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 30
        while not check():
            assert time.monotonic() < deadline, "not reached within 30 s"
            time.sleep(0.2)

    def case_notice_arrived() -> bool:
        as_consultant = ("--as-user", "c-9", "--as-role", "consultant")
        notices = json.loads(vias(*as_consultant, "notifications", "list")).get("notices", [])
        return any(n["kind"] == "case_assigned" for n in notices)

    def both_letters_recorded() -> bool:
        letters = json.loads(vias("notifications", "letters", "--inquiry", inquiry_id))
        return {x["letter_kind"] for x in letters.get("letters", [])} == {
            "receipt",
            "personal_data",
        }

    eventually_cli(case_notice_arrived)
    eventually_cli(both_letters_recorded)
    entry = json.loads(
        vias(
            "--as-user",
            "c-9",
            "--as-role",
            "consultant",
            "documents",
            "add",
            "--case",
            case["case_id"],
            "--inquiry",
            inquiry_id,
            "--kind",
            "other",
            "--title",
            "Notes from the first call",
        )
    )
    journal = json.loads(vias("documents", "journal", "--inquiry", inquiry_id))
    assert entry["entry_id"] in {e["entry_id"] for e in journal["entries"]}
