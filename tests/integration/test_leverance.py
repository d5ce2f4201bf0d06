"""Leverance end to end: real services, broker and database; the course starts from a hand-over."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import pytest

from services.contracts.visitation import CaseHandedToLeverance
from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.topics import events_topic
from services.leverance.domain.supplier_csv import COLUMNS
from tests.integration.documents_helpers import final_advisory_report
from tests.support import (
    DEADLINE,
    Clients,
    bad_fields,
    eventually,
    outside_history,
    produce,
    read_topic,
    vias_command,
)
from vias.documents.v1 import documents_pb2
from vias.identity.v1 import identity_pb2
from vias.leverance.v1 import leverance_pb2 as pb
from vias.notifications.v1 import notifications_pb2

TODAY = datetime.now(ZoneInfo("Europe/Copenhagen")).date()
CLARIFYING = TODAY - timedelta(days=100)
LAST_MONTH_END = TODAY.replace(day=1) - timedelta(days=1)
PLANNED = CLARIFYING + timedelta(days=30)


class Case:
    """One case handed to leverance, with the people acting on it."""

    def __init__(self, clients: Clients, supplier_id: str, service: str = "single_case") -> None:
        self.clients = clients
        self.case_id = new_id()
        self.supplier_id = supplier_id
        self.service = service
        self.consultant = f"consultant-{new_id()[:8]}"
        self.specialist = f"spec-{new_id()[:8]}"
        self.delivery_id = ""
        self.inquiry_id = new_id()

    def as_consultant(self) -> list[tuple[str, str]]:
        return self.clients.auth(user=self.consultant, role="consultant")

    def as_specialist(self) -> list[tuple[str, str]]:
        return self.clients.auth(user=self.specialist, role="specialist", supplier=self.supplier_id)

    def as_manager(self) -> list[tuple[str, str]]:
        return self.clients.auth(user="manager-1", role="manager")

    async def list_specialist(self, *training: tuple[str, str]) -> None:
        """The supplier lists the case's specialist, with their training modules."""
        await self.clients.leverance.SetSpecialist(
            pb.SetSpecialistRequest(
                supplier_id=self.supplier_id,
                specialist=pb.Specialist(
                    specialist_id=self.specialist,
                    name="Specialist",
                    role="specialist",
                    training=[pb.TrainingModule(module=m, status=s) for m, s in training],
                ),
            ),
            metadata=self.clients.auth(),
            timeout=DEADLINE,
        )

    async def hand_over(self, *, listed: bool = True) -> pb.Delivery:
        """Visitation's hand-over, produced onto its topic; waits for leverance's delivery.

        The supplier lists the specialist first unless `listed` is false.
        """
        if listed:
            await self.list_specialist()
        event = CaseHandedToLeverance(
            case_id=self.case_id,
            inquiry_id=self.inquiry_id,
            supplier_id=self.supplier_id,
            specialist_id=self.specialist,
            consultant_id=self.consultant,
            main_area="children_youth",
            service=self.service,
            clarifying_meeting_on=CLARIFYING,
            handed_at=utcnow(),
        )
        envelope = Envelope.wrap(
            event, source="visitation", correlation_id=new_id(), causation_id=None
        )
        await produce(
            self.clients.platform, events_topic("visitation"), self.case_id, envelope.to_bytes()
        )

        async def opened() -> Any:
            reply = await self.clients.leverance.ListDeliveries(
                pb.ListDeliveriesRequest(case_id=self.case_id, supplier_id=self.supplier_id),
                metadata=self.as_consultant(),
                timeout=DEADLINE,
            )
            return reply.deliveries[0] if reply.deliveries else None

        delivery: pb.Delivery = await eventually(opened)
        self.delivery_id = delivery.delivery_id

        async def known_to_documents() -> Any:
            # Documents lets the supplier's specialist journal once it saw the hand-over.
            return await self.clients.db("documents").case_suppliers.find_one(
                {"case_id": self.case_id, "supplier_id": self.supplier_id}
            )

        await eventually(known_to_documents)
        return delivery

    async def call(self, method: Any, metadata: list[tuple[str, str]], **fields: Any) -> Any:
        request_type = {
            "ProposeAgreement": pb.ProposeAgreementRequest,
            "ProposeChange": pb.ProposeAgreementRequest,
            "ApproveAgreement": pb.ApproveAgreementRequest,
            "ReturnAgreement": pb.ReturnAgreementRequest,
            "SubmitFinancialStatement": pb.SubmitFinancialStatementRequest,
            "ApproveFinancialStatement": pb.ApproveFinancialStatementRequest,
            "GetDelivery": pb.GetDeliveryRequest,
        }[method]
        stub = getattr(self.clients.leverance, method)
        request = request_type(delivery_id=self.delivery_id, **fields)
        return await stub(request, metadata=metadata, timeout=DEADLINE)

    async def propose(self, *lines: pb.ActivityInput) -> pb.Delivery:
        return await self.call(  # type: ignore[no-any-return]
            "ProposeAgreement",
            self.as_specialist(),
            activities=list(lines) or [line("visitation", "4"), line("special_advice", "20")],
            description=DESCRIPTION,
        )

    async def course(self) -> pb.Course:
        return await self.clients.leverance.GetCourse(  # type: ignore[no-any-return]
            pb.GetCourseRequest(case_id=self.case_id),
            metadata=self.as_consultant(),
            timeout=DEADLINE,
        )

    async def confirm_closing_steps(self) -> pb.Delivery:
        """The specialist checked the recipient's registration and destroyed the working papers."""
        confirmed = None
        for step in ("recipient_registration_checked", "working_papers_destroyed"):
            confirmed = await self.clients.leverance.ConfirmClosingStep(
                pb.ConfirmClosingStepRequest(delivery_id=self.delivery_id, step=step),
                metadata=self.as_specialist(),
                timeout=DEADLINE,
            )
        return confirmed  # type: ignore[return-value]

    async def hold_closing_meeting(self, held_on: date | None = None) -> pb.Course:
        """The specialist records the closing meeting: every goal reached, the consultant not
        there (a single case does not need them)."""
        return await self.clients.leverance.RecordClosingMeeting(  # type: ignore[no-any-return]
            pb.RecordClosingMeetingRequest(
                case_id=self.case_id,
                held_on=(held_on or TODAY).isoformat(),
                goal_evaluations=[
                    pb.GoalEvaluation(goal=goal, result="reached", comment="Seen in class")
                    for goal in DESCRIPTION.goals
                ],
                consultant_attended=False,
            ),
            metadata=self.as_specialist(),
            timeout=DEADLINE,
        )

    async def start(self, *lines: pb.ActivityInput) -> pb.Delivery:
        """A running agreement below the price threshold."""
        await self.propose(*lines)
        approved = await self.call("ApproveAgreement", self.as_consultant())
        assert approved.status == "running"
        return approved  # type: ignore[no-any-return]


DESCRIPTION = pb.DeliveryDescription(
    purpose="Qualify the school's work with the boy",
    goals=[
        "Staff can describe three early signs of overload",
        "The team uses a shared visual schedule every day",
    ],
    content="Observation in class, four advice sessions, report",
    course="Observation first, then advice every third week",
    method="Systemic, dialogical advice with video feedback",
)


def line(kind: str, hours: str = "", planned_on: date = PLANNED, **fields: Any) -> pb.ActivityInput:
    return pb.ActivityInput(kind=kind, hours=hours, planned_on=planned_on.isoformat(), **fields)


async def new_supplier(
    clients: Clients, *, rate: str = "950.00", target_groups: tuple[str, ...] = ("autism_spectrum",)
) -> str:
    """A supplier with a children/youth contract covering today's courses."""
    supplier_id = f"supplier-{new_id()[:8]}"
    await clients.leverance.SaveSupplier(
        pb.SaveSupplierRequest(
            supplier_id=supplier_id,
            name="Specialcenter Syd",
            kind="municipal",
            active=True,
            free_capacity=2,
            address=pb.Address(city="Vejle", municipality_code="630"),
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    contract = pb.Contract(
        contract_id="ramme-2025",
        main_area="children_youth",
        services=["single_case", "mini_single_case", "group_course"],
        valid_from=(TODAY - timedelta(days=800)).isoformat(),
        valid_to=(TODAY + timedelta(days=800)).isoformat(),
        min_age=0,
        max_age=23,
        target_groups=list(target_groups),
        hourly_rate_dkk=rate,
        transport_rate_dkk_per_km="3.79",
        transport_hourly_rate_dkk="475.00",
    )
    await clients.leverance.SetContract(
        pb.SetContractRequest(supplier_id=supplier_id, contract=contract),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    return supplier_id


async def notices(clients: Clients, who: list[tuple[str, str]], case_id: str) -> list[Any]:
    reply = await clients.notifications.ListNotices(
        notifications_pb2.ListNoticesRequest(limit=500), metadata=who, timeout=DEADLINE
    )
    return [n for n in reply.notices if n.subject_id == case_id]


async def test_a_high_price_agreement_needs_both_approvals_and_the_consultant_is_told_urgently(
    clients: Clients,
) -> None:
    case = Case(clients, await new_supplier(clients))
    await case.hand_over()
    proposed = await case.propose(line("visitation", "4"), line("assessment", "160"))
    assert proposed.versions[0].total_dkk == "155800.00"  # above the 150,000 DKK default
    assert proposed.versions[0].high_price, "marked high-price as soon as it is proposed"

    waiting = await case.call("ApproveAgreement", case.as_consultant())
    assert waiting.status == "awaiting_manager" and waiting.versions[0].manager_id == "manager-1"
    assert (await case.course()).status == "awaiting_agreement"
    assert await eventually(lambda: notices(clients, case.as_manager(), case.case_id)), (
        "the manager is told a high-price delivery awaits them"
    )

    approved = await case.call("ApproveAgreement", case.as_manager())
    assert approved.status == "running" and approved.current_version == 1
    assert (await case.course()).status == "running"

    async def urgent() -> list[Any]:
        found = await notices(clients, case.as_consultant(), case.case_id)
        return [n for n in found if n.urgent]

    hot = await eventually(urgent)
    assert [n.kind for n in hot] == ["high_price_decided"]
    assert "har godkendt højprisleverancen" in hot[0].text
    told = await notices(clients, case.as_consultant(), case.case_id)
    assert [n.kind for n in told if not n.urgent] == ["agreement_proposed"]


async def test_the_consultants_manager_in_the_user_directory_approves_a_high_price(
    clients: Clients,
) -> None:
    case = Case(clients, await new_supplier(clients))
    boss = f"boss-{new_id()[:8]}"
    await clients.identity.UpsertUser(
        identity_pb2.UpsertUserRequest(
            user=identity_pb2.User(
                user_id=case.consultant, role="consultant", manager_id=boss, active=True
            )
        ),
        metadata=clients.auth(user="directory-admin", role="manager"),
        timeout=DEADLINE,
    )
    await case.hand_over()
    await case.propose(line("assessment", "170"))
    waiting = await case.call("ApproveAgreement", case.as_consultant())
    assert waiting.status == "awaiting_manager" and waiting.versions[0].manager_id == boss
    approved = await case.call("ApproveAgreement", clients.auth(user=boss, role="manager"))
    assert approved.status == "running"


async def test_the_manager_rejecting_returns_the_agreement_with_an_urgent_notice(
    clients: Clients,
) -> None:
    case = Case(clients, await new_supplier(clients))
    await case.hand_over()
    await case.propose(line("assessment", "170"))
    await case.call("ApproveAgreement", case.as_consultant())
    returned = await case.call(
        "ReturnAgreement", case.as_manager(), objections="Assessment hours are not justified"
    )
    assert returned.status == "renegotiation" and returned.versions[0].status == "returned"

    async def urgent() -> list[Any]:
        found = await notices(clients, case.as_consultant(), case.case_id)
        return [n for n in found if n.urgent]

    [hot] = await eventually(urgent)
    assert hot.kind == "high_price_decided" and "har afvist" in hot.text
    told = await eventually(lambda: notices(clients, case.as_specialist(), case.case_id))
    assert [n.kind for n in told] == ["agreement_returned"]
    assert "Assessment hours are not justified" in told[0].text


async def test_with_two_suppliers_the_course_starts_once_both_approved_and_a_coordinator_named(
    clients: Clients,
) -> None:
    first = Case(clients, await new_supplier(clients))
    second = Case(clients, await new_supplier(clients))
    second.case_id, second.consultant = first.case_id, first.consultant
    await first.hand_over()
    await second.hand_over()
    await first.start()
    await second.start()
    course = await first.course()
    assert course.status == "awaiting_agreement" and course.coordinator_supplier_id == ""
    assert {p.supplier_id for p in course.parts} == {first.supplier_id, second.supplier_id}
    named = await clients.leverance.NameCoordinator(
        pb.NameCoordinatorRequest(case_id=first.case_id, supplier_id=second.supplier_id),
        metadata=first.as_consultant(),
        timeout=DEADLINE,
    )
    assert named.status == "running" and named.coordinator_supplier_id == second.supplier_id
    as_first = await clients.leverance.GetCourse(
        pb.GetCourseRequest(case_id=first.case_id), metadata=first.as_specialist(), timeout=DEADLINE
    )
    assert [p.supplier_id for p in as_first.parts] == [first.supplier_id]


async def test_an_interrupted_course_stops_every_part_with_its_reason(clients: Clients) -> None:
    case = Case(clients, await new_supplier(clients))
    await case.hand_over()
    await case.start()
    stopped = await clients.leverance.InterruptCourse(
        pb.InterruptCourseRequest(
            case_id=case.case_id, reason="consent_withdrawn", note="The mother withdrew consent"
        ),
        metadata=case.as_specialist(),
        timeout=DEADLINE,
    )
    assert stopped.status == "interrupted" and stopped.interruption.reason == "consent_withdrawn"
    assert (await case.call("GetDelivery", case.as_consultant())).status == "interrupted"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await clients.leverance.InterruptCourse(
            pb.InterruptCourseRequest(case_id=case.case_id, reason="died", note="x"),
            metadata=case.as_consultant(),
            timeout=DEADLINE,
        )
    assert bad_fields(caught.value) == {"reason"}


async def test_a_proposal_with_bad_fields_names_each_and_writes_nothing(clients: Clients) -> None:
    case = Case(clients, await new_supplier(clients), service="mini_single_case")
    delivery = await case.hand_over()
    too_late = CLARIFYING + timedelta(days=200)  # past the 4-month limit
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await case.call(
            "ProposeAgreement",
            case.as_specialist(),
            activities=[
                line("special_advice", "-3"),
                line("closing", "2", planned_on=too_late),
            ],
            description=pb.DeliveryDescription(
                purpose="p", goals=["Better", ""], content="c", course="c", method="m"
            ),
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == {
        "activities.0.hours",
        "description.goals.0",
        "description.goals.1",
    }
    # Otherwise good, a line past the limit the case's clarifying meeting sets is refused too.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await case.call(
            "ProposeAgreement",
            case.as_specialist(),
            activities=[line("special_advice", "3"), line("closing", "2", planned_on=too_late)],
            description=DESCRIPTION,
        )
    assert outside_history(caught.value) == {"activities.1.planned_on"}
    after = await case.call("GetDelivery", case.as_consultant())
    assert (after.version, after.status, len(after.versions)) == (
        delivery.version,
        "awaiting_proposal",
        0,
    )


async def test_numbers_too_large_to_price_exactly_are_invalid_not_internal(
    clients: Clients,
) -> None:
    case = Case(clients, await new_supplier(clients))
    await case.hand_over()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await case.call(
            "ProposeAgreement",
            case.as_specialist(),
            activities=[line("special_advice", "1e400"), line("visitation", "9" * 29)],
            description=DESCRIPTION,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == {"activities.0.hours", "activities.1.hours"}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await clients.leverance.LogConsumption(
            pb.LogConsumptionRequest(
                delivery_id=case.delivery_id,
                activity_id="A1",
                worked_on=TODAY.isoformat(),
                hours="1e30",
            ),
            metadata=case.as_specialist(),
            timeout=DEADLINE,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == {"hours"}


async def test_a_change_is_a_new_version_and_the_old_one_stays_readable(clients: Clients) -> None:
    case = Case(clients, await new_supplier(clients))
    await case.hand_over()
    first = await case.start()
    a1, a2 = first.versions[0].activities
    kept = [
        pb.ActivityInput(
            activity_id=a1.activity_id, kind=a1.kind, hours=a1.hours, planned_on=a1.planned_on
        ),
        pb.ActivityInput(
            activity_id=a2.activity_id, kind=a2.kind, hours="25", planned_on=a2.planned_on
        ),
    ]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await case.call(
            "ProposeChange", case.as_specialist(), activities=kept, description=DESCRIPTION
        )
    assert bad_fields(caught.value) == {"justification"}
    await case.call(
        "ProposeChange",
        case.as_specialist(),
        activities=kept,
        description=DESCRIPTION,
        justification="The staff group doubled",
    )
    changed = await case.call("ApproveAgreement", case.as_consultant())
    assert changed.current_version == 2 and len(changed.versions) == 2
    assert changed.versions[0] == first.versions[0]
    assert changed.versions[1].total_dkk == "27550.00"


async def test_running_past_the_limit_needs_a_justification_and_moves_the_course_deadline(
    clients: Clients,
) -> None:
    case = Case(clients, await new_supplier(clients))
    await case.hand_over()
    first = await case.start()
    limit = date.fromisoformat((await case.course()).course_limit)
    late = line("closing", "3", planned_on=limit + timedelta(days=10))
    kept = [
        pb.ActivityInput(
            activity_id=a.activity_id, kind=a.kind, hours=a.hours, planned_on=a.planned_on
        )
        for a in first.versions[0].activities
    ]
    change = {"activities": [*kept, late], "description": DESCRIPTION, "justification": "Later"}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await case.call("ProposeChange", case.as_specialist(), **change)
    assert outside_history(caught.value) == {"activities.2.planned_on"}
    await case.call(
        "ProposeChange",
        case.as_specialist(),
        duration_justification="The boy was hospitalised for five weeks",
        **change,
    )
    await case.call("ApproveAgreement", case.as_consultant())
    course = await case.course()
    assert course.extended_to == (limit + timedelta(days=10)).isoformat()
    assert course.extension_justification == "The boy was hospitalised for five weeks"


async def test_a_course_cannot_close_until_its_report_is_journaled_then_asks_for_the_survey(
    clients: Clients,
) -> None:
    case = Case(clients, await new_supplier(clients))
    delivery = await case.hand_over()
    await case.start()
    await case.hold_closing_meeting()

    async def journal(kind: str, title: str) -> None:
        await clients.documents.JournalDocument(
            documents_pb2.JournalDocumentRequest(
                case_id=case.case_id,
                inquiry_id=delivery.inquiry_id,
                kind=kind,
                title=title,
                reference="F2-2026-1234",
                sent_to=["Vejle Kommune, PPR"],
            ),
            metadata=case.as_specialist(),
            timeout=DEADLINE,
        )

    await journal("closing_summary_note", "Opsamlingsnotat fra afsluttende møde")
    draft = await clients.documents.RenderDocument(
        documents_pb2.RenderDocumentRequest(case_id=case.case_id, template="advisory_report"),
        metadata=case.as_specialist(),
        timeout=DEADLINE,
    )
    assert draft.status == "draft" and draft.title == "Rådgivningsrapport (udkast)"

    async def note_ticked() -> bool:
        return (await case.course()).checklist.closing_summary_note_sent_and_journaled

    await eventually(note_ticked)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await case.call("SubmitFinancialStatement", case.as_specialist())
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "advisory_report_sent_and_journaled" in (caught.value.details() or "")

    final = await final_advisory_report(clients, case.case_id, case.as_specialist())

    async def report_ticked() -> bool:
        return (await case.course()).checklist.advisory_report_sent_and_journaled

    await eventually(report_ticked)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await case.call("SubmitFinancialStatement", case.as_specialist())
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "recipient_registration_checked, working_papers_destroyed" in (
        caught.value.details() or ""
    )
    confirmed = await case.confirm_closing_steps()
    assert [c.step for c in confirmed.closing_steps] == [
        "recipient_registration_checked",
        "working_papers_destroyed",
    ]
    assert (await case.course()).checklist.missing == []
    submitted = await case.call("SubmitFinancialStatement", case.as_specialist())
    assert submitted.status == "statement_submitted"
    closed = await case.call("ApproveFinancialStatement", case.as_consultant())
    assert closed.status == "closed" and (await case.course()).status == "closed"

    async def survey() -> list[dict[str, Any]]:
        records = await read_topic(clients.platform, events_topic("leverance"))
        found = [json.loads(r.value) for r in records if r.key == case.case_id.encode()]
        return [e for e in found if e["type"] == "SatisfactionSurveyRequested"]

    [requested] = await eventually(survey)
    assert requested["payload"]["service"] == "single_case"
    assert requested["payload"]["supplier_ids"] == [case.supplier_id]

    journaled = await clients.documents.GetJournal(
        documents_pb2.GetJournalRequest(inquiry_id=delivery.inquiry_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert [(e.kind, e.document_id) for e in journaled.entries if e.case_id][:3] == [
        ("advisory_report", final.document_id),
        ("closing_summary_note", final.annex_document_ids[0]),
        ("closing_summary_note", ""),
    ]


async def test_a_sent_clarifying_summary_note_makes_the_agreement_proposal_due(
    clients: Clients,
) -> None:
    case = Case(clients, await new_supplier(clients))
    delivery = await case.hand_over()
    await clients.documents.JournalDocument(
        documents_pb2.JournalDocumentRequest(
            case_id=case.case_id,
            inquiry_id=delivery.inquiry_id,
            kind="clarifying_summary_note",
            title="Opsamlingsnotat fra afklarende møde",
            sent_to=["Vejle Kommune"],
        ),
        metadata=case.as_specialist(),
        timeout=DEADLINE,
    )

    async def deadline_set() -> list[dict[str, Any]]:
        rows = await clients.db("leverance").outbox.find({"key": case.case_id}).to_list()
        found = [json.loads(r["value"]) for r in rows]
        return [e["payload"] for e in found if e["type"] == "DeadlineSet"]

    [deadline] = await eventually(deadline_set)
    assert deadline["rule"] == "leverance.agreement_proposal"
    assert deadline["responsible_user_id"] == case.specialist
    await case.propose()
    rows = await clients.db("leverance").outbox.find({"key": case.case_id}).to_list()
    met = [json.loads(r["value"]) for r in rows if r["type"] == "DeadlineMet"]
    assert [m["payload"]["deadline_id"] for m in met] == [deadline["deadline_id"]]


async def test_journaling_a_document_names_every_bad_field(clients: Clients) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await clients.documents.JournalDocument(
            documents_pb2.JournalDocumentRequest(kind="poem", sent_to=[""]),
            metadata=clients.auth(user="consultant-1", role="consultant"),
            timeout=DEADLINE,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == {"case_id", "kind", "title", "sent_to.0"}


async def log(case: Case, activity_id: str, **fields: str) -> pb.ConsumptionEntry:
    return await case.clients.leverance.LogConsumption(  # type: ignore[no-any-return]
        pb.LogConsumptionRequest(
            delivery_id=case.delivery_id,
            activity_id=activity_id,
            worked_on=LAST_MONTH_END.isoformat(),
            **fields,
        ),
        metadata=case.as_specialist(),
        timeout=DEADLINE,
    )


async def test_the_monthly_settlement_equals_the_approved_consumption_to_the_ore(
    clients: Clients,
) -> None:
    supplier_id = await new_supplier(clients, rate="333.33")
    case = Case(clients, supplier_id)
    await case.hand_over()
    running = await case.start(
        line("special_advice", "30"), line("transport_costs", kilometres="80")
    )
    advice, transport = (a.activity_id for a in running.versions[0].activities)
    entries = [
        await log(case, advice, hours="1.25"),  # 416.66
        await log(case, advice, hours="0.75"),  # 250.00
        await log(case, advice, expense_category="interpreter", expense_amount_dkk="1200.55"),
        await log(case, transport, expense_category="transport", expense_amount_dkk="303.20"),
        await log(case, advice, hours="2"),  # rejected below
    ]
    assert [e.amount_dkk for e in entries] == ["416.66", "250.00", "1200.55", "303.20", "666.66"]
    review = clients.leverance.ReviewConsumption
    await review(
        pb.ReviewConsumptionRequest(
            delivery_id=case.delivery_id, entry_ids=[e.entry_id for e in entries[:4]], approve=True
        ),
        metadata=case.as_consultant(),
        timeout=DEADLINE,
    )
    listed = await review(
        pb.ReviewConsumptionRequest(
            delivery_id=case.delivery_id,
            entry_ids=[entries[4].entry_id],
            approve=False,
            reason="Not in the agreement",
        ),
        metadata=case.as_consultant(),
        timeout=DEADLINE,
    )
    approved = sum(Decimal(e.amount_dkk) for e in listed.entries if e.status == "approved")
    assert listed.totals.approved_dkk == str(approved) == "2170.41"
    assert listed.totals.budget_dkk == "10303.10"  # 30 h x 333.33 + 80 km x 3.79

    month = LAST_MONTH_END.strftime("%Y-%m")
    request = pb.CreateMonthlySettlementRequest(supplier_id=supplier_id, month=month)
    settlement = await clients.leverance.CreateMonthlySettlement(
        request, metadata=clients.auth(), timeout=DEADLINE
    )
    assert Decimal(settlement.total_dkk) == approved
    assert sum(Decimal(line.amount_dkk) for line in settlement.lines) == approved
    assert {line.entry_id for line in settlement.lines} == {e.entry_id for e in entries[:4]}
    again = await clients.leverance.CreateMonthlySettlement(
        request, metadata=clients.auth(), timeout=DEADLINE
    )
    assert again == settlement
    own = await clients.leverance.GetSettlement(
        pb.GetSettlementRequest(supplier_id=supplier_id, month=month),
        metadata=clients.auth(user="admin-1", role="supplier_admin", supplier=supplier_id),
        timeout=DEADLINE,
    )
    assert own == settlement


async def test_settlements_refuse_an_unknown_supplier_and_a_malformed_month(
    clients: Clients,
) -> None:
    unknown = f"supplier-{new_id()[:8]}"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await clients.leverance.CreateMonthlySettlement(
            pb.CreateMonthlySettlementRequest(supplier_id=unknown, month="2020-01"),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert await clients.db("leverance").settlements.count_documents({"supplier_id": unknown}) == 0
    for month in ("2020-13", "2020-1", ""):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await clients.leverance.GetSettlement(
                pb.GetSettlementRequest(supplier_id=unknown, month=month),
                metadata=clients.auth(),
                timeout=DEADLINE,
            )
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert bad_fields(caught.value) == {"month"}


async def test_spending_per_main_area_counts_approved_consumption(clients: Clients) -> None:
    year = LAST_MONTH_END.year
    before = await clients.leverance.GetSpending(
        pb.GetSpendingRequest(year=year), metadata=clients.auth(), timeout=DEADLINE
    )
    await clients.leverance.SetAppropriation(
        pb.SetAppropriationRequest(
            year=year, main_area="children_youth", amount_dkk="158000000.00"
        ),
        metadata=clients.auth(user="manager-1", role="manager"),
        timeout=DEADLINE,
    )
    case = Case(clients, await new_supplier(clients))
    await case.hand_over()
    running = await case.start()
    entry = await log(case, running.versions[0].activities[1].activity_id, hours="3")
    await clients.leverance.ReviewConsumption(
        pb.ReviewConsumptionRequest(
            delivery_id=case.delivery_id, entry_ids=[entry.entry_id], approve=True
        ),
        metadata=case.as_consultant(),
        timeout=DEADLINE,
    )
    after = await clients.leverance.GetSpending(
        pb.GetSpendingRequest(year=year), metadata=clients.auth(), timeout=DEADLINE
    )
    area = {a.main_area: a for a in after.areas}["children_youth"]
    earlier = {a.main_area: a for a in before.areas}["children_youth"]
    assert Decimal(area.approved_dkk) - Decimal(earlier.approved_dkk) == Decimal("2850.00")
    assert area.appropriated_dkk == "158000000.00"


async def test_a_supplier_list_imported_from_csv_announces_each_profile(clients: Clients) -> None:
    ids = [f"csv-{new_id()[:8]}" for _ in range(2)]
    header = (
        "supplier_id,name,kind,kas,active,street,postcode,city,municipality_code,free_capacity,"
        "contract_id,main_area,services,valid_from,valid_to,min_age,max_age,target_groups,"
        "competences,hourly_rate_dkk,transport_rate_dkk_per_km,transport_hourly_rate_dkk"
    )
    rows = [
        f"{ids[0]},Kennedy Centret,regional,ja,true,Gl. Landevej 7,2600,Glostrup,165,4,k1,"
        "children_youth,single_case,2020-08-01,2025-07-31,0,18,epilepsy,EEG,1010.00,3.79,505.00",
        f"{ids[0]},Kennedy Centret,regional,ja,true,Gl. Landevej 7,2600,Glostrup,165,4,k2,"
        "adults,single_case;group_course,2022-05-01,2027-04-30,18,99,epilepsy,,1010.00,3.79,505.00",
        f"{ids[1]},Privat Rådgivning,private,nej,true,,,,,1,p1,adults,single_case,"
        "2022-05-01,2027-04-30,18,99,autism_spectrum,,899.50,3.79,450.00",
    ]
    reply = await clients.leverance.ImportSuppliers(
        pb.ImportSuppliersRequest(csv_text="\n".join([header, *rows])),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert (reply.created, reply.updated, reply.unchanged) == (2, 0, 0)
    supplier = await clients.leverance.GetSupplier(
        pb.GetSupplierRequest(supplier_id=ids[0]), metadata=clients.auth(), timeout=DEADLINE
    )
    assert supplier.kas and [c.contract_id for c in supplier.contracts] == ["k1", "k2"]

    outbox = clients.db("leverance").outbox
    rows_out = await outbox.find({"key": {"$in": ids}, "type": "SupplierProfileChanged"}).to_list()
    assert sorted(json.loads(r["value"])["payload"]["supplier_id"] for r in rows_out) == sorted(ids)

    again = await clients.leverance.ImportSuppliers(
        pb.ImportSuppliersRequest(csv_text="\n".join([header, *rows])),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await clients.leverance.ImportSuppliers(
            pb.ImportSuppliersRequest(
                csv_text="\n".join([header, rows[0].replace("1010.00", "x", 1)])
            ),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
    assert bad_fields(caught.value) == {"csv_text.line2.hourly_rate_dkk"}


def test_the_command_line_imports_a_supplier_list_and_reads_it_back(
    clients: Clients, tmp_path: Path
) -> None:
    platform = clients.platform
    supplier_id = f"cli-{new_id()[:8]}"
    csv_file = tmp_path / "suppliers.csv"
    csv_file.write_text(
        ",".join(COLUMNS)
        + f"\n{supplier_id},Tale og Høre,municipal,nej,true,,,,,1,t1,children_youth,"
        "mini_single_case,2024-01-01,2028-12-31,0,18,hearing_impairment,,875.25,3.79,437.50\n",
        encoding="utf-8",
    )

    def vias(*args: str) -> Any:
        done = vias_command(platform, *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert vias("leverance", "import-suppliers", str(csv_file))["created"] == 1
    supplier = vias("leverance", "supplier", supplier_id)
    assert supplier["contracts"][0]["hourly_rate_dkk"] == "875.25"


async def test_anchoring_after_an_agreed_change_keeps_to_its_limits(clients: Clients) -> None:
    case = Case(clients, await new_supplier(clients))
    await case.hand_over()
    first = await case.start()
    anchoring = line("special_activities", "1", planned_on=TODAY, anchoring=True)
    kept = [
        pb.ActivityInput(
            activity_id=a.activity_id, kind=a.kind, hours=a.hours, planned_on=a.planned_on
        )
        for a in first.versions[0].activities
    ]
    await case.call(
        "ProposeChange",
        case.as_specialist(),
        activities=[*kept, anchoring],
        description=DESCRIPTION,
        justification="The participants accepted anchoring at the last advice session",
    )
    await case.call("ApproveAgreement", case.as_consultant())
    await case.hold_closing_meeting()

    async def book(kind: str, on: date) -> pb.Course:
        return await clients.leverance.BookAnchoringActivity(  # type: ignore[no-any-return]
            pb.BookAnchoringActivityRequest(case_id=case.case_id, kind=kind, on=on.isoformat()),
            metadata=case.as_specialist(),
            timeout=DEADLINE,
        )

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await book("follow_up_meeting", TODAY + timedelta(days=20))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    booked = await book("anchoring_meeting", TODAY)
    await clients.leverance.RecordAnchoringActivityHeld(
        pb.RecordAnchoringActivityHeldRequest(
            case_id=case.case_id, activity_id=booked.anchoring[0].activity_id
        ),
        metadata=case.as_specialist(),
        timeout=DEADLINE,
    )
    course = await book("follow_up_meeting", TODAY + timedelta(days=20))
    assert [(a.kind, a.held) for a in course.anchoring] == [
        ("anchoring_meeting", True),
        ("follow_up_meeting", False),
    ]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await book("follow_up_meeting", TODAY + timedelta(days=40))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await book("phone_sparring", TODAY + timedelta(days=200))
    assert outside_history(caught.value) == {"on"}
