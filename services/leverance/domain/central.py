"""Courses the central unit runs itself (H 3.2, 3.11, 3.12): no supplier's part, price,
statement or settlement. The consultant plans the course (goals and hours), the consultant or
the named VISO colleague logs the hours, and the consultant closes it once its checklist holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from services.contracts.leverance import (
    CENTRAL_UNIT,
    CentralCourseOpened,
    CentralHoursLogged,
    CourseClosed,
    CourseStarted,
)
from services.contracts.visitation import CaseHandedToCentralUnit
from services.kernel.envelope import EventPayload
from services.kernel.errors import (
    FieldViolation,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    OutsideWindow,
)
from services.kernel.store import Aggregate
from services.leverance.domain.agreements import Actor, Description, validate_description
from services.leverance.domain.closure import checklist, closing_statistics, survey_requested
from services.leverance.domain.course import (
    CentralUnit,
    Course,
    JournaledDocument,
    central_closing_deadline,
    duration_deadline,
    new_course,
    require_consultant,
)
from services.leverance.domain.reference import HOUR_KINDS
from services.leverance.domain.types import Day, Hours
from services.workdays import WorkingDayCalendar


class CentralHours(Aggregate):
    """Hours the central unit logged on a course it runs itself."""

    case_id: str
    main_area: str
    service: str
    activity_kind: str
    worked_on: Day
    hours: Hours
    note: str = ""
    logged_by: str
    logged_at: datetime


def open_central_course(
    course: Course | None, handed: CaseHandedToCentralUnit, *, now: datetime
) -> tuple[Course, list[EventPayload]] | None:
    """The course the central unit runs; None when the case already has a course."""
    if course is not None:
        return None
    opened = new_course(handed, central_unit=CentralUnit(delivered_by=handed.delivered_by))
    event = CentralCourseOpened(
        case_id=handed.case_id,
        inquiry_id=handed.inquiry_id,
        consultant_id=handed.consultant_id,
        delivered_by=handed.delivered_by,
        service=handed.service,
        main_area=handed.main_area,
        opened_at=now,
    )
    return opened, [event]


def _central(course: Course) -> CentralUnit:
    if course.central_unit is None:
        raise IllegalTransition(
            f"the course of case {course.id} is delivered by a supplier; use its delivery"
        )
    return course.central_unit


def start_central_course(
    course: Course,
    *,
    description: Description | None,
    read_violations: Sequence[FieldViolation],
    planned_hours: Decimal,
    actor: Actor,
    now: datetime,
    calendar: WorkingDayCalendar,
) -> tuple[Course, list[EventPayload]]:
    """The consultant plans the course (purpose, concrete goals, hours): it runs."""
    violations = list(read_violations)
    if description is not None:
        violations += validate_description(description)
    if planned_hours <= 0:
        violations.append(FieldViolation("planned_hours", "plan the hours the course takes"))
    if violations:
        raise InvalidInput(violations)
    assert description is not None
    require_consultant(course, actor)
    central = _central(course)
    if course.status != "awaiting_agreement":
        raise IllegalTransition(f"the course is {course.status}; it was planned already")
    planned = central.model_copy(
        update={"description": description, "planned_hours": planned_hours}
    )
    started = course.model_copy(
        update={"central_unit": planned, "status": "running", "started_at": now}
    )
    events: list[EventPayload] = [
        CourseStarted(
            case_id=course.id,
            inquiry_id=course.inquiry_id,
            service=course.service,
            supplier_ids=[],
            coordinator_supplier_id="",
            started_at=now,
            delivered_by=CENTRAL_UNIT,
            deliverer_id=central.delivered_by,
            planned_hours=planned_hours,
        )
    ]
    duration = duration_deadline(started, [], calendar)
    if duration is not None:
        events.append(duration.set())
    return started, events


def require_central_staff(course: Course, actor: Actor) -> CentralUnit:
    """The case's consultant or the VISO colleague delivering the course."""
    central = _central(course)
    if actor.role != "consultant" or actor.user_id not in (
        course.consultant_id,
        central.delivered_by,
    ):
        raise Forbidden("only the case's consultant or the VISO colleague delivering it")
    return central


def log_hours(
    course: Course,
    *,
    entry_id: str,
    activity_kind: str,
    worked_on: date,
    hours: Decimal,
    note: str,
    actor: Actor,
    today: date,
    now: datetime,
) -> tuple[Course, CentralHours, list[EventPayload]]:
    """Hours the central unit spent, logged against the course (and the year's statistics)."""
    violations = []
    if activity_kind not in HOUR_KINDS:
        kinds = ", ".join(sorted(HOUR_KINDS))
        violations.append(FieldViolation("activity_kind", f"one of {kinds}"))
    if hours <= 0:
        violations.append(FieldViolation("hours", "log more than 0 hours"))
    if worked_on > today:
        violations.append(FieldViolation("worked_on", "in the future"))
    if violations:
        raise InvalidInput(violations)
    central = require_central_staff(course, actor)
    if course.status != "running":
        raise IllegalTransition(
            f"hours are logged on a running course; this one is {course.status}"
        )
    if worked_on < course.clarifying_meeting_on:
        raise OutsideWindow.single(
            "worked_on",
            f"{worked_on.isoformat()} is before the clarifying meeting "
            f"({course.clarifying_meeting_on.isoformat()})",
        )
    entry = CentralHours(
        id=entry_id,
        case_id=course.id,
        main_area=course.main_area,
        service=course.service,
        activity_kind=activity_kind,
        worked_on=worked_on,
        hours=hours,
        note=note.strip(),
        logged_by=actor.user_id,
        logged_at=now,
    )
    logged = central.model_copy(update={"logged_hours": central.logged_hours + hours})
    event = CentralHoursLogged(
        case_id=course.id,
        entry_id=entry_id,
        main_area=course.main_area,
        activity_kind=activity_kind,
        worked_on=worked_on,
        hours=hours,
        logged_by=actor.user_id,
    )
    return course.model_copy(update={"central_unit": logged}), entry, [event]


def close_central_course(
    course: Course,
    documents: Sequence[JournaledDocument],
    *,
    actor: Actor,
    today: date,
    now: datetime,
    calendar: WorkingDayCalendar,
) -> tuple[Course, list[EventPayload]]:
    """The consultant checks the case and closes the course once its checklist holds (H 5.3.3):
    no financial statement, no settlement."""
    require_consultant(course, actor)
    central = _central(course)
    if course.status != "running":
        raise IllegalTransition(f"the course is {course.status}, not running")
    missing = checklist(course, documents).missing()
    if missing:
        raise IllegalTransition(f"the closing checklist is not complete: {', '.join(missing)}")
    assert course.closing_meeting_on is not None
    closed = course.model_copy(update={"status": "closed", "closed_at": now})
    events: list[EventPayload] = [
        central_closing_deadline(course, course.closing_meeting_on, calendar).met(today),
        CourseClosed(
            case_id=course.id,
            inquiry_id=course.inquiry_id,
            service=course.service,
            interrupted=False,
            closed_at=now,
            delivered_by=CENTRAL_UNIT,
            central_unit_hours=central.logged_hours,
            **closing_statistics(course),
        ),
    ]
    events += survey_requested(course, now)
    return closed, events
