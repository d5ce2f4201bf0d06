"""The closing meeting's quality (H 5.1.3, 5.3.2): each goal evaluated with a comment, the
consultant's attendance recorded and required where the handbook requires it; both reach the
statistics events."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.contracts.leverance import ClosingMeetingHeld, CourseClosed
from services.kernel.errors import IllegalTransition, InvalidInput, OutsideWindow
from services.leverance.domain import closure
from services.leverance.domain import course as course_rules
from services.leverance.domain.agreements import Delivery
from services.leverance.domain.course import Course
from services.leverance.domain.goals import GoalEvaluation
from services.workdays import DEFAULT_CALENDAR
from tests.unit.test_leverance_builders import (
    CONSULTANT,
    NOW,
    OTHER_SPECIALIST,
    SPECIALIST,
    all_reached,
    approve,
    description,
    handed,
    propose,
)
from tests.unit.test_leverance_closure import running_course

HELD_ON = date(2026, 4, 1)
TODAY = date(2026, 4, 16)
GOALS = description().goals


def hold(
    course: Course,
    parts: list[Delivery],
    evaluations: list[GoalEvaluation],
    attended: bool | None = False,
    **fields: Any,
) -> tuple[Course, list[Any]]:
    values: dict[str, Any] = {"held_on": HELD_ON, "today": TODAY, "actor": SPECIALIST}
    return closure.record_closing_meeting(
        course,
        parts,
        calendar=DEFAULT_CALENDAR,
        evaluations=evaluations,
        consultant_attended=attended,
        **{**values, **fields},
    )


def judged(goal: str, result: str = "reached", delivery_id: str = "") -> GoalEvaluation:
    return GoalEvaluation.model_validate(
        {"delivery_id": delivery_id, "goal": goal, "result": result, "comment": "Drøftet"}
    )


def test_each_goal_is_evaluated_and_the_evaluations_reach_the_statistics() -> None:
    course, delivery = running_course()
    evaluations = [judged(GOALS[0], "partly_reached"), judged(f"  {GOALS[1].upper()} ")]
    held, events = hold(course, [delivery], evaluations)
    assert [(e.delivery_id, e.result) for e in held.goal_evaluations] == [
        ("d-1", "partly_reached"),
        ("d-1", "reached"),
    ]
    meeting = events[0]
    assert isinstance(meeting, ClosingMeetingHeld)
    assert [g.result for g in meeting.goal_evaluations] == ["partly_reached", "reached"]
    assert (meeting.consultant_attended, meeting.consultant_attendance_required) == (False, False)
    closing = closure.closing_statistics(held)
    assert closing == {
        "goals_reached": 1,
        "goals_partly_reached": 1,
        "goals_not_reached": 0,
        "consultant_attended_closing_meeting": False,
    }


def test_a_goal_left_out_or_not_in_the_agreement_is_refused_by_the_agreement() -> None:
    course, delivery = running_course()
    with pytest.raises(IllegalTransition, match="goals not evaluated: " + GOALS[1]):
        hold(course, [delivery], [judged(GOALS[0])])
    with pytest.raises(IllegalTransition, match="not a goal of the agreement in force: Be happy"):
        hold(course, [delivery], [*all_reached(course, [delivery]), judged("Be happy")])


def test_a_goal_evaluated_twice_or_a_missing_attendance_is_a_bad_request() -> None:
    course, delivery = running_course()
    with pytest.raises(InvalidInput) as caught:
        hold(course, [delivery], [judged(GOALS[0]), judged(GOALS[0].lower()), judged(GOALS[1])])
    assert [v.field for v in caught.value.violations] == ["goal_evaluations.1.goal"]
    with pytest.raises(InvalidInput) as caught:
        hold(course, [delivery], all_reached(course, [delivery]), None, held_on=date(2026, 5, 1))
    assert {v.field for v in caught.value.violations} == {"held_on", "consultant_attended"}


def test_the_consultant_must_attend_a_group_courses_closing_meeting() -> None:
    course, delivery = running_course("group_course")
    evaluations = all_reached(course, [delivery])
    with pytest.raises(IllegalTransition, match="group_course"):
        hold(course, [delivery], evaluations, False)
    held, events = hold(course, [delivery], evaluations, True)
    assert held.consultant_attended is True
    assert events[0].consultant_attendance_required is True


@pytest.mark.parametrize("flag", ["high_conflict", "press_attention"])
def test_high_conflict_or_press_attention_requires_the_consultant(flag: str) -> None:
    course, delivery = running_course("mini_single_case")
    flagged = course.model_copy(update={flag: True})
    evaluations = all_reached(course, [delivery])
    with pytest.raises(IllegalTransition, match="consultant must attend"):
        hold(flagged, [delivery], evaluations, False)
    assert hold(course, [delivery], evaluations, False)[0].consultant_attended is False


def test_the_hand_over_brings_visitations_high_conflict_and_press_flags() -> None:
    event = handed().model_copy(update={"high_conflict": True, "press_attention": True})
    opened = course_rules.hand_over(None, event, delivery_id="d-1", now=NOW)
    assert opened is not None
    assert (opened[0].high_conflict, opened[0].press_attention) == (True, True)


def test_with_two_suppliers_each_parts_goals_are_evaluated_by_its_delivery() -> None:
    course, first = running_course()
    second_handover = course_rules.hand_over(
        course.model_copy(update={"status": "awaiting_agreement"}),
        handed(supplier="s-2"),
        delivery_id="d-2",
        now=NOW,
    )
    assert second_handover is not None
    course, second, _ = second_handover
    specialist_2 = OTHER_SPECIALIST.model_copy(update={"supplier_id": "s-2"})
    second, _ = approve(propose(second, actor=specialist_2)[0])
    course = course.model_copy(update={"status": "running", "coordinator_supplier_id": "s-1"})
    parts = [first, second]
    with pytest.raises(IllegalTransition, match="name the delivery"):
        hold(course, parts, [judged(goal) for goal in GOALS])
    held, _ = hold(course, parts, all_reached(course, parts))
    assert sorted({e.delivery_id for e in held.goal_evaluations}) == ["d-1", "d-2"]
    assert len(held.goal_evaluations) == 4


def test_the_closed_course_reports_the_goals_and_the_attendance() -> None:
    course, delivery = running_course("group_course")
    evaluations = [judged(GOALS[0], "not_reached"), judged(GOALS[1])]
    held, _ = hold(course, [delivery], evaluations, True, actor=CONSULTANT)
    closed_part = delivery.model_copy(update={"status": "closed"})
    _, events = closure.close_if_done(held, [closed_part], now=NOW)
    closed = events[0]
    assert isinstance(closed, CourseClosed)
    assert (closed.goals_reached, closed.goals_not_reached) == (1, 1)
    assert closed.consultant_attended_closing_meeting is True


def test_a_closing_meeting_before_the_clarifying_meeting_is_refused_by_the_history() -> None:
    course, delivery = running_course()
    with pytest.raises(OutsideWindow, match="before the clarifying meeting") as caught:
        hold(course, [delivery], all_reached(course, [delivery]), held_on=date(2026, 3, 1))
    assert [v.field for v in caught.value.violations] == ["held_on"]
