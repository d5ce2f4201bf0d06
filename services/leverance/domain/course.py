"""A course on a case: its suppliers' parts, start, interruption, closing checklist and closure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal, get_args

from pydantic import Field

from services.contracts.common import MainArea
from services.contracts.leverance import (
    AnchoringActivityBooked,
    AnchoringActivityHeld,
    CoordinatorNamed,
    CourseInterrupted,
    CourseOpened,
    CourseStarted,
)
from services.contracts.visitation import CaseHandedToCentralUnit, CaseHandedToLeverance
from services.kernel.envelope import EventPayload
from services.kernel.errors import Forbidden, IllegalTransition, InvalidInput
from services.kernel.store import Aggregate
from services.leverance.domain import anchoring as anchoring_rules
from services.leverance.domain import deadlines
from services.leverance.domain.agreements import Actor, Delivery, Description, open_deadlines
from services.leverance.domain.anchoring import AnchoringActivity, AnchoringKind
from services.leverance.domain.goals import GoalEvaluation
from services.leverance.domain.reference import (
    ANCHORING_AGENDA_DAYS_BEFORE,
    STATEMENT_DUE_WORKING_DAYS,
    InterruptionReason,
    service_rules,
)
from services.leverance.domain.types import ZERO, Day, Hours, Value
from services.workdays import WorkingDayCalendar

CourseStatus = Literal["awaiting_agreement", "running", "interrupted", "closed"]


class Part(Value):
    """One supplier's part of a course."""

    supplier_id: str
    delivery_id: str
    specialist_known: bool = Field(
        default=True,
        description="Whether the supplier listed the handed-over specialist at the hand-over.",
    )


class CentralUnit(Value):
    """A course the central unit runs itself (H 3.2, 3.11, 3.12): no supplier's part; the
    consultant, or a named VISO colleague, delivers it and logs the hours; no price."""

    delivered_by: str = Field(description="The VISO user who delivers the advice.")
    description: Description | None = Field(
        default=None, description="The plan with its concrete goals, once the course started."
    )
    planned_hours: Hours = ZERO
    logged_hours: Hours = ZERO


class Interruption(Value):
    """Why and when a course was stopped."""

    reason: InterruptionReason
    note: str
    by: str
    at: datetime


class JournaledDocument(Aggregate):
    """A document journaled on a case, as documents announced it."""

    case_id: str
    kind: str
    title: str
    sent_to: tuple[str, ...] = ()
    supplier_id: str | None = Field(
        default=None, description="The supplier whose staff journaled it; None for VISO staff."
    )
    journaled_at: datetime
    status: str = Field(
        default="final", description='"final" or "draft", from the document\'s lifecycle.'
    )


class Course(Aggregate):
    """The course on one case (id = case id)."""

    inquiry_id: str
    main_area: MainArea
    consultant_id: str
    service: str
    clarifying_meeting_on: Day
    parts: tuple[Part, ...] = ()
    coordinator_supplier_id: str | None = None
    status: CourseStatus = "awaiting_agreement"
    started_at: datetime | None = None
    closing_meeting_on: Day | None = None
    interruption: Interruption | None = None
    closed_at: datetime | None = None
    extended_to: Day | None = Field(
        default=None, description="Closing meeting agreed past the service's limit (H 5.2.2)."
    )
    extension_justification: str = ""
    anchoring: tuple[AnchoringActivity, ...] = ()
    central_unit: CentralUnit | None = Field(
        default=None, description="Set when the central unit runs the course itself."
    )
    high_conflict: bool = Field(
        default=False, description="Visitation found a high level of conflict (H 5.1.3)."
    )
    press_attention: bool = Field(
        default=False, description="The press follows or is expected to follow the case."
    )
    goal_evaluations: tuple[GoalEvaluation, ...] = Field(
        default=(), description="Every goal in force, as the closing meeting evaluated it."
    )
    consultant_attended: bool | None = Field(
        default=None, description="Whether the consultant attended the closing meeting."
    )

    @property
    def specialist_known(self) -> bool:
        """Whether every part's specialist was listed by its supplier at the hand-over."""
        return all(p.specialist_known for p in self.parts)

    def part_of(self, supplier_id: str) -> Part | None:
        """The part of a supplier, if it has one."""
        return next((p for p in self.parts if p.supplier_id == supplier_id), None)


def new_course(handed: CaseHandedToLeverance | CaseHandedToCentralUnit, **fields: Any) -> Course:
    """The course visitation's hand-over opens, with what the hand-over tells of the case."""
    return Course(
        id=handed.case_id,
        inquiry_id=handed.inquiry_id,
        main_area=handed.main_area,
        consultant_id=handed.consultant_id,
        service=handed.service,
        clarifying_meeting_on=handed.clarifying_meeting_on,
        high_conflict=handed.high_conflict,
        press_attention=handed.press_attention,
        **fields,
    )


def hand_over(
    course: Course | None,
    handed: CaseHandedToLeverance,
    *,
    delivery_id: str,
    now: datetime,
    specialist_known: bool = True,
) -> tuple[Course, Delivery, list[EventPayload]] | None:
    """Open the course (or add a supplier's part to it); None when nothing is to be done.

    The hand-over is a fact: a specialist the supplier does not list still gets the part, flagged.
    """
    if course is not None and (
        course.part_of(handed.supplier_id) is not None
        or course.status in ("interrupted", "closed")
        or course.central_unit is not None
    ):
        return None
    part = Part(
        supplier_id=handed.supplier_id,
        delivery_id=delivery_id,
        specialist_known=specialist_known,
    )
    if course is None:
        course = new_course(handed, parts=(part,), coordinator_supplier_id=handed.supplier_id)
    else:
        # With several suppliers the consultant names the coordinator (H 5.1.3).
        course = course.model_copy(
            update={"parts": (*course.parts, part), "coordinator_supplier_id": None}
        )
    delivery = Delivery(
        id=delivery_id,
        case_id=handed.case_id,
        inquiry_id=handed.inquiry_id,
        supplier_id=handed.supplier_id,
        specialist_id=handed.specialist_id,
        consultant_id=handed.consultant_id,
        main_area=handed.main_area,
        service=handed.service,
        clarifying_meeting_on=handed.clarifying_meeting_on,
        status="awaiting_proposal",
        opened_at=now,
    )
    event = CourseOpened(
        case_id=handed.case_id,
        delivery_id=delivery_id,
        supplier_id=handed.supplier_id,
        inquiry_id=handed.inquiry_id,
        specialist_id=handed.specialist_id,
        consultant_id=handed.consultant_id,
        service=handed.service,
        main_area=handed.main_area,
        opened_at=now,
    )
    return course, delivery, [event]


def require_consultant(course: Course, actor: Actor) -> None:
    """Only the case's consultant."""
    if actor.role != "consultant" or actor.user_id != course.consultant_id:
        raise Forbidden("only the case's consultant may do this")


def require_participant(course: Course, actor: Actor) -> None:
    """The case's consultant, the VISO colleague delivering a central-unit course, or a
    specialist of a supplier with a part."""
    if actor.role == "consultant" and actor.user_id == course.consultant_id:
        return
    central = course.central_unit
    if actor.role == "consultant" and central and actor.user_id == central.delivered_by:
        return
    supplier = actor.supplier_id
    if actor.role in ("specialist", "kas_supplier") and supplier and course.part_of(supplier):
        return
    raise Forbidden("only the case's consultant or one of its specialists may do this")


def name_coordinator(
    course: Course, supplier_id: str, *, actor: Actor
) -> tuple[Course, list[EventPayload]]:
    """The consultant names the coordinating supplier among those with a part."""
    require_consultant(course, actor)
    if course.part_of(supplier_id) is None:
        raise InvalidInput.single("supplier_id", "has no part in this course")
    if course.status in ("interrupted", "closed"):
        raise IllegalTransition(f"the course is {course.status}")
    updated = course.model_copy(update={"coordinator_supplier_id": supplier_id})
    return updated, [CoordinatorNamed(case_id=course.id, supplier_id=supplier_id)]


def duration_deadline(
    course: Course, deliveries: Sequence[Delivery], calendar: WorkingDayCalendar
) -> deadlines.DeadlineSpec | None:
    """The course's duration limit as a deadline on the coordinating specialist (on the VISO
    user delivering a central-unit course), if it has one."""
    months = service_rules(course.service).max_months
    if months is not None and course.central_unit is not None:
        return deadlines.course_duration(
            case_id=course.id,
            clarifying_meeting_on=course.clarifying_meeting_on,
            months=months,
            specialist_id=course.central_unit.delivered_by,
            supplier_id=None,
            calendar=calendar,
            responsible_role="consultant",
        )
    coordinator = next(
        (d for d in deliveries if d.supplier_id == course.coordinator_supplier_id), None
    )
    if months is None or coordinator is None:
        return None
    return deadlines.course_duration(
        case_id=course.id,
        clarifying_meeting_on=course.clarifying_meeting_on,
        months=months,
        specialist_id=coordinator.specialist_id,
        supplier_id=coordinator.supplier_id,
        calendar=calendar,
    )


def extend_duration(
    course: Course,
    deliveries: Sequence[Delivery],
    *,
    last_day: date,
    justification: str,
    calendar: WorkingDayCalendar,
) -> tuple[Course, list[EventPayload]]:
    """An approved change runs past the limit: the course's duration deadline moves with it."""
    spec = duration_deadline(course, deliveries, calendar)
    if spec is None or course.status != "running" or course.closing_meeting_on is not None:
        return course, []
    previous = course.extended_to or spec.due
    if last_day <= previous:
        return course, []
    explanation = (
        f"{spec.fields['explanation']}; extended to {last_day.isoformat()} with the "
        f"consultant's agreement: {justification}"
    )
    extended = course.model_copy(
        update={"extended_to": last_day, "extension_justification": justification}
    )
    moved = spec.moved_to(last_day, explanation)
    return extended, [moved.changed(previous, "the consultant agreed a longer course")]


def start_if_ready(
    course: Course,
    deliveries: Sequence[Delivery],
    *,
    now: datetime,
    calendar: WorkingDayCalendar,
) -> tuple[Course, list[EventPayload]]:
    """Start the course once every part's agreement is fully approved and a coordinator named."""
    if course.status != "awaiting_agreement" or course.coordinator_supplier_id is None:
        return course, []
    by_id = {d.id: d for d in deliveries}
    if not all(p.delivery_id in by_id and by_id[p.delivery_id].started for p in course.parts):
        return course, []
    started = course.model_copy(update={"status": "running", "started_at": now})
    event = CourseStarted(
        case_id=course.id,
        inquiry_id=course.inquiry_id,
        service=course.service,
        supplier_ids=[p.supplier_id for p in course.parts],
        coordinator_supplier_id=course.coordinator_supplier_id,
        started_at=now,
    )
    duration = duration_deadline(started, deliveries, calendar)
    return started, [event] if duration is None else [event, duration.set()]


def interrupt(
    course: Course,
    deliveries: Sequence[Delivery],
    *,
    reason: InterruptionReason,
    note: str,
    actor: Actor,
    now: datetime,
    calendar: WorkingDayCalendar,
) -> tuple[Course, list[Delivery], list[EventPayload]]:
    """Stop the course and every part that has not closed, with the reason."""
    require_participant(course, actor)
    if course.status in ("interrupted", "closed"):
        raise IllegalTransition(f"the course is already {course.status}")
    if not note.strip():
        raise InvalidInput.single("note", "describe the interruption")
    return stop(
        course, deliveries, reason=reason, note=note, by=actor.user_id, now=now, calendar=calendar
    )


def interruption_reason(visitation_kind: str) -> InterruptionReason:
    """The interruption reason matching why visitation stopped a case."""
    reasons: tuple[InterruptionReason, ...] = get_args(InterruptionReason)
    return next((r for r in reasons if r == visitation_kind), "basis_gone")


def stop_for_visitation(
    course: Course,
    deliveries: Sequence[Delivery],
    *,
    kind: str,
    reason: str,
    now: datetime,
    calendar: WorkingDayCalendar,
) -> tuple[Course, list[Delivery], list[EventPayload]] | None:
    """Visitation stopped the case: interrupt the course with the matching reason, once."""
    if course.status in ("interrupted", "closed"):
        return None
    note = f"visitation stopped the case ({kind}): {reason.strip() or 'no reason given'}"
    return stop(
        course,
        deliveries,
        reason=interruption_reason(kind),
        note=note,
        by="visitation",
        now=now,
        calendar=calendar,
    )


def stop(
    course: Course,
    deliveries: Sequence[Delivery],
    *,
    reason: InterruptionReason,
    note: str,
    by: str,
    now: datetime,
    calendar: WorkingDayCalendar,
) -> tuple[Course, list[Delivery], list[EventPayload]]:
    """The course and every part that has not closed stop, with the reason."""
    interruption = Interruption(reason=reason, note=note.strip(), by=by, at=now)
    updated = course.model_copy(update={"status": "interrupted", "interruption": interruption})
    events: list[EventPayload] = [
        CourseInterrupted(
            case_id=course.id,
            reason=reason,
            note=note.strip(),
            interrupted_by=by,
            interrupted_at=now,
        )
    ]
    duration = duration_deadline(course, deliveries, calendar)
    if course.status == "running" and course.closing_meeting_on is None and duration:
        events.append(duration.cancelled(f"course interrupted: {reason}"))
    if course.central_unit is not None and course.closing_meeting_on is not None:
        closing = central_closing_deadline(course, course.closing_meeting_on, calendar)
        events.append(closing.cancelled(f"course interrupted: {reason}"))
    changed = []
    for delivery in deliveries:
        if delivery.status in ("statement_submitted", "closed"):
            continue
        # A part that never started has nothing to settle: it closes with the interruption.
        status = "interrupted" if delivery.started else "closed"
        changed.append(delivery.model_copy(update={"status": status, "pending_version": None}))
        events += open_deadlines(delivery, f"course interrupted: {reason}")
    return updated, changed, events


def central_closing_deadline(
    course: Course, closing_meeting_on: date, calendar: WorkingDayCalendar
) -> deadlines.DeadlineSpec:
    """When the consultant closes a course the central unit ran."""
    return deadlines.central_course_closing(
        case_id=course.id,
        closing_meeting_on=closing_meeting_on,
        consultant_id=course.consultant_id,
        calendar=calendar,
        working_days=STATEMENT_DUE_WORKING_DAYS,
    )


def agenda_deadline(
    course: Course,
    deliveries: Sequence[Delivery],
    activity: AnchoringActivity,
    calendar: WorkingDayCalendar,
) -> deadlines.DeadlineSpec | None:
    """When the anchoring meeting's agenda is due, on the coordinating specialist."""
    coordinator = next(
        (d for d in deliveries if d.supplier_id == course.coordinator_supplier_id), None
    )
    if activity.kind != "anchoring_meeting" or coordinator is None:
        return None
    return deadlines.anchoring_agenda(
        case_id=course.id,
        activity_id=activity.activity_id,
        booked_on=activity.booked_on or activity.on,
        meeting_on=activity.on,
        days_before=ANCHORING_AGENDA_DAYS_BEFORE,
        specialist_id=coordinator.specialist_id,
        supplier_id=coordinator.supplier_id,
        calendar=calendar,
    )


def book_anchoring(
    course: Course,
    deliveries: Sequence[Delivery],
    *,
    activity_id: str,
    kind: AnchoringKind,
    on: date,
    actor: Actor,
    today: date,
    calendar: WorkingDayCalendar,
) -> tuple[Course, list[EventPayload]]:
    """Book an anchoring activity within the limits, once a delivery change agreed anchoring."""
    require_participant(course, actor)
    if not service_rules(course.service).anchoring:
        raise IllegalTransition(f"{course.service} has no anchoring")
    if course.status not in ("running", "closed") or course.interruption is not None:
        raise IllegalTransition(f"no anchoring for a course that is {course.status}")
    if not any(d.current is not None and d.current.anchoring for d in deliveries):
        raise IllegalTransition("anchoring needs an approved delivery change that agrees it")
    booked = anchoring_rules.book(
        course.anchoring,
        activity_id=activity_id,
        kind=kind,
        on=on,
        closing_meeting_on=course.closing_meeting_on,
        today=today,
    )
    updated = course.model_copy(update={"anchoring": booked})
    events: list[EventPayload] = [
        AnchoringActivityBooked(case_id=course.id, activity_id=activity_id, kind=kind, on=on)
    ]
    agenda = agenda_deadline(updated, deliveries, booked[-1], calendar)
    if agenda is not None:
        events.append(agenda.set())
    return updated, events


def send_anchoring_agenda(
    course: Course,
    deliveries: Sequence[Delivery],
    *,
    activity_id: str,
    actor: Actor,
    today: date,
    calendar: WorkingDayCalendar,
) -> tuple[Course, list[EventPayload]]:
    """The agenda and plan template went to the coordinator: the agenda deadline is met."""
    require_participant(course, actor)
    activities, sent = anchoring_rules.send_agenda(course.anchoring, activity_id, today=today)
    updated = course.model_copy(update={"anchoring": activities})
    agenda = agenda_deadline(course, deliveries, sent, calendar)
    return updated, [] if agenda is None else [agenda.met(today)]


def hold_anchoring(
    course: Course, *, activity_id: str, actor: Actor, today: date
) -> tuple[Course, list[EventPayload]]:
    """Record that a booked anchoring activity took place."""
    require_participant(course, actor)
    activities, held = anchoring_rules.hold(course.anchoring, activity_id, today=today)
    updated = course.model_copy(update={"anchoring": activities})
    event = AnchoringActivityHeld(
        case_id=course.id, activity_id=activity_id, kind=held.kind, on=held.on
    )
    return updated, [event]
