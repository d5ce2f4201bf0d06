"""Shared steps of the per-service end-to-end tests: one case from registration to its advisory
service's end state through the services' gRPC APIs, on the shared test platform.

Every step happens today (Danish time): first contact, decision, offer, clarifying meeting,
consumption and closing meeting, so the dates the services check against each other line up.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import grpc

from services.kernel.envelope import new_id
from tests.integration.documents_helpers import final_advisory_report
from tests.integration.test_course_end_to_end import CSV_HEADER, distribution_day, today
from tests.integration.test_leverance import DESCRIPTION
from tests.integration.test_walking_skeleton import case_of
from tests.integration.visitation_helpers import call, staff, supplier_staff
from tests.support import DEADLINE, Clients, eventually, fake_cpr
from vias.documents.v1 import documents_pb2
from vias.intake.v1 import intake_pb2
from vias.leverance.v1 import leverance_pb2 as lpb
from vias.visitation.v1 import visitation_pb2 as pb

TARGET_GROUP = "autism_spectrum"
AREAS = ("adults", "children_youth", "special_education", "other")
SUPPLIER_SERVICES = (
    "phone_extended",
    "citizen_course",
    "single_case",
    "mini_single_case",
    "group_course",
    "mini_group_course",
    "theme_course",
    "adoption_course",
    "adoption_theme_days",
)
THEME_SUPPLIER = "tema-nord"
"""On the list of the theme "school_refusal" in tests/integration/themes.json, which the test
platform loads (VIAS_INTAKE_THEMES_FILE)."""


@dataclass(frozen=True)
class Suppliers:
    """The contracted suppliers of the module: one covering every service in every main area,
    and the theme course's supplier from the theme list; each with one trained specialist."""

    main: str
    theme: str

    def specialist(self, supplier_id: str) -> str:
        return f"spec-{supplier_id}"


def _rows(supplier_id: str, name: str, services: Sequence[str]) -> list[str]:
    valid = f"{(today() - timedelta(days=400)).isoformat()},{today() + timedelta(days=900)}"
    return [
        f"{supplier_id},{name},self_owning,nej,true,,,Odense,461,50,"
        f"{supplier_id}-{area},{area},{';'.join(services)},{valid},0,120,{TARGET_GROUP},,"
        "800.00,3.50,400.00"
        for area in AREAS
    ]


async def contracted_suppliers(clients: Clients) -> Suppliers:
    """Import the suppliers (CSV), list their trained specialists, and wait until visitation's
    read model holds both with their specialists."""
    found = Suppliers(main=f"caseflow-{new_id()[:8]}", theme=THEME_SUPPLIER)
    rows = [
        *_rows(found.main, "Specialcenter Fyn", SUPPLIER_SERVICES),
        *_rows(found.theme, "Temacenter Nord", ("theme_course",)),
    ]
    await clients.leverance.ImportSuppliers(
        lpb.ImportSuppliersRequest(csv_text="\n".join([CSV_HEADER, *rows])),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    for supplier_id in (found.main, found.theme):
        await clients.leverance.SetSpecialist(
            lpb.SetSpecialistRequest(
                supplier_id=supplier_id,
                specialist=lpb.Specialist(
                    specialist_id=found.specialist(supplier_id),
                    name="Sofie Specialist",
                    role="specialist",
                    training=[lpb.TrainingModule(module="VISO intro", status="completed")],
                ),
            ),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )

    async def known() -> bool:
        profiles = clients.db("visitation").suppliers.find(
            {"_id": {"$in": [found.main, found.theme]}}, {"specialist_ids": 1}
        )
        listed = [p async for p in profiles if p.get("specialist_ids")]
        return len(listed) == 2

    await eventually(known)
    return found


@dataclass
class Flow:
    """One case on its way, and the people acting on it."""

    clients: Clients
    suppliers: Suppliers
    supplier_id: str = ""
    suffix: str = field(default_factory=lambda: new_id()[:8])
    inquiry_id: str = ""
    case_id: str = ""
    delivery_id: str = ""

    @property
    def consultant(self) -> str:
        return f"consultant-{self.suffix}"

    def as_consultant(self) -> list[tuple[str, str]]:
        return staff(self.clients, self.consultant)

    def as_specialist(self) -> list[tuple[str, str]]:
        supplier = self.supplier_id or self.suppliers.main
        return supplier_staff(self.clients, self.suppliers.specialist(supplier), supplier)

    @property
    def day(self) -> str:
        return today().isoformat()


def form(
    service: str,
    *,
    main_area: str = "children_youth",
    inquirer_type: str = "municipal_administration",
    citizen: bool = True,
) -> intake_pb2.RegisterInquiryRequest:
    """The digital form asking for a service; an adult citizen who consents when the service is
    about one."""
    private = inquirer_type in ("citizen", "relative")
    citizens = []
    if citizen:
        consent = intake_pb2.Consent(basis="consent", citizen_consented=True)
        citizens = [intake_pb2.Citizen(name="Test Borger", cpr=fake_cpr(), consent=consent)]
    return intake_pb2.RegisterInquiryRequest(
        inquirer_name="Borger" if private else "Odense Kommune",
        main_area=main_area,
        description=f"Henvendelse om {service}",
        requested_service=service,
        management_approved=True,
        target_groups=[TARGET_GROUP],
        inquirer=intake_pb2.InquirerDetails(
            type=inquirer_type,
            organisation="" if private else "Odense Kommune",
            municipality_code="461",
            email="henvender@example.dk",
        ),
        citizens=citizens,
    )


async def registered_case(flow: Flow, request: intake_pb2.RegisterInquiryRequest) -> Any:
    """Registered from the form, assigned from the last distribution list: the visitation case."""
    clients = flow.clients
    inquiry = await clients.intake.RegisterInquiry(
        request, metadata=clients.auth(), timeout=DEADLINE
    )
    # The consultant's steps are dated up to today, so the list is the last one, not the next.
    distributed = distribution_day(today(), -1).isoformat()
    await clients.put_on_list(inquiry.inquiry_id, distributed)
    await clients.intake.AssignInquiry(
        intake_pb2.AssignInquiryRequest(
            inquiry_id=inquiry.inquiry_id,
            consultant_id=flow.consultant,
            consultant_name="Karen Konsulent",
            distributed_on=distributed,
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    return await opened_case(flow, inquiry.inquiry_id)


async def opened_case(flow: Flow, inquiry_id: str) -> Any:
    """The visitation case opened for an assigned inquiry."""
    flow.inquiry_id = inquiry_id
    case = await case_of(flow.clients, inquiry_id)
    flow.case_id = case.case_id
    return case


async def proceed(
    flow: Flow,
    service: str,
    *,
    role: str,
    subject: str,
    facts: dict[str, bool] | None = None,
    area: str = "complex_problems",
) -> Any:
    """The consultant's first contact and the decision to advise with the service."""
    me = flow.as_consultant()
    await call(
        flow.clients.visitation.RecordFirstContact,
        pb.RecordFirstContactRequest(case_id=flow.case_id, contacted_on=flow.day),
        me,
    )
    case = await call(
        flow.clients.visitation.ProceedWithService,
        pb.ProceedWithServiceRequest(
            case_id=flow.case_id,
            service_id=service,
            inquirer_role=role,
            subject=subject,
            facts=facts or {},
            complexity_areas=[area],
            reasoning=f"VISO rådgiver med {service}.",
        ),
        me,
    )
    assert case.status == "proceeding", case.status
    return case


async def form_case(
    flow: Flow,
    service: str,
    *,
    role: str,
    subject: str,
    facts: dict[str, bool] | None = None,
    area: str = "complex_problems",
    **form_fields: Any,
) -> Any:
    """Asked for by the digital form, registered, assigned and visited: the case proceeding
    with the service."""
    await registered_case(flow, form(service, **form_fields))
    return await proceed(flow, service, role=role, subject=subject, facts=facts, area=area)


async def handed_to_supplier(flow: Flow, supplier_id: str | None = None) -> Any:
    """Offered to the supplier, accepted, the clarifying meeting booked and held: the course
    leverance opened from the hand-over (its delivery)."""
    flow.supplier_id = supplier_id or flow.suppliers.main
    visitation = flow.clients.visitation
    offer = await call(
        visitation.OfferToSupplier,
        pb.OfferToSupplierRequest(
            case_id=flow.case_id, supplier_id=flow.supplier_id, justification="Dækker området."
        ),
        flow.as_consultant(),
    )
    them = flow.as_specialist()
    await call(
        visitation.AnswerOffer, pb.AnswerOfferRequest(offer_id=offer.offer_id, accept=True), them
    )
    await call(
        visitation.RecordInquirerContact,
        pb.RecordInquirerContactRequest(
            offer_id=offer.offer_id, contacted_on=flow.day, meeting_on=flow.day
        ),
        them,
    )
    held = await call(
        visitation.RecordClarifyingMeeting,
        pb.RecordClarifyingMeetingRequest(
            offer_id=offer.offer_id, held_on=flow.day, citizen_attended=True
        ),
        them,
    )
    assert held.status == "handed_over", held.status

    async def delivery() -> Any:
        reply = await flow.clients.leverance.ListDeliveries(
            lpb.ListDeliveriesRequest(case_id=flow.case_id),
            metadata=flow.as_consultant(),
            timeout=DEADLINE,
        )
        return reply.deliveries[0] if reply.deliveries else None

    found = await eventually(delivery)
    flow.delivery_id = found.delivery_id
    return found


async def handed_single_case(flow: Flow) -> Flow:
    """The flow's single-case course about an individual, approved by management and handed
    to the main supplier."""
    await form_case(
        flow,
        "single_case",
        role="authority_caseworker",
        subject="individual",
        facts={"management_approved": True},
    )
    await handed_to_supplier(flow)
    return flow


async def agreement_running(flow: Flow) -> Any:
    """The specialist proposes the agreement, the consultant approves it, the specialist logs
    the first hours."""
    leverance = flow.clients.leverance
    await leverance.ProposeAgreement(
        lpb.ProposeAgreementRequest(
            delivery_id=flow.delivery_id,
            activities=[
                lpb.ActivityInput(kind="visitation", hours="2", planned_on=flow.day),
                lpb.ActivityInput(kind="special_advice", hours="6", planned_on=flow.day),
            ],
            description=DESCRIPTION,
        ),
        metadata=flow.as_specialist(),
        timeout=DEADLINE,
    )
    approved = await leverance.ApproveAgreement(
        lpb.ApproveAgreementRequest(delivery_id=flow.delivery_id),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )
    assert approved.status == "running", approved.status
    await leverance.LogConsumption(
        lpb.LogConsumptionRequest(
            delivery_id=flow.delivery_id, activity_id="A1", worked_on=flow.day, hours="2"
        ),
        metadata=flow.as_specialist(),
        timeout=DEADLINE,
    )
    return approved


def evaluations(goals: Sequence[str] = DESCRIPTION.goals) -> list[lpb.GoalEvaluation]:
    """Every goal evaluated: the first reached, any others partly."""
    results = ["reached", *["partly_reached"] * (len(goals) - 1)]
    return [
        lpb.GoalEvaluation(goal=goal, result=result, comment="Drøftet på mødet")
        for goal, result in zip(goals, results, strict=True)
    ]


async def closing_meeting(
    flow: Flow, metadata: list[tuple[str, str]], *, consultant_attended: bool
) -> Any:
    """The closing meeting with every goal evaluated."""
    return await flow.clients.leverance.RecordClosingMeeting(
        lpb.RecordClosingMeetingRequest(
            case_id=flow.case_id,
            held_on=flow.day,
            goal_evaluations=evaluations(),
            consultant_attended=consultant_attended,
        ),
        metadata=metadata,
        timeout=DEADLINE,
    )


async def refused(method: Any, request: Any, metadata: list[tuple[str, str]]) -> grpc.StatusCode:
    """The status code a call is refused with."""
    try:
        await method(request, metadata=metadata, timeout=DEADLINE)
    except grpc.aio.AioRpcError as error:
        return error.code()
    raise AssertionError("the call succeeded")


async def journal(
    flow: Flow, metadata: list[tuple[str, str]], kind: str, title: str, *, sent: bool = True
) -> None:
    """Journal a document on the case (retried while documents has not yet seen the hand-over
    that lets the supplier's specialist journal on it); an advisory report is made and
    finalised in VIAS."""
    if kind == "advisory_report":
        await final_advisory_report(flow.clients, flow.case_id, metadata, sent=sent)
        return

    async def attempt() -> bool:
        try:
            await flow.clients.documents.JournalDocument(
                documents_pb2.JournalDocumentRequest(
                    case_id=flow.case_id,
                    inquiry_id=flow.inquiry_id,
                    kind=kind,
                    title=title,
                    reference=f"F2-{flow.suffix}",
                    sent_to=["Odense Kommune"] if sent else [],
                ),
                metadata=metadata,
                timeout=DEADLINE,
            )
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
            return False
        return True

    await eventually(attempt)


async def course(flow: Flow) -> lpb.Course:
    return await flow.clients.leverance.GetCourse(  # type: ignore[no-any-return]
        lpb.GetCourseRequest(case_id=flow.case_id), metadata=flow.as_consultant(), timeout=DEADLINE
    )


async def documents_ticked(flow: Flow, *steps_left: str) -> lpb.Course:
    """The course once every journaled document ticked its checklist item (leverance learns of
    them from documents' events); `steps_left` are the items still to do."""

    async def ticked() -> Any:
        found = await course(flow)
        return found if set(found.checklist.missing) <= set(steps_left) else None

    found: lpb.Course = await eventually(ticked)
    return found


SPECIALIST_STEPS = ("recipient_registration_checked", "working_papers_destroyed")


async def close_supplier_course(
    flow: Flow, documents: Sequence[tuple[str, str, bool]]
) -> lpb.Course:
    """The specialist journals the service's documents (kind, title, sent) and closes the
    delivery; the consultant approves the statement: the course is finally closed."""
    leverance = flow.clients.leverance
    for kind, title, sent in documents:
        await journal(flow, flow.as_specialist(), kind, title, sent=sent)
    await documents_ticked(flow, *SPECIALIST_STEPS)
    for step in SPECIALIST_STEPS:
        await leverance.ConfirmClosingStep(
            lpb.ConfirmClosingStepRequest(delivery_id=flow.delivery_id, step=step),
            metadata=flow.as_specialist(),
            timeout=DEADLINE,
        )
    await leverance.SubmitFinancialStatement(
        lpb.SubmitFinancialStatementRequest(delivery_id=flow.delivery_id),
        metadata=flow.as_specialist(),
        timeout=DEADLINE,
    )
    closed = await leverance.ApproveFinancialStatement(
        lpb.ApproveFinancialStatementRequest(delivery_id=flow.delivery_id),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )
    assert closed.status == "closed", closed.status
    return await course_closed(flow)


async def course_closed(flow: Flow) -> lpb.Course:
    """The finally closed course, and the inquiry intake learnt has ended (H 4.2)."""
    found = await course(flow)
    assert found.status == "closed" and found.closed_at.seconds > 0, found.status

    async def ended() -> bool:
        inquiry = await flow.clients.intake.GetInquiry(
            intake_pb2.GetInquiryRequest(inquiry_id=flow.inquiry_id),
            metadata=flow.clients.auth(),
            timeout=DEADLINE,
        )
        return bool(inquiry.status == "course_ended")

    await eventually(ended)
    return found


async def leverance_events(flow: Flow, event_type: str) -> list[dict[str, Any]]:
    """Payloads of leverance's outbox events of one type about the case."""
    rows = await (
        flow.clients.db("leverance")
        .outbox.find({"key": flow.case_id, "type": event_type})
        .to_list()
    )
    return [json.loads(row["value"])["payload"] for row in rows]


async def supplier_course(
    flow: Flow,
    service: str,
    *,
    documents: Sequence[tuple[str, str, bool]],
    consultant_attended: bool = False,
) -> lpb.Course:
    """From the hand-over to a supplier to the closed course: agreement, hours, the closing
    meeting recorded by the specialist, the service's documents, statement and approval."""
    await handed_to_supplier(flow)
    await agreement_running(flow)
    held = await closing_meeting(
        flow, flow.as_specialist(), consultant_attended=consultant_attended
    )
    assert [g.result for g in held.goal_evaluations] == ["reached", "partly_reached"]
    closed = await close_supplier_course(flow, documents)
    assert closed.service == service
    [event] = await leverance_events(flow, "CourseClosed")
    assert (event["goals_reached"], event["goals_partly_reached"]) == (1, 1)
    return closed


async def central_course(
    flow: Flow,
    *,
    documents: Sequence[tuple[str, str, bool]],
    delivered_by: str = "",
) -> lpb.Course:
    """The central unit runs the course itself: after its clarifying meeting the consultant
    plans it, whoever delivers logs the hours and records the closing meeting, the consultant
    journals the service's documents and closes it."""
    clients, me = flow.clients, flow.as_consultant()
    handed = await call(
        clients.visitation.RecordCentralClarifyingMeeting,
        pb.RecordCentralClarifyingMeetingRequest(
            case_id=flow.case_id, held_on=flow.day, citizen_attended=True, delivered_by=delivered_by
        ),
        me,
    )
    assert handed.status == "handed_over" and handed.central_unit.delivered_by

    async def opened() -> Any:
        try:
            return await course(flow)
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.NOT_FOUND
            return None

    waiting = await eventually(opened)
    assert (waiting.status, list(waiting.parts)) == ("awaiting_agreement", [])
    await clients.leverance.StartCentralCourse(
        lpb.StartCentralCourseRequest(
            case_id=flow.case_id, description=DESCRIPTION, planned_hours="20"
        ),
        metadata=me,
        timeout=DEADLINE,
    )
    deliverer = staff(clients, delivered_by or flow.consultant)
    logged = await clients.leverance.LogCentralHours(
        lpb.LogCentralHoursRequest(
            case_id=flow.case_id, activity_kind="special_advice", worked_on=flow.day, hours="7.5"
        ),
        metadata=deliverer,
        timeout=DEADLINE,
    )
    assert logged.central_unit.logged_hours == "7.50"
    await closing_meeting(flow, deliverer, consultant_attended=True)
    for kind, title, sent in documents:
        await journal(flow, me, kind, title, sent=sent)
    await documents_ticked(flow)
    await clients.leverance.CloseCentralCourse(
        lpb.CloseCentralCourseRequest(case_id=flow.case_id), metadata=me, timeout=DEADLINE
    )
    closed = await course_closed(flow)
    [event] = await leverance_events(flow, "CourseClosed")
    assert (event["delivered_by"], event["central_unit_hours"]) == ("central_unit", "7.50")
    return closed
