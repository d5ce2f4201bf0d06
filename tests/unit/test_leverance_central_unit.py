"""Courses the central unit runs itself (H 3.2, 3.11, 3.12): planned, hours logged, closed by
the consultant from the service's checklist; no price, statement or settlement."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.contracts.deadlines import DeadlineCancelled, DeadlineMet, DeadlineSet
from services.contracts.leverance import CourseClosed, CourseStarted
from services.contracts.visitation import CaseHandedToCentralUnit
from services.kernel.errors import Forbidden, IllegalTransition, InvalidInput, OutsideWindow
from services.leverance.domain import central, closure, money
from services.leverance.domain import course as course_rules
from services.leverance.domain.agreements import Actor
from services.leverance.domain.course import Course, JournaledDocument
from services.workdays import DEFAULT_CALENDAR
from tests.unit.test_leverance_builders import (
    CLARIFYING,
    CONSULTANT,
    NOW,
    all_reached,
    description,
    types,
)
from tests.unit.test_leverance_builders import handed as supplier_handed
from tests.unit.test_leverance_builders import opened as supplier_opened

TODAY = date(2026, 4, 16)
COLLEAGUE = Actor(user_id="viso-spec-3", role="consultant")
STRANGER = Actor(user_id="consultant-9", role="consultant")


def handed(service: str = "casework_course", delivered_by: str = "consultant-1") -> Any:
    return CaseHandedToCentralUnit(
        case_id="case-7",
        inquiry_id="inq-7",
        consultant_id="consultant-1",
        delivered_by=delivered_by,
        main_area="adults",
        service=service,
        clarifying_meeting_on=CLARIFYING,
        handed_at=NOW,
    )


def opened(service: str = "casework_course", delivered_by: str = "consultant-1") -> Course:
    result = central.open_central_course(None, handed(service, delivered_by), now=NOW)
    assert result is not None
    course, events = result
    assert types(events) == ["CentralCourseOpened"]
    return course


def start(
    course: Course, *, hours: str = "30", actor: Actor = CONSULTANT, **fields: Any
) -> tuple[Course, list[Any]]:
    return central.start_central_course(
        course,
        description=fields.get("description", description()),
        read_violations=[],
        planned_hours=Decimal(hours),
        actor=actor,
        now=NOW,
        calendar=DEFAULT_CALENDAR,
    )


def started(service: str = "casework_course", delivered_by: str = "consultant-1") -> Course:
    course, _ = start(opened(service, delivered_by))
    return course


def log(course: Course, hours: str = "7.5", actor: Actor = CONSULTANT, **fields: Any) -> Any:
    values: dict[str, Any] = {"activity_kind": "special_advice", "worked_on": date(2026, 3, 20)}
    return central.log_hours(
        course,
        entry_id="h-1",
        hours=Decimal(hours),
        note="Sagsanalyse",
        actor=actor,
        today=TODAY,
        now=NOW,
        **{**values, **fields},
    )


def after_meeting(course: Course) -> Course:
    held, events = closure.record_closing_meeting(
        course,
        [],
        held_on=date(2026, 4, 1),
        today=TODAY,
        actor=CONSULTANT,
        calendar=DEFAULT_CALENDAR,
        evaluations=all_reached(course, []),
        consultant_attended=True,
    )
    assert types(events) == ["ClosingMeetingHeld", "DeadlineMet", "DeadlineSet"]
    closing = events[2]
    assert isinstance(closing, DeadlineSet)
    assert (closing.rule, closing.responsible_user_id) == (
        "leverance.central_course_closing",
        "consultant-1",
    )
    return held


def sent(kind: str, title: str = "Endelig") -> JournaledDocument:
    return JournaledDocument(
        id=kind,
        case_id="case-7",
        kind=kind,
        title=title,
        sent_to=("Aarhus Kommune",),
        journaled_at=NOW,
    )


def test_the_hand_over_opens_a_course_without_a_supplier_awaiting_its_plan() -> None:
    course = opened()
    assert course.parts == () and course.status == "awaiting_agreement"
    assert course.central_unit is not None and course.central_unit.delivered_by == "consultant-1"
    assert central.open_central_course(course, handed(), now=NOW) is None


def test_the_consultants_plan_starts_it_with_the_duration_on_whoever_delivers() -> None:
    course, events = start(opened("mini_casework_course", "viso-spec-3"), hours="12")
    assert course.status == "running"
    started_event, duration = events
    assert isinstance(started_event, CourseStarted) and isinstance(duration, DeadlineSet)
    assert (started_event.delivered_by, started_event.deliverer_id) == (
        "central_unit",
        "viso-spec-3",
    )
    assert started_event.supplier_ids == [] and started_event.planned_hours == Decimal("12")
    assert (duration.responsible_role, duration.responsible_user_id) == (
        "consultant",
        "viso-spec-3",
    )
    assert duration.due == date(2026, 7, 2)  # 4 months from 2026-03-02, a working day


def test_the_plan_needs_concrete_goals_and_hours_and_the_cases_consultant() -> None:
    course = opened()
    with pytest.raises(InvalidInput) as caught:
        twice = description(goals=["Same goal stated twice", "same goal stated twice"])
        start(course, hours="0", description=twice)
    assert {v.field for v in caught.value.violations} == {"description.goals.1", "planned_hours"}
    with pytest.raises(Forbidden):
        start(course, actor=COLLEAGUE)


def test_a_supplier_course_is_not_planned_as_a_central_one() -> None:
    supplier_course, _ = supplier_opened()
    with pytest.raises(IllegalTransition, match="supplier"):
        start(supplier_course)


def test_the_consultant_or_the_colleague_delivering_logs_hours_without_a_price() -> None:
    course = started(delivered_by="viso-spec-3")
    course, entry, events = log(course, actor=COLLEAGUE)
    course, _, _ = log(course, hours="2", actor=CONSULTANT)
    assert course.central_unit is not None and course.central_unit.logged_hours == Decimal("9.5")
    assert (entry.hours, entry.main_area, entry.logged_by) == (
        Decimal("7.5"),
        "adults",
        "viso-spec-3",
    )
    assert types(events) == ["CentralHoursLogged"]
    with pytest.raises(Forbidden):
        log(course, actor=STRANGER)


def test_hours_are_refused_before_the_start_or_the_clarifying_meeting_or_in_the_future() -> None:
    with pytest.raises(IllegalTransition, match="running"):
        log(opened())
    with pytest.raises(OutsideWindow, match="before the clarifying meeting") as early:
        log(started(), worked_on=CLARIFYING - timedelta(days=1))
    assert [v.field for v in early.value.violations] == ["worked_on"]
    with pytest.raises(InvalidInput) as caught:
        log(started(), hours="0", worked_on=TODAY + timedelta(days=1), activity_kind="km")
    assert {v.field for v in caught.value.violations} == {"hours", "worked_on", "activity_kind"}


def test_the_consultant_closes_it_once_the_services_documents_are_journaled() -> None:
    course = after_meeting(started())
    assert closure.checklist(course, []).missing() == [
        "analysis_report_sent_and_journaled",
        "closing_note_sent_and_journaled",
    ]
    with pytest.raises(IllegalTransition, match="closing_note_sent_and_journaled"):
        central.close_central_course(
            course,
            [sent("analysis_report")],
            actor=CONSULTANT,
            today=TODAY,
            now=NOW,
            calendar=DEFAULT_CALENDAR,
        )
    documents = [sent("analysis_report"), sent("closing_note")]
    with pytest.raises(Forbidden):
        central.close_central_course(
            course, documents, actor=COLLEAGUE, today=TODAY, now=NOW, calendar=DEFAULT_CALENDAR
        )
    logged, _, _ = log(course)
    closed, events = central.close_central_course(
        logged, documents, actor=CONSULTANT, today=TODAY, now=NOW, calendar=DEFAULT_CALENDAR
    )
    assert closed.status == "closed"
    met, closed_event = events
    assert isinstance(met, DeadlineMet) and met.rule == "leverance.central_course_closing"
    assert isinstance(closed_event, CourseClosed)
    assert (closed_event.delivered_by, closed_event.central_unit_hours) == (
        "central_unit",
        Decimal("7.5"),
    )


def test_no_closing_before_the_closing_meeting() -> None:
    with pytest.raises(IllegalTransition, match="closing_meeting_held"):
        central.close_central_course(
            started(), [], actor=CONSULTANT, today=TODAY, now=NOW, calendar=DEFAULT_CALENDAR
        )


def test_an_interrupted_central_course_closes_at_once_with_its_deadlines_cancelled() -> None:
    course = after_meeting(started())
    stopped, changed, events = course_rules.interrupt(
        course,
        [],
        reason="inquirer_stopped",
        note="The municipality stopped the course",
        actor=CONSULTANT,
        now=NOW,
        calendar=DEFAULT_CALENDAR,
    )
    assert changed == [] and stopped.status == "interrupted"
    assert [e.rule for e in events if isinstance(e, DeadlineCancelled)] == [
        "leverance.central_course_closing"
    ]
    closed, close_events = closure.close_if_done(stopped, [], now=NOW)
    assert closed.status == "closed" and types(close_events) == ["CourseClosed"]


def test_spending_counts_the_central_units_hours_per_main_area_and_year() -> None:
    course = started()
    _, entry, _ = log(course)
    _, last_year, _ = log(course, worked_on=date(2026, 3, 3), hours="1")
    old = last_year.model_copy(update={"worked_on": date(2025, 12, 31)})
    rows = {r.main_area: r for r in money.spending(2026, [], {}, [entry, old])}
    assert rows["adults"].central_unit_hours == Decimal("7.5")
    assert (
        rows["adults"].approved_dkk == Decimal("0")
        and rows["children_youth"].central_unit_hours == 0
    )


def test_a_suppliers_hand_over_adds_no_part_to_a_central_unit_course() -> None:
    course = opened()
    assert course_rules.hand_over(course, supplier_handed(), delivery_id="d-9", now=NOW) is None
