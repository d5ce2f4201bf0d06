"""Concern reports over gRPC on the real database and broker: a child's report drafted by
supplier A's specialist is invisible to supplier B, co-signed by the consultant, released once
(rendered, journaled, announced), its receipt and the Ankestyrelsen step recorded."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from tests.integration.caseflow_helpers import (
    Flow,
    Suppliers,
    handed_single_case,
)
from tests.integration.documents_helpers import downloaded, once_known, pdf_text
from tests.integration.mail_helpers import attached_pdfs, received_async
from tests.integration.visitation_helpers import supplier_staff
from tests.support import DEADLINE, Clients, eventually
from vias.documents.v1 import concern_pb2 as cpb
from vias.documents.v1 import concern_pb2_grpc
from vias.documents.v1 import documents_pb2 as dpb
from vias.notifications.v1 import notifications_pb2 as npb

OBSERVATION = "Drengen fortæller om slag derhjemme."


@pytest.fixture(scope="module")
async def concerns(clients: Clients) -> AsyncIterator[concern_pb2_grpc.ConcernReportsServiceStub]:
    channel = grpc.aio.insecure_channel(clients.platform.grpc_address("documents"))
    try:
        yield concern_pb2_grpc.ConcernReportsServiceStub(channel)
    finally:
        await channel.close()


async def refused(call: Any, request: Any, metadata: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(request, metadata=metadata, timeout=DEADLINE)
    code: grpc.StatusCode = caught.value.code()
    return code


async def test_a_childs_report_by_supplier_a_is_hidden_from_b_and_released_once_co_signed(
    clients: Clients,
    suppliers: Suppliers,
    concerns: concern_pb2_grpc.ConcernReportsServiceStub,
) -> None:
    flow = await handed_single_case(Flow(clients, suppliers))
    specialist = flow.as_specialist()
    theirs = supplier_staff(clients, suppliers.specialist(suppliers.theme), suppliers.theme)
    draft = await once_known(
        lambda: concerns.DraftConcernReport(
            cpb.DraftConcernReportRequest(
                case_id=flow.case_id,
                subject="child",
                recipients=["municipality"],
                municipality_code="461",
                facts="Drengen er 9 år og går i 3. klasse.",
                viso_task="Rådgivning om undervisningen.",
                observations=OBSERVATION,
            ),
            metadata=specialist,
            timeout=DEADLINE,
        )
    )
    assert draft.status == "draft" and draft.supplier_id == flow.supplier_id
    for call, request in (
        (concerns.GetConcernReport, cpb.GetConcernReportRequest(report_id=draft.report_id)),
        (concerns.ListConcernReports, cpb.ListConcernReportsRequest(case_id=flow.case_id)),
    ):
        assert await refused(call, request, theirs) == grpc.StatusCode.NOT_FOUND
    assert (
        await refused(
            concerns.CoSignConcernReport,
            cpb.CoSignConcernReportRequest(report_id=draft.report_id),
            theirs,
        )
        == grpc.StatusCode.PERMISSION_DENIED
    )

    released = await concerns.CoSignConcernReport(
        cpb.CoSignConcernReportRequest(report_id=draft.report_id),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )
    assert released.status == "released" and released.cosigned_by == flow.consultant
    assert (
        await refused(
            concerns.CoSignConcernReport,
            cpb.CoSignConcernReportRequest(report_id=draft.report_id),
            flow.as_consultant(),
        )
        == grpc.StatusCode.FAILED_PRECONDITION
    )
    outbox = clients.db("documents").outbox
    rows = await outbox.find({"type": "ConcernReportReleased", "key": flow.case_id}).to_list()
    payloads = [json.loads(r["value"])["payload"] for r in rows]
    assert [p["report_id"] for p in payloads] == [draft.report_id]
    assert OBSERVATION not in rows[0]["value"], "the text stays out of events"

    text = pdf_text(await downloaded(clients, released.document_id, flow.as_consultant()))
    delivery_id = f"{json.loads(rows[0]['value'])['event_id']}:0"

    async def mailed() -> list[Any]:
        return await received_async(clients.platform, lambda m: m["X-VIAS-Delivery"] == delivery_id)

    [mail] = await eventually(mailed, timeout=60)
    assert mail["To"].endswith("<underretning@odense.dk>")
    [payload] = attached_pdfs(mail)
    assert OBSERVATION in pdf_text(payload)
    assert "Underretning til kommunen" in text and OBSERVATION in text
    assert f"Medunderskrevet af fagkonsulent {flow.consultant}" in text

    async def told() -> bool:
        listed = await clients.notifications.ListNotices(
            npb.ListNoticesRequest(case_id=flow.case_id), metadata=specialist, timeout=DEADLINE
        )
        return any(n.kind == "concern_report" and "sendt" in n.text for n in listed.notices)

    await eventually(told)
    got = await concerns.RecordConcernReportReceipt(
        cpb.RecordConcernReportReceiptRequest(report_id=draft.report_id, reference="UND-2026-17"),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert got.status == "received"
    stepped = await concerns.RecordAnkestyrelsenStep(
        cpb.RecordAnkestyrelsenStepRequest(
            report_id=draft.report_id, notified=False, manager_consulted="Leder Lise"
        ),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )
    assert stepped.ankestyrelsen.manager_consulted == "Leder Lise"
    assert len(await mailed()) == 1, "the report reached the mailbox exactly once"
    journal = await clients.documents.GetJournal(
        dpb.GetJournalRequest(case_id=flow.case_id),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )
    kinds = {e.kind for e in journal.entries}
    assert {"concern_report_drafted", "concern_report_released", "concern_report"} <= kinds
    assert not any(OBSERVATION in e.text for e in journal.entries)
    audit = clients.db("documents").audit_trail
    before = await audit.count_documents({"item_id": draft.report_id})
    assert before >= 1, "the co-signing consultant was shown the text"
    await concerns.GetConcernReport(
        cpb.GetConcernReportRequest(report_id=draft.report_id),
        metadata=specialist,
        timeout=DEADLINE,
    )
    assert await audit.count_documents({"item_id": draft.report_id}) == before + 1
