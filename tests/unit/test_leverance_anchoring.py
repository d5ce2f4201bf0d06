"""Anchoring limits (H 5.4): window, one meeting, follow-ups one at a time, sparring."""

from __future__ import annotations

from datetime import date

import pytest

from services.kernel.errors import IllegalTransition, OutsideWindow
from services.leverance.domain import anchoring, deadlines
from services.leverance.domain import course as rules
from services.leverance.domain.anchoring import AnchoringActivity
from services.workdays import DEFAULT_CALENDAR
from tests.unit.test_leverance_builders import (
    CONSULTANT,
    NOW,
    SPECIALIST,
    approve,
    keep,
    opened,
    propose,
)
from tests.unit.test_leverance_builders import draft as budget_line

CLOSING = date(2026, 6, 10)


def book(
    booked: tuple[AnchoringActivity, ...], kind: str, on: date
) -> tuple[AnchoringActivity, ...]:
    return anchoring.book(
        booked,
        activity_id=f"F{len(booked) + 1}",
        kind=kind,  # type: ignore[arg-type]
        on=on,
        closing_meeting_on=CLOSING,
    )


def held(booked: tuple[AnchoringActivity, ...]) -> tuple[AnchoringActivity, ...]:
    return anchoring.hold(booked, booked[-1].activity_id, today=date(2027, 1, 1))[0]


def after_meeting() -> tuple[AnchoringActivity, ...]:
    return held(book((), "anchoring_meeting", CLOSING))


def test_anchoring_starts_after_the_closing_meeting() -> None:
    with pytest.raises(IllegalTransition):
        anchoring.book(
            (), activity_id="F1", kind="anchoring_meeting", on=CLOSING, closing_meeting_on=None
        )


def test_anchoring_stays_within_six_months_of_the_closing_meeting() -> None:
    # The case's own closing meeting sets the window: outside it is FAILED_PRECONDITION.
    assert book((), "anchoring_meeting", date(2026, 12, 10))
    with pytest.raises(OutsideWindow) as late:
        book((), "anchoring_meeting", date(2026, 12, 11))
    assert [v.field for v in late.value.violations] == ["on"]
    assert "2026-06-10 to 2026-12-10" in str(late.value)
    with pytest.raises(OutsideWindow):
        book((), "anchoring_meeting", date(2026, 6, 9))


def test_there_is_one_anchoring_meeting() -> None:
    booked = book((), "anchoring_meeting", CLOSING)
    with pytest.raises(IllegalTransition):
        book(booked, "anchoring_meeting", date(2026, 7, 1))


def test_follow_ups_only_after_the_anchoring_meeting_was_held() -> None:
    booked = book((), "anchoring_meeting", CLOSING)
    with pytest.raises(IllegalTransition):
        book(booked, "follow_up_meeting", date(2026, 7, 1))
    assert book(held(booked), "follow_up_meeting", date(2026, 7, 1))[-1].kind == "follow_up_meeting"


def test_one_follow_up_is_booked_at_a_time_and_three_at_most() -> None:
    booked = book(after_meeting(), "follow_up_meeting", date(2026, 7, 1))
    with pytest.raises(IllegalTransition, match="one follow-up"):
        book(booked, "follow_up_meeting", date(2026, 8, 1))
    booked = held(booked)
    booked = held(book(booked, "follow_up_meeting", date(2026, 8, 1)))
    booked = held(book(booked, "follow_up_meeting", date(2026, 9, 1)))
    with pytest.raises(IllegalTransition, match="at most 3"):
        book(booked, "follow_up_meeting", date(2026, 10, 1))


def test_at_most_two_phone_sparring_sessions_before_each_follow_up() -> None:
    booked = book(after_meeting(), "phone_sparring", date(2026, 6, 15))
    booked = book(booked, "phone_sparring", date(2026, 6, 20))
    with pytest.raises(IllegalTransition, match="at most 2 phone sparring"):
        book(booked, "phone_sparring", date(2026, 6, 25))
    booked = held(book(booked, "follow_up_meeting", date(2026, 7, 1)))
    booked = book(booked, "phone_sparring", date(2026, 7, 5))
    booked = book(booked, "phone_sparring", date(2026, 7, 6))
    with pytest.raises(IllegalTransition):
        book(booked, "phone_sparring", date(2026, 7, 7))
    # Nor can a session or a follow-up be dated back before the follow-up already held.
    with pytest.raises(OutsideWindow) as raised:
        book(booked, "phone_sparring", date(2026, 6, 25))
    [violation] = raised.value.violations
    assert violation.field == "on" and "2026-07-01" in violation.description
    with pytest.raises(OutsideWindow):
        book(booked, "follow_up_meeting", date(2026, 6, 30))


def test_a_follow_up_dated_before_the_anchoring_meeting_held_is_a_failed_precondition() -> None:
    booked = held(book((), "anchoring_meeting", date(2026, 7, 1)))
    with pytest.raises(OutsideWindow) as raised:
        book(booked, "follow_up_meeting", date(2026, 6, 20))
    [violation] = raised.value.violations
    assert violation.field == "on"
    assert "before the anchoring meeting (2026-07-01)" in violation.description
    assert book(booked, "follow_up_meeting", date(2026, 7, 20))[-1].kind == "follow_up_meeting"


def test_no_sparring_before_the_anchoring_meeting_or_after_the_last_follow_up() -> None:
    with pytest.raises(IllegalTransition):
        book(book((), "anchoring_meeting", CLOSING), "phone_sparring", date(2026, 6, 12))
    booked = after_meeting()
    for month in (7, 8, 9):
        booked = held(book(booked, "follow_up_meeting", date(2026, month, 1)))
    with pytest.raises(IllegalTransition):
        book(booked, "phone_sparring", date(2026, 9, 5))


def test_an_activity_is_held_once_and_not_before_its_day() -> None:
    booked = book((), "anchoring_meeting", CLOSING)
    with pytest.raises(IllegalTransition):
        anchoring.hold(booked, "F1", today=date(2026, 6, 9))
    done, activity = anchoring.hold(booked, "F1", today=CLOSING)
    assert activity.held
    with pytest.raises(IllegalTransition):
        anchoring.hold(done, "F1", today=CLOSING)


def test_anchoring_needs_an_agreed_delivery_change_and_a_service_that_has_it() -> None:
    course, delivery = opened()
    delivery, _ = approve(propose(delivery)[0])
    course, _ = rules.start_if_ready(course, [delivery], now=NOW, calendar=DEFAULT_CALENDAR)
    course = course.model_copy(update={"closing_meeting_on": CLOSING})
    with pytest.raises(IllegalTransition, match="delivery change"):
        rules.book_anchoring(
            course,
            [delivery],
            activity_id="F1",
            kind="anchoring_meeting",
            on=CLOSING,
            actor=CONSULTANT,
            today=CLOSING,
            calendar=DEFAULT_CALENDAR,
        )
    lines = [
        budget_line("special_advice"),
        budget_line("special_activities", hours="1", planned_on=CLOSING, anchoring=True),
    ]
    current = delivery.current
    assert current is not None
    changed, _ = propose(
        delivery,
        [*(keep(a) for a in current.activities), *lines[1:]],
        justification="The participants accepted anchoring",
    )
    changed, _ = approve(changed)
    booked, events = rules.book_anchoring(
        course,
        [changed],
        activity_id="F1",
        kind="anchoring_meeting",
        on=CLOSING,
        actor=SPECIALIST,
        today=CLOSING,
        calendar=DEFAULT_CALENDAR,
    )
    assert booked.anchoring[0].kind == "anchoring_meeting"
    assert events[0].event_type == "AnchoringActivityBooked"
    mini = course.model_copy(update={"service": "mini_single_case"})
    with pytest.raises(IllegalTransition, match="no anchoring"):
        rules.book_anchoring(
            mini,
            [changed],
            activity_id="F1",
            kind="anchoring_meeting",
            on=CLOSING,
            actor=SPECIALIST,
            today=CLOSING,
            calendar=DEFAULT_CALENDAR,
        )


def test_booking_the_anchoring_meeting_sets_the_agenda_deadline_sending_meets_it() -> None:
    course, delivery = opened()
    delivery, _ = approve(propose(delivery)[0])
    course, _ = rules.start_if_ready(course, [delivery], now=NOW, calendar=DEFAULT_CALENDAR)
    course = course.model_copy(update={"closing_meeting_on": CLOSING})
    current = delivery.current
    assert current is not None
    anchoring_line = budget_line(
        "special_activities", hours="1", planned_on=CLOSING, anchoring=True
    )
    changed, _ = approve(
        propose(
            delivery,
            [*(keep(a) for a in current.activities), anchoring_line],
            justification="The participants accepted anchoring",
        )[0]
    )
    meeting = date(2026, 7, 13)  # a Monday; a week before is Monday 6 July
    booked, events = rules.book_anchoring(
        course,
        [changed],
        activity_id="F1",
        kind="anchoring_meeting",
        on=meeting,
        actor=SPECIALIST,
        today=CLOSING,
        calendar=DEFAULT_CALENDAR,
    )
    [agenda] = [e for e in events if e.event_type == "DeadlineSet"]
    assert agenda.rule == "leverance.anchoring_agenda"  # type: ignore[attr-defined]
    assert agenda.due == date(2026, 7, 6)  # type: ignore[attr-defined]
    assert agenda.responsible_user_id == changed.specialist_id  # type: ignore[attr-defined]
    sent, met = rules.send_anchoring_agenda(
        booked,
        [changed],
        activity_id="F1",
        actor=SPECIALIST,
        today=date(2026, 7, 1),
        calendar=DEFAULT_CALENDAR,
    )
    assert sent.anchoring[0].agenda_sent_on == date(2026, 7, 1)
    assert [(e.event_type, e.deadline_id) for e in met] == [  # type: ignore[attr-defined]
        ("DeadlineMet", agenda.deadline_id)  # type: ignore[attr-defined]
    ]
    with pytest.raises(IllegalTransition):
        rules.send_anchoring_agenda(
            sent,
            [changed],
            activity_id="F1",
            actor=SPECIALIST,
            today=date(2026, 7, 2),
            calendar=DEFAULT_CALENDAR,
        )


def test_an_agenda_due_on_a_closing_day_moves_back_to_the_working_day_before() -> None:
    spec = deadlines.anchoring_agenda(
        case_id="c",
        activity_id="F1",
        booked_on=date(2026, 3, 1),
        meeting_on=date(2026, 4, 13),  # a week before is Easter Monday 6 April
        days_before=7,
        specialist_id="s",
        supplier_id="p",
        calendar=DEFAULT_CALENDAR,
    )
    assert spec.due == date(
        2026, 4, 1
    )  # back past Easter Monday, the weekend and the Easter holidays
    assert "moved back" in str(spec.fields["explanation"])
