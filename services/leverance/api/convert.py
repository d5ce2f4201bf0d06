"""Domain objects to their wire form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.kernel.proto import timestamp
from services.leverance.domain.agreements import (
    AgreementVersion,
    Delivery,
    Description,
    course_limit,
)
from services.leverance.domain.closure import ClosingChecklist
from services.leverance.domain.consumption import ConsumptionEntry, Totals
from services.leverance.domain.course import CentralUnit, Course
from services.leverance.domain.evaluation import attendance_reasons
from services.leverance.domain.money import AreaSpending, Settlement
from services.leverance.domain.suppliers import Supplier
from vias.leverance.v1 import leverance_pb2 as pb


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _time(value: datetime | None) -> Any:
    return timestamp(value) if value else None


def _text(value: Decimal) -> str:
    return str(value)


def supplier(found: Supplier) -> pb.Supplier:
    """The wire form of a supplier."""
    profile = found.profile
    return pb.Supplier(
        supplier_id=found.id,
        version=found.version,
        name=profile.name,
        kind=profile.kind,
        kas=profile.kas,
        active=profile.active,
        address=pb.Address(
            street=profile.address.street,
            postcode=profile.address.postcode,
            city=profile.address.city,
            municipality_code=profile.address.municipality_code or "",
        ),
        free_capacity=profile.free_capacity,
        contracts=[
            pb.Contract(
                contract_id=c.contract_id,
                main_area=c.main_area,
                services=list(c.services),
                valid_from=_day(c.valid_from),
                valid_to=_day(c.valid_to),
                min_age=c.min_age,
                max_age=c.max_age,
                target_groups=list(c.target_groups),
                competences=list(c.competences),
                hourly_rate_dkk=_text(c.hourly_rate_dkk),
                transport_rate_dkk_per_km=_text(c.transport_rate_dkk_per_km),
                transport_hourly_rate_dkk=_text(c.transport_hourly_rate_dkk),
            )
            for c in found.contracts
        ],
        specialists=[
            pb.Specialist(
                specialist_id=s.specialist_id,
                name=s.name,
                role=s.role,
                training=[pb.TrainingModule(module=m.module, status=m.status) for m in s.training],
            )
            for s in found.specialists
        ],
        changed_at=timestamp(found.changed_at),
    )


def _description(value: Description) -> pb.DeliveryDescription:
    return pb.DeliveryDescription(
        purpose=value.purpose,
        goals=list(value.goals),
        content=value.content,
        course=value.course,
        method=value.method,
    )


def version(found: AgreementVersion) -> pb.AgreementVersion:
    """The wire form of an agreement version."""
    return pb.AgreementVersion(
        number=found.number,
        status=found.status,
        change=found.change,
        activities=[
            pb.Activity(
                activity_id=a.activity_id,
                kind=a.kind,
                label=a.label,
                hours=_text(a.hours),
                kilometres=_text(a.kilometres),
                amount_dkk=_text(a.amount_dkk),
                planned_on=_day(a.planned_on),
                anchoring=a.anchoring,
                price_dkk=_text(a.price_dkk),
            )
            for a in found.activities
        ],
        description=_description(found.description),
        contract_id=found.rates.contract_id,
        hourly_rate_dkk=_text(found.rates.hourly_rate_dkk),
        transport_hourly_rate_dkk=_text(found.rates.transport_hourly_rate_dkk),
        transport_rate_dkk_per_km=_text(found.rates.transport_rate_dkk_per_km),
        total_dkk=_text(found.total_dkk),
        justification=found.justification,
        duration_justification=found.duration_justification,
        high_price=found.high_price,
        proposed_by=found.proposed_by,
        proposed_at=timestamp(found.proposed_at),
        consultant_approved_by=found.consultant_approved_by or "",
        manager_id=found.manager_id or "",
        objections=found.objections,
        returned_by=found.returned_by or "",
    )


def totals(found: Totals) -> pb.Totals:
    """The wire form of budget totals."""
    return pb.Totals(
        activities=[
            pb.ActivityTotals(
                activity_id=a.activity_id,
                kind=a.kind,
                planned_on=_day(a.planned_on),
                budget_hours=_text(a.budget_hours),
                budget_dkk=_text(a.budget_dkk),
                logged_hours=_text(a.logged_hours),
                logged_dkk=_text(a.logged_dkk),
                approved_dkk=_text(a.approved_dkk),
                remaining_dkk=_text(a.remaining_dkk),
            )
            for a in found.activities
        ],
        budget_dkk=_text(found.budget_dkk),
        logged_dkk=_text(found.logged_dkk),
        approved_dkk=_text(found.approved_dkk),
        remaining_dkk=_text(found.remaining_dkk),
    )


def delivery(found: Delivery, found_totals: Totals | None = None) -> pb.Delivery:
    """The wire form of a delivery."""
    statement = found.statement
    return pb.Delivery(
        delivery_id=found.id,
        version=found.version,
        case_id=found.case_id,
        inquiry_id=found.inquiry_id,
        supplier_id=found.supplier_id,
        specialist_id=found.specialist_id,
        consultant_id=found.consultant_id,
        main_area=found.main_area,
        service=found.service,
        clarifying_meeting_on=_day(found.clarifying_meeting_on),
        status=found.status,
        current_version=found.current_version or 0,
        pending_version=found.pending_version or 0,
        versions=[version(v) for v in found.versions],
        statement=pb.Statement(
            submitted_on=_day(statement.submitted_on),
            submitted_by=statement.submitted_by,
            consumed_dkk=_text(statement.consumed_dkk),
            approval_due=_day(statement.approval_due),
            approved_on=_day(statement.approved_on),
            approved_by=statement.approved_by or "",
        )
        if statement
        else None,
        totals=totals(found_totals) if found_totals else None,
        closing_steps=[
            pb.ClosingStep(step=c.step, done_on=_day(c.done_on), by=c.by)
            for c in found.closing_steps
        ],
    )


def entry(found: ConsumptionEntry) -> pb.ConsumptionEntry:
    """The wire form of a consumption entry."""
    return pb.ConsumptionEntry(
        entry_id=found.id,
        delivery_id=found.delivery_id,
        case_id=found.case_id,
        supplier_id=found.supplier_id,
        activity_id=found.activity_id,
        activity_kind=found.activity_kind,
        worked_on=_day(found.worked_on),
        hours=_text(found.hours),
        expense_category=found.expense_category or "",
        amount_dkk=_text(found.amount_dkk),
        note=found.note,
        logged_by=found.logged_by,
        logged_at=timestamp(found.logged_at),
        status=found.status,
        reviewed_by=found.reviewed_by or "",
        reason=found.reason,
        settlement_id=found.settlement_id or "",
    )


def consumption(
    found: Sequence[ConsumptionEntry], found_totals: Totals
) -> pb.ListConsumptionResponse:
    """Entries with their totals."""
    return pb.ListConsumptionResponse(
        entries=[entry(e) for e in found], totals=totals(found_totals)
    )


def closing_checklist(checklist: ClosingChecklist) -> pb.ClosingChecklist:
    """The wire form of a closing checklist."""
    return pb.ClosingChecklist(
        closing_meeting_held=checklist.done("closing_meeting_held"),
        closing_summary_note_sent_and_journaled=checklist.done(
            "closing_summary_note_sent_and_journaled"
        ),
        advisory_report_sent_and_journaled=checklist.done("advisory_report_sent_and_journaled"),
        recipient_registration_checked=checklist.done("recipient_registration_checked"),
        working_papers_destroyed=checklist.done("working_papers_destroyed"),
        missing=checklist.missing(),
        items=[
            pb.ChecklistItem(name=i.name, done=i.done, description=i.description)
            for i in checklist.items
        ],
    )


def course(found: Course, checklist: ClosingChecklist) -> pb.Course:
    """The wire form of a course."""
    interruption = found.interruption
    message = pb.Course(
        case_id=found.id,
        version=found.version,
        inquiry_id=found.inquiry_id,
        main_area=found.main_area,
        consultant_id=found.consultant_id,
        service=found.service,
        clarifying_meeting_on=_day(found.clarifying_meeting_on),
        status=found.status,
        parts=[
            pb.Part(
                supplier_id=p.supplier_id,
                delivery_id=p.delivery_id,
                specialist_known=p.specialist_known,
            )
            for p in found.parts
        ],
        coordinator_supplier_id=found.coordinator_supplier_id or "",
        started_at=_time(found.started_at),
        closing_meeting_on=_day(found.closing_meeting_on),
        interruption=pb.Interruption(
            reason=interruption.reason,
            note=interruption.note,
            by=interruption.by,
            at=timestamp(interruption.at),
        )
        if interruption
        else None,
        closed_at=_time(found.closed_at),
        anchoring=[
            pb.AnchoringActivity(
                activity_id=a.activity_id,
                kind=a.kind,
                on=_day(a.on),
                held=a.held,
                booked_on=_day(a.booked_on),
                agenda_sent_on=_day(a.agenda_sent_on),
            )
            for a in found.anchoring
        ],
        checklist=closing_checklist(checklist),
        course_limit=_day(course_limit(found.service, found.clarifying_meeting_on)),
        specialist_known=found.specialist_known,
        extended_to=_day(found.extended_to),
        extension_justification=found.extension_justification,
        central_unit=_central_unit(found.central_unit) if found.central_unit else None,
        goal_evaluations=[
            pb.GoalEvaluation(
                delivery_id=e.delivery_id, goal=e.goal, result=e.result, comment=e.comment
            )
            for e in found.goal_evaluations
        ],
        consultant_attendance_required=bool(attendance_reasons(found)),
        high_conflict=found.high_conflict,
        press_attention=found.press_attention,
    )
    if found.consultant_attended is not None:
        message.consultant_attended = found.consultant_attended
    return message


def _central_unit(found: CentralUnit) -> pb.CentralUnitPart:
    return pb.CentralUnitPart(
        delivered_by=found.delivered_by,
        description=_description(found.description) if found.description else None,
        planned_hours=_text(found.planned_hours),
        logged_hours=_text(found.logged_hours),
    )


def settlement(found: Settlement) -> pb.Settlement:
    """The wire form of a settlement."""
    return pb.Settlement(
        settlement_id=found.id,
        supplier_id=found.supplier_id,
        month=found.month,
        lines=[
            pb.SettlementLine(
                entry_id=line.entry_id,
                case_id=line.case_id,
                delivery_id=line.delivery_id,
                activity_id=line.activity_id,
                activity_kind=line.activity_kind,
                worked_on=_day(line.worked_on),
                hours=_text(line.hours),
                expense_category=line.expense_category or "",
                amount_dkk=_text(line.amount_dkk),
            )
            for line in found.lines
        ],
        total_dkk=_text(found.total_dkk),
        created_by=found.created_by,
        created_at=timestamp(found.created_at),
    )


def spending(year: int, rows: Sequence[AreaSpending]) -> pb.Spending:
    """The wire form of a year's spending."""
    return pb.Spending(
        year=year,
        areas=[
            pb.AreaSpending(
                main_area=r.main_area,
                appropriated_dkk=_text(r.appropriated_dkk),
                approved_dkk=_text(r.approved_dkk),
                settled_dkk=_text(r.settled_dkk),
                remaining_dkk=_text(r.remaining_dkk),
                used_percent=_text(r.used_percent),
                central_unit_hours=_text(r.central_unit_hours),
            )
            for r in rows
        ],
    )
