"""Every advisory service (H ch. 3) from registration to its end state, one case each, through
the services' gRPC APIs on the shared platform: phone advice closes as a contact inquiry; every
course ends finally closed in leverance and ended in intake, with its own checklist (two services
run by the central unit without a supplier, two with no advisory report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest

from tests.integration.caseflow_helpers import (
    SPECIALIST_STEPS,
    Flow,
    Suppliers,
    agreement_running,
    central_course,
    close_supplier_course,
    closing_meeting,
    form_case,
    handed_to_supplier,
    leverance_events,
    opened_case,
    proceed,
    refused,
    supplier_course,
)
from tests.support import DEADLINE, Clients
from vias.intake.v1 import intake_pb2
from vias.leverance.v1 import leverance_pb2 as lpb
from vias.visitation.v1 import visitation_pb2 as pb

REPORT = ("advisory_report", "Rådgivningsrapport", True)
CLOSING_NOTE = ("closing_summary_note", "Opsamlingsnotat fra afsluttende møde", True)
SLIDES = ("materials", "Slides og generelle anbefalinger", True)


def items(found: lpb.Course) -> list[str]:
    return [i.name for i in found.checklist.items]


async def test_phone_advice_is_registered_and_closed_with_its_outcome(clients: Clients) -> None:
    me = clients.auth(user="consultant-phone", role="consultant")
    inquiry = await clients.intake.RegisterContactInquiry(
        intake_pb2.RegisterContactInquiryRequest(
            channel="phone",
            main_area="adults",
            inquirer_type="relative",
            summary="Pårørende spurgte om støtte til en voksen med autisme",
            outcome="advised",
        ),
        metadata=me,
        timeout=DEADLINE,
    )
    assert (inquiry.kind, inquiry.status, inquiry.outcome) == ("phone", "closed", "advised")
    assert inquiry.requested_service == "phone" and inquiry.closed_at.seconds > 0


async def test_extended_phone_advice_from_a_phone_inquiry_to_its_closed_course(
    clients: Clients, suppliers: Suppliers
) -> None:
    flow = Flow(clients, suppliers)
    phone = await clients.intake.RegisterContactInquiry(
        intake_pb2.RegisterContactInquiryRequest(
            channel="phone",
            main_area="children_youth",
            inquirer_type="ppr",
            municipality_code="461",
            summary="PPR-psykolog ønsker viden om udredningsmetoder",
            outcome="offered_extended_phone_advice",
        ),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )
    assert phone.form_due
    created = await clients.intake.CreateInternalCase(
        intake_pb2.CreateInternalCaseRequest(
            kind="phone_extended",
            consultant_id=flow.consultant,
            main_area="children_youth",
            inquirer_type="ppr",
            inquirer_name="PPR Odense",
            municipality_code="461",
            description="Udvidet telefonrådgivning om udredningsmetoder",
            origin_inquiry_id=phone.inquiry_id,
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    case = await opened_case(flow, created.inquiry_id)
    assert "visitation.phone_extended_supplier_contact" in [d.rule for d in case.deadlines]
    await proceed(
        flow,
        "phone_extended",
        role="ppr",
        subject="anonymous",
        facts={"identifies_citizen": False},
    )
    closed = await supplier_course(
        flow,
        "phone_extended",
        documents=[("case_note", "Notat om temaet for rådgivningen", False)],
    )
    assert items(closed)[1] == "case_note_journaled"
    contacted = await clients.visitation.GetCase(
        pb.GetCaseRequest(case_id=flow.case_id), metadata=flow.as_consultant(), timeout=DEADLINE
    )
    [contact] = [
        d for d in contacted.deadlines if d.rule == "visitation.phone_extended_supplier_contact"
    ]
    assert contact.status == "met"


@dataclass(frozen=True)
class FormCourse:
    """A course asked for by the digital form and delivered by a supplier: how the consultant
    decides it, and what its closing asks for (H ch. 3)."""

    service: str
    role: str
    subject: str
    documents: tuple[tuple[str, str, bool], ...]
    facts: dict[str, bool] = field(default_factory=dict)
    area: str = "complex_problems"
    form: dict[str, Any] = field(default_factory=dict)
    consultant_attends: bool = False
    survey: bool = False


FORM_COURSES = (
    FormCourse(
        "citizen_course",
        "citizen",
        "individual",
        (REPORT,),
        facts={"municipal_efforts_ongoing": False},
        form={"main_area": "adults", "inquirer_type": "citizen"},
    ),
    FormCourse(
        "single_case",
        "authority_caseworker",
        "individual",
        (CLOSING_NOTE, REPORT),
        facts={"management_approved": True},
        survey=True,
    ),
    FormCourse(
        "mini_single_case",
        "authority_caseworker",
        "individual",
        (REPORT,),
        facts={"other_party_informed": True},
        form={"main_area": "special_education"},
    ),
    FormCourse(
        "mini_group_course",
        "offer_leader",
        "group",
        (SLIDES,),
        facts={"offer_has_operating_agreement": True},
        form={"inquirer_type": "municipal_offer", "citizen": False},
    ),
    FormCourse(
        "adoption_course",
        "authority_caseworker",
        "individual",
        (CLOSING_NOTE,),
        facts={"management_approved": True},
        area="complex_case_handling",
        form={"citizen": False},
        consultant_attends=True,
    ),
    FormCourse(
        "adoption_theme_days",
        "management",
        "group",
        (SLIDES, ("summary_paper", "Opsamlingspapir fra temadagene", True)),
        area="complex_case_handling",
        form={"citizen": False},
        consultant_attends=True,
    ),
)


@pytest.mark.parametrize("wanted", FORM_COURSES, ids=lambda c: c.service)
async def test_a_course_asked_for_by_form_closes_with_its_services_own_documents(
    clients: Clients, suppliers: Suppliers, wanted: FormCourse
) -> None:
    flow = Flow(clients, suppliers)
    await form_case(
        flow,
        wanted.service,
        role=wanted.role,
        subject=wanted.subject,
        facts=wanted.facts,
        area=wanted.area,
        **wanted.form,
    )
    closed = await supplier_course(
        flow,
        wanted.service,
        documents=wanted.documents,
        consultant_attended=wanted.consultant_attends,
    )
    asked = [f"{kind}_sent_and_journaled" for kind, _, _ in wanted.documents]
    assert items(closed) == ["closing_meeting_held", *asked, *SPECIALIST_STEPS]
    assert closed.consultant_attendance_required == wanted.consultant_attends
    surveys = await leverance_events(flow, "SatisfactionSurveyRequested")
    assert len(surveys) == int(wanted.survey)


async def test_a_group_course_needs_the_consultant_at_its_closing_meeting(
    clients: Clients, suppliers: Suppliers
) -> None:
    flow = Flow(clients, suppliers)
    await form_case(
        flow, "group_course", role="authority_caseworker", subject="group", citizen=False
    )
    await handed_to_supplier(flow)
    await agreement_running(flow)
    code = await refused(
        clients.leverance.RecordClosingMeeting,
        lpb.RecordClosingMeetingRequest(case_id=flow.case_id, held_on=flow.day),
        flow.as_specialist(),
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT, "the attendance must be recorded"
    with pytest.raises(grpc.aio.AioRpcError) as absent:
        await closing_meeting(flow, flow.as_specialist(), consultant_attended=False)
    assert absent.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "group_course" in (absent.value.details() or "")
    held = await closing_meeting(flow, flow.as_consultant(), consultant_attended=True)
    assert held.consultant_attended and held.consultant_attendance_required
    await close_supplier_course(flow, [CLOSING_NOTE, REPORT])
    [meeting] = await leverance_events(flow, "ClosingMeetingHeld")
    assert meeting["consultant_attended"] and meeting["consultant_attendance_required"]
    assert [g["result"] for g in meeting["goal_evaluations"]] == ["reached", "partly_reached"]
    assert len(await leverance_events(flow, "SatisfactionSurveyRequested")) == 1


async def test_a_theme_course_goes_to_a_supplier_on_its_themes_list_only(
    clients: Clients, suppliers: Suppliers
) -> None:
    flow = Flow(clients, suppliers)
    request = intake_pb2.CreateInternalCaseRequest(
        kind="theme_course",
        consultant_id=flow.consultant,
        main_area="children_youth",
        inquirer_type="municipal_administration",
        inquirer_name="Odense Kommune",
        municipality_code="461",
        description="Temaforløb om skolevægring",
        theme_id="school_refusal",
        supplier_id=suppliers.main,
    )
    code = await refused(clients.intake.CreateInternalCase, request, clients.auth())
    assert code == grpc.StatusCode.INVALID_ARGUMENT, "the supplier is not on the theme's list"
    request.supplier_id = suppliers.theme
    created = await clients.intake.CreateInternalCase(
        request, metadata=clients.auth(), timeout=DEADLINE
    )
    case = await opened_case(flow, created.inquiry_id)
    assert (case.procedure_supplier_id, case.theme_id) == (suppliers.theme, "school_refusal")
    await proceed(flow, "theme_course", role="authority_caseworker", subject="group")
    code = await refused(
        clients.visitation.OfferToSupplier,
        pb.OfferToSupplierRequest(
            case_id=flow.case_id, supplier_id=suppliers.main, justification="Billigst."
        ),
        flow.as_consultant(),
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    await handed_to_supplier(flow, suppliers.theme)
    await agreement_running(flow)
    await closing_meeting(flow, flow.as_specialist(), consultant_attended=False)
    closed = await close_supplier_course(
        flow, [("materials", "Slides og materialer fra temaforløbet", True)]
    )
    assert [p.supplier_id for p in closed.parts] == [suppliers.theme]


async def test_a_casework_course_is_run_by_the_consultant_without_a_supplier(
    clients: Clients, suppliers: Suppliers
) -> None:
    flow = Flow(clients, suppliers)
    await form_case(
        flow,
        "casework_course",
        role="authority_caseworker",
        subject="individual",
        facts={"management_approved": True, "citizen_acceptance": True},
        area="complex_case_handling",
        main_area="adults",
    )
    code = await refused(
        clients.visitation.OfferToSupplier,
        pb.OfferToSupplierRequest(
            case_id=flow.case_id, supplier_id=suppliers.main, justification="x"
        ),
        flow.as_consultant(),
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    closed = await central_course(
        flow,
        documents=[
            ("analysis_report", "Analyserapport", True),
            ("closing_note", "Afslutningsnotat", True),
        ],
    )
    assert closed.central_unit.delivered_by == flow.consultant and list(closed.parts) == []
    spending = await clients.leverance.GetSpending(
        lpb.GetSpendingRequest(year=int(flow.day[:4])),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )
    [adults] = [a for a in spending.areas if a.main_area == "adults"]
    assert float(adults.central_unit_hours) >= 7.5


async def test_a_mini_casework_course_is_delivered_by_a_named_viso_colleague(
    clients: Clients, suppliers: Suppliers
) -> None:
    flow = Flow(clients, suppliers)
    await form_case(
        flow,
        "mini_casework_course",
        role="authority_caseworker",
        subject="individual",
        facts={"management_informed": True, "citizen_acceptance": True},
        area="complex_case_handling",
        main_area="adults",
    )
    colleague = f"viso-specialist-{flow.suffix}"
    closed = await central_course(
        flow,
        documents=[("case_note", "Notat om temaerne for rådgivningen", False)],
        delivered_by=colleague,
    )
    assert closed.central_unit.delivered_by == colleague
    assert items(closed) == ["closing_meeting_held", "case_note_journaled"]
