"""Closing a course: the closing meeting, the checklist, the financial statement, closure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from services.contracts.leverance import (
    ClosingMeetingHeld,
    ClosingStepConfirmed,
    CourseClosed,
    EvaluatedGoal,
    FinancialStatementApproved,
    FinancialStatementSubmitted,
    SatisfactionSurveyRequested,
)
from services.kernel.envelope import EventPayload
from services.kernel.errors import (
    FieldViolation,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    OutsideWindow,
)
from services.leverance.domain import deadlines, evaluation
from services.leverance.domain.agreements import Actor, Delivery, Statement
from services.leverance.domain.course import (
    Course,
    JournaledDocument,
    central_closing_deadline,
    duration_deadline,
    require_consultant,
    require_participant,
)
from services.leverance.domain.delivery import ClosingStep
from services.leverance.domain.goals import GoalEvaluation
from services.leverance.domain.reference import (
    CLOSING_STEPS,
    STATEMENT_APPROVAL_WORKING_DAYS,
    STATEMENT_DUE_WORKING_DAYS,
    ClosingDocument,
    ClosingStepKind,
    reference,
    service_rules,
)
from services.leverance.domain.types import Value
from services.workdays import WorkingDayCalendar


def record_closing_meeting(
    course: Course,
    deliveries: Sequence[Delivery],
    *,
    held_on: date,
    today: date,
    actor: Actor,
    calendar: WorkingDayCalendar,
    evaluations: Sequence[GoalEvaluation],
    consultant_attended: bool | None,
) -> tuple[Course, list[EventPayload]]:
    """The closing meeting was held: every goal in force evaluated, the consultant's attendance
    recorded (and required where the handbook requires it); each running part's statement (a
    central-unit course's closing) is now due."""
    violations = []
    if held_on > today:
        violations.append(FieldViolation("held_on", "a meeting cannot be held in the future"))
    if consultant_attended is None:
        violations.append(
            FieldViolation("consultant_attended", "record whether the consultant attended")
        )
    if violations:
        raise InvalidInput(violations)
    assert consultant_attended is not None
    require_participant(course, actor)
    if course.status != "running":
        raise IllegalTransition(f"the course is {course.status}, not running")
    if held_on < course.clarifying_meeting_on:
        raise OutsideWindow.single(
            "held_on",
            f"{held_on.isoformat()} is before the clarifying meeting "
            f"({course.clarifying_meeting_on.isoformat()})",
        )
    if course.closing_meeting_on is not None:
        raise IllegalTransition(
            f"the closing meeting was recorded on {course.closing_meeting_on.isoformat()}"
        )
    evaluated = evaluation.evaluate_goals(course, deliveries, evaluations)
    required = evaluation.require_attendance(course, consultant_attended)
    updated = course.model_copy(
        update={
            "closing_meeting_on": held_on,
            "goal_evaluations": evaluated,
            "consultant_attended": consultant_attended,
        }
    )
    events: list[EventPayload] = [
        ClosingMeetingHeld(
            case_id=course.id,
            held_on=held_on,
            goal_evaluations=[EvaluatedGoal(**e.model_dump()) for e in evaluated],
            consultant_attended=consultant_attended,
            consultant_attendance_required=required,
        )
    ]
    duration = duration_deadline(course, deliveries, calendar)
    if duration is not None:
        events.append(duration.met(held_on))
    if course.central_unit is not None:
        events.append(central_closing_deadline(course, held_on, calendar).set())
    for delivery in deliveries:
        if delivery.status == "running":
            events.append(statement_deadline(delivery, held_on, calendar).set())
    return updated, events


def statement_deadline(
    delivery: Delivery, closing_meeting_on: date, calendar: WorkingDayCalendar
) -> deadlines.DeadlineSpec:
    """When the specialist's financial statement is due."""
    return deadlines.financial_statement(
        case_id=delivery.case_id,
        delivery_id=delivery.id,
        closing_meeting_on=closing_meeting_on,
        specialist_id=delivery.specialist_id,
        supplier_id=delivery.supplier_id,
        calendar=calendar,
        working_days=STATEMENT_DUE_WORKING_DAYS,
    )


class ChecklistItem(Value):
    """One thing that must hold before the course's part can close."""

    name: str = Field(description="e.g. advisory_report_sent_and_journaled")
    done: bool
    description: str = Field(description="The item in Danish, with the handbook section.")


class ClosingChecklist(Value):
    """What must hold before the specialist can submit the financial statement (H 5.3.3): the
    closing meeting, the documents the service produces (H ch. 3, from the reference data) and
    the specialist's closing steps."""

    items: tuple[ChecklistItem, ...]

    def missing(self) -> list[str]:
        """The items not yet done."""
        return [item.name for item in self.items if not item.done]

    def done(self, name: str) -> bool:
        """Whether the checklist has the item and it is done."""
        return any(item.name == name and item.done for item in self.items)


def _final(document: JournaledDocument) -> bool:
    return document.status == "final"


def _present(wanted: ClosingDocument, documents: Sequence[JournaledDocument]) -> bool:
    """A final document of the kind, sent when the item says so."""
    return any(
        d.kind == wanted.kind and (d.sent_to or not wanted.sent) and _final(d) for d in documents
    )


def checklist(
    course: Course, documents: Sequence[JournaledDocument], parts: Sequence[Delivery] = ()
) -> ClosingChecklist:
    """The closing checklist of a course: its service's documents (reference data) from what
    was journaled, and the specialists' confirmations on the given parts (each part must have
    confirmed)."""
    rules = service_rules(course.service)
    wording = reference().closing_steps
    suppliers = {p.supplier_id for p in course.parts}
    # Only VISO staff and the course's own suppliers can complete its checklist.
    counted = [d for d in documents if d.supplier_id is None or d.supplier_id in suppliers]
    items = [
        ChecklistItem(
            name="closing_meeting_held",
            done=course.closing_meeting_on is not None,
            description=wording["closing_meeting_held"],
        ),
        *(
            ChecklistItem(name=d.item, done=_present(d, counted), description=d.description)
            for d in rules.closing_documents
        ),
    ]
    if course.central_unit is None:
        # The specialist's closing steps; a course the central unit runs has no supplier's part.
        items += [
            ChecklistItem(
                name=step,
                done=bool(parts) and all(p.confirmed(step) for p in parts),
                description=wording[step],
            )
            for step in CLOSING_STEPS
        ]
    return ClosingChecklist(items=tuple(items))


def confirm_closing_step(
    course: Course, delivery: Delivery, *, step: ClosingStepKind, actor: Actor, today: date
) -> tuple[Delivery, list[EventPayload]]:
    """The specialist confirms a closing step of their part after the closing meeting."""
    if (
        actor.role not in ("specialist", "kas_supplier")
        or actor.supplier_id != delivery.supplier_id
    ):
        raise Forbidden("only a specialist of the delivery's supplier confirms its closing steps")
    if delivery.status != "running" or course.closing_meeting_on is None:
        raise IllegalTransition("closing steps follow the closing meeting of a running delivery")
    if delivery.confirmed(step):
        raise IllegalTransition(f"{step} was already confirmed")
    done = ClosingStep(step=step, done_on=today, by=actor.user_id)
    updated = delivery.model_copy(update={"closing_steps": (*delivery.closing_steps, done)})
    event = ClosingStepConfirmed(
        case_id=delivery.case_id,
        delivery_id=delivery.id,
        supplier_id=delivery.supplier_id,
        step=step,
        done_on=today,
        confirmed_by=actor.user_id,
    )
    return updated, [event]


def submit_statement(
    course: Course,
    delivery: Delivery,
    documents: Sequence[JournaledDocument],
    *,
    consumed_dkk: Decimal,
    actor: Actor,
    today: date,
    calendar: WorkingDayCalendar,
) -> tuple[Delivery, list[EventPayload]]:
    """The specialist submits the financial statement once the checklist holds."""
    if (
        actor.role not in ("specialist", "kas_supplier")
        or actor.supplier_id != delivery.supplier_id
    ):
        raise Forbidden("only a specialist of the delivery's supplier may submit its statement")
    events: list[EventPayload] = []
    if delivery.status == "running":
        if delivery.pending_version is not None:
            raise IllegalTransition("a change of the agreement still awaits a decision")
        missing = checklist(course, documents, [delivery]).missing()
        if missing:
            raise IllegalTransition(f"the closing checklist is not complete: {', '.join(missing)}")
        assert course.closing_meeting_on is not None
        events.append(statement_deadline(delivery, course.closing_meeting_on, calendar).met(today))
    elif delivery.status != "interrupted" or not delivery.started:
        raise IllegalTransition(
            f"no statement can be submitted while the delivery is {delivery.status}"
        )
    approval = deadlines.statement_approval(
        case_id=delivery.case_id,
        delivery_id=delivery.id,
        received_on=today,
        consultant_id=delivery.consultant_id,
        supplier_id=delivery.supplier_id,
        calendar=calendar,
        working_days=STATEMENT_APPROVAL_WORKING_DAYS,
    )
    statement = Statement(
        submitted_on=today,
        submitted_by=actor.user_id,
        consumed_dkk=consumed_dkk,
        approval_due=approval.due,
    )
    updated = delivery.model_copy(update={"status": "statement_submitted", "statement": statement})
    events.append(
        FinancialStatementSubmitted(
            case_id=delivery.case_id,
            delivery_id=delivery.id,
            supplier_id=delivery.supplier_id,
            submitted_on=today,
            consumed_dkk=consumed_dkk,
            consultant_id=delivery.consultant_id,
        )
    )
    events.append(approval.set())
    return updated, events


def approve_statement(
    course: Course,
    delivery: Delivery,
    documents: Sequence[JournaledDocument],
    *,
    actor: Actor,
    today: date,
    calendar: WorkingDayCalendar,
) -> tuple[Delivery, list[EventPayload]]:
    """The consultant checks the case and approves the statement: this part is closed."""
    require_consultant(course, actor)
    if delivery.status != "statement_submitted" or delivery.statement is None:
        raise IllegalTransition(f"no statement awaits approval (the delivery is {delivery.status})")
    if course.status != "interrupted":
        missing = checklist(course, documents, [delivery]).missing()
        if missing:
            raise IllegalTransition(f"the closing checklist is not complete: {', '.join(missing)}")
    statement = delivery.statement.model_copy(
        update={"approved_on": today, "approved_by": actor.user_id}
    )
    updated = delivery.model_copy(update={"status": "closed", "statement": statement})
    approval = deadlines.statement_approval(
        case_id=delivery.case_id,
        delivery_id=delivery.id,
        received_on=delivery.statement.submitted_on,
        consultant_id=delivery.consultant_id,
        supplier_id=delivery.supplier_id,
        calendar=calendar,
        working_days=STATEMENT_APPROVAL_WORKING_DAYS,
    )
    events: list[EventPayload] = [
        FinancialStatementApproved(
            case_id=delivery.case_id,
            delivery_id=delivery.id,
            supplier_id=delivery.supplier_id,
            approved_on=today,
        ),
        approval.met(today),
    ]
    return updated, events


def close_if_done(
    course: Course, deliveries: Sequence[Delivery], *, now: datetime
) -> tuple[Course, list[EventPayload]]:
    """Close the course when every part is closed; ask for the survey where the service has one."""
    if course.status == "closed" or not all(d.status == "closed" for d in deliveries):
        return course, []
    if {d.id for d in deliveries} != {p.delivery_id for p in course.parts}:
        return course, []
    interrupted = course.status == "interrupted"
    closed = course.model_copy(update={"status": "closed", "closed_at": now})
    events: list[EventPayload] = [
        CourseClosed(
            case_id=course.id,
            inquiry_id=course.inquiry_id,
            service=course.service,
            interrupted=interrupted,
            closed_at=now,
            **closing_statistics(course),
        )
    ]
    if not interrupted:
        events += survey_requested(course, now)
    return closed, events


def closing_statistics(course: Course) -> dict[str, Any]:
    """What CourseClosed tells the statistics of the closing meeting: the goals reached, partly
    reached and not reached, and the consultant's attendance; nothing without a meeting."""
    if course.closing_meeting_on is None:
        return {}
    found = evaluation.counts(course.goal_evaluations)
    return {
        "goals_reached": found["reached"],
        "goals_partly_reached": found["partly_reached"],
        "goals_not_reached": found["not_reached"],
        "consultant_attended_closing_meeting": course.consultant_attended,
    }


def survey_requested(course: Course, now: datetime) -> list[EventPayload]:
    """The satisfaction survey of a finally closed course, where its service has one (H 5.3.4)."""
    if not service_rules(course.service).satisfaction_survey:
        return []
    return [
        SatisfactionSurveyRequested(
            case_id=course.id,
            inquiry_id=course.inquiry_id,
            service=course.service,
            main_area=course.main_area,
            consultant_id=course.consultant_id,
            supplier_ids=[p.supplier_id for p in course.parts],
            closed_at=now,
        )
    ]
