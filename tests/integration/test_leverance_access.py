"""Suppliers see only their own: another supplier's things answer exactly like missing ones."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from services.kernel.envelope import new_id
from tests.integration.test_leverance import Case, line, new_supplier
from tests.support import DEADLINE, Clients, bad_fields, eventually
from vias.documents.v1 import documents_pb2
from vias.leverance.v1 import leverance_pb2 as pb


async def refusal(call: Any, request: Any, metadata: list[tuple[str, str]]) -> tuple[Any, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(request, metadata=metadata, timeout=DEADLINE)
    return caught.value.code(), caught.value.details() or ""


@pytest.fixture(scope="module")
async def two_suppliers(clients: Clients) -> tuple[Case, str]:
    """A running delivery of one supplier, and a second supplier with nothing on that case."""
    case = Case(clients, await new_supplier(clients))
    await case.hand_over()
    running = await case.start()
    await clients.leverance.LogConsumption(
        pb.LogConsumptionRequest(
            delivery_id=case.delivery_id,
            activity_id=running.versions[0].activities[0].activity_id,
            worked_on=running.clarifying_meeting_on,
            hours="1",
        ),
        metadata=case.as_specialist(),
        timeout=DEADLINE,
    )
    return case, await new_supplier(clients)


def outsider(clients: Clients, supplier_id: str, role: str = "specialist") -> list[tuple[str, str]]:
    return clients.auth(user="someone-else", role=role, supplier=supplier_id)


@pytest.mark.parametrize("role", ["specialist", "supplier_admin"])
async def test_another_suppliers_delivery_is_not_found_exactly_like_a_missing_one(
    clients: Clients, two_suppliers: tuple[Case, str], role: str
) -> None:
    case, other = two_suppliers
    them = outsider(clients, other, role)
    missing = new_id()
    for method in ("GetDelivery", "ListConsumption"):
        call = getattr(clients.leverance, method)

        def request(delivery_id: str, method: str = method) -> Any:
            if method == "GetDelivery":
                return pb.GetDeliveryRequest(delivery_id=delivery_id)
            return pb.ListConsumptionRequest(delivery_id=delivery_id)

        hidden = await refusal(call, request(case.delivery_id), them)
        absent = await refusal(call, request(missing), them)
        assert hidden[0] == absent[0] == grpc.StatusCode.NOT_FOUND
        assert hidden[1].replace(case.delivery_id, "<id>") == absent[1].replace(missing, "<id>")


async def test_another_suppliers_specialist_cannot_act_on_the_delivery(
    clients: Clients, two_suppliers: tuple[Case, str]
) -> None:
    case, other = two_suppliers
    them = outsider(clients, other)
    code, details = await refusal(
        clients.leverance.LogConsumption,
        pb.LogConsumptionRequest(
            delivery_id=case.delivery_id, activity_id="A1", worked_on="2026-01-01", hours="1"
        ),
        them,
    )
    assert code == grpc.StatusCode.NOT_FOUND and case.delivery_id in details
    code, _ = await refusal(
        clients.leverance.ProposeChange,
        pb.ProposeAgreementRequest(delivery_id=case.delivery_id, activities=[line("closing", "1")]),
        them,
    )
    assert code == grpc.StatusCode.NOT_FOUND


async def test_every_step_on_another_suppliers_case_answers_like_a_missing_one_and_changes_nothing(
    clients: Clients, two_suppliers: tuple[Case, str]
) -> None:
    case, other = two_suppliers
    them = outsider(clients, other)
    admin = outsider(clients, other, "supplier_admin")
    before_delivery = await case.call("GetDelivery", case.as_consultant())
    before_course = await case.course()
    on_delivery = [
        (
            clients.leverance.ConfirmClosingStep,
            pb.ConfirmClosingStepRequest,
            {"step": "working_papers_destroyed"},
        ),
        (clients.leverance.SubmitFinancialStatement, pb.SubmitFinancialStatementRequest, {}),
        (clients.leverance.ProposeAgreement, pb.ProposeAgreementRequest, {}),
    ]
    on_case: list[tuple[Any, Any, dict[str, Any]]] = [
        (
            clients.leverance.InterruptCourse,
            pb.InterruptCourseRequest,
            {"reason": "basis_gone", "note": "x"},
        ),
        (
            clients.leverance.RecordClosingMeeting,
            pb.RecordClosingMeetingRequest,
            {"held_on": "2026-01-05", "consultant_attended": True},
        ),
        (
            clients.leverance.BookAnchoringActivity,
            pb.BookAnchoringActivityRequest,
            {"kind": "anchoring_meeting", "on": "2026-03-02"},
        ),
        (
            clients.leverance.RecordAnchoringActivityHeld,
            pb.RecordAnchoringActivityHeldRequest,
            {"activity_id": "F1"},
        ),
        (
            clients.leverance.RecordAnchoringAgendaSent,
            pb.RecordAnchoringAgendaSentRequest,
            {"activity_id": "F1"},
        ),
    ]
    for calls, field, real in (
        (on_delivery, "delivery_id", case.delivery_id),
        (on_case, "case_id", case.case_id),
    ):
        for call, request_type, extra in calls:
            missing = new_id()
            hidden = await refusal(call, request_type(**{field: real}, **extra), them)
            absent = await refusal(call, request_type(**{field: missing}, **extra), them)
            assert hidden[0] == absent[0] == grpc.StatusCode.NOT_FOUND, call
            assert hidden[1].replace(real, "<id>") == absent[1].replace(missing, "<id>")
    missing = f"supplier-{new_id()[:8]}"
    for supplier_id in (case.supplier_id, missing):
        code, details = await refusal(
            clients.leverance.SetSpecialist,
            pb.SetSpecialistRequest(
                supplier_id=supplier_id,
                specialist=pb.Specialist(specialist_id="intruder", name="X", role="specialist"),
            ),
            admin,
        )
        assert code == grpc.StatusCode.NOT_FOUND
        assert details.replace(supplier_id, "<id>") == "supplier '<id>' not found"
    after_delivery = await case.call("GetDelivery", case.as_consultant())
    assert after_delivery.version == before_delivery.version
    assert (await case.course()).version == before_course.version
    supplier = await clients.leverance.GetSupplier(
        pb.GetSupplierRequest(supplier_id=case.supplier_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert "intruder" not in [s.specialist_id for s in supplier.specialists]


async def test_another_suppliers_course_and_settlement_are_not_found(
    clients: Clients, two_suppliers: tuple[Case, str]
) -> None:
    case, other = two_suppliers
    them = outsider(clients, other, "supplier_admin")
    hidden = await refusal(
        clients.leverance.GetCourse, pb.GetCourseRequest(case_id=case.case_id), them
    )
    missing = new_id()
    absent = await refusal(clients.leverance.GetCourse, pb.GetCourseRequest(case_id=missing), them)
    assert hidden[0] == absent[0] == grpc.StatusCode.NOT_FOUND
    assert hidden[1].replace(case.case_id, "<id>") == absent[1].replace(missing, "<id>")

    await clients.leverance.CreateMonthlySettlement(
        pb.CreateMonthlySettlementRequest(supplier_id=case.supplier_id, month="2020-01"),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    settlement = pb.GetSettlementRequest(supplier_id=case.supplier_id, month="2020-01")
    assert (
        await clients.leverance.GetSettlement(
            settlement,
            metadata=outsider(clients, case.supplier_id, "supplier_admin"),
            timeout=DEADLINE,
        )
    ).month == "2020-01"
    hidden = await refusal(clients.leverance.GetSettlement, settlement, them)
    absent = await refusal(
        clients.leverance.GetSettlement,
        pb.GetSettlementRequest(supplier_id=case.supplier_id, month="2020-02"),
        them,
    )
    assert hidden[0] == absent[0] == grpc.StatusCode.NOT_FOUND
    assert hidden[1].replace("2020-01", "<m>") == absent[1].replace("2020-02", "<m>")


async def test_listing_deliveries_shows_a_supplier_only_its_own(
    clients: Clients, two_suppliers: tuple[Case, str]
) -> None:
    case, other = two_suppliers
    mine = await clients.leverance.ListDeliveries(
        pb.ListDeliveriesRequest(case_id=case.case_id),
        metadata=case.as_specialist(),
        timeout=DEADLINE,
    )
    assert [d.delivery_id for d in mine.deliveries] == [case.delivery_id]
    for request in (
        pb.ListDeliveriesRequest(case_id=case.case_id),
        pb.ListDeliveriesRequest(supplier_id=case.supplier_id),
    ):
        theirs = await clients.leverance.ListDeliveries(
            request, metadata=outsider(clients, other), timeout=DEADLINE
        )
        assert list(theirs.deliveries) == []


async def test_a_supplier_reads_its_own_supplier_only(
    clients: Clients, two_suppliers: tuple[Case, str]
) -> None:
    case, other = two_suppliers
    own = await clients.leverance.GetSupplier(
        pb.GetSupplierRequest(supplier_id=other),
        metadata=outsider(clients, other, "supplier_admin"),
        timeout=DEADLINE,
    )
    assert own.supplier_id == other
    them = outsider(clients, other, "supplier_admin")
    hidden = await refusal(
        clients.leverance.GetSupplier, pb.GetSupplierRequest(supplier_id=case.supplier_id), them
    )
    missing = f"supplier-{new_id()[:8]}"
    absent = await refusal(
        clients.leverance.GetSupplier, pb.GetSupplierRequest(supplier_id=missing), them
    )
    assert hidden[0] == absent[0] == grpc.StatusCode.NOT_FOUND
    assert hidden[1].replace(case.supplier_id, "<id>") == absent[1].replace(missing, "<id>")


async def test_suppliers_cannot_approve_or_manage_suppliers(
    clients: Clients, two_suppliers: tuple[Case, str]
) -> None:
    case, _ = two_suppliers
    code, _ = await refusal(
        clients.leverance.ApproveAgreement,
        pb.ApproveAgreementRequest(delivery_id=case.delivery_id),
        case.as_specialist(),
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    code, _ = await refusal(
        clients.leverance.SaveSupplier,
        pb.SaveSupplierRequest(supplier_id=case.supplier_id, name="x", kind="private"),
        case.as_specialist(),
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED


async def test_a_specialist_journals_only_onto_a_case_of_their_own_supplier(
    clients: Clients, two_suppliers: tuple[Case, str]
) -> None:
    case, other = two_suppliers

    def report(case_id: str, inquiry_id: str = "") -> Any:
        return documents_pb2.JournalDocumentRequest(
            case_id=case_id,
            inquiry_id=inquiry_id,
            kind="closing_summary_note",
            title="Opsamlingsnotat fra afsluttende møde",
            sent_to=["Vejle Kommune"],
        )

    them = outsider(clients, other)
    missing = new_id()
    hidden = await refusal(clients.documents.JournalDocument, report(case.case_id), them)
    absent = await refusal(clients.documents.JournalDocument, report(missing), them)
    assert hidden[0] == absent[0] == grpc.StatusCode.NOT_FOUND
    assert hidden[1].replace(case.case_id, "<id>") == absent[1].replace(missing, "<id>")
    documents = clients.db("documents")
    assert await documents.journal.count_documents({"case_id": case.case_id}) == 0
    assert await documents.outbox.count_documents({"key": case.case_id}) == 0

    # The case's own specialist journals it; without an inquiry id it lands on the case's inquiry,
    # and a wrong one is refused rather than written into another inquiry's journal.
    async def journaled() -> Any:
        try:
            return await clients.documents.JournalDocument(
                report(case.case_id), metadata=case.as_specialist(), timeout=DEADLINE
            )
        except grpc.aio.AioRpcError as error:  # documents may not have seen the hand-over yet
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
            return None

    entry = await eventually(journaled)
    journal = await clients.documents.GetJournal(
        documents_pb2.GetJournalRequest(inquiry_id=case.inquiry_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert entry.entry_id in [e.entry_id for e in journal.entries]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await clients.documents.JournalDocument(
            report(case.case_id, new_id()), metadata=case.as_specialist(), timeout=DEADLINE
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == {"inquiry_id"}
    assert await documents.journal.count_documents({"case_id": case.case_id}) == 1
