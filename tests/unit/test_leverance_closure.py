"""The closing checklist, the financial statement, closure, the survey and interruption."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.contracts.deadlines import DeadlineCancelled, DeadlineSet
from services.kernel.errors import Forbidden, IllegalTransition, InvalidInput
from services.leverance.domain import closure
from services.leverance.domain import course as rules
from services.leverance.domain.agreements import Delivery
from services.leverance.domain.course import Course, JournaledDocument
from services.leverance.domain.reference import InterruptionReason
from services.workdays import DEFAULT_CALENDAR
from tests.unit.test_leverance_builders import (
    CONSULTANT,
    NOW,
    SPECIALIST,
    all_reached,
    approve,
    opened,
    propose,
    types,
)

HELD_ON = date(2026, 4, 1)  # a Wednesday before Easter 2026
TODAY = date(2026, 4, 16)


def doc(
    kind: str,
    title: str = "Final",
    sent_to: tuple[str, ...] = ("Odense Kommune",),
    status: str = "final",
) -> Any:
    return JournaledDocument(
        id=f"{kind}-{title}-{status}",
        case_id="case-1",
        kind=kind,
        title=title,
        sent_to=sent_to,
        journaled_at=NOW,
        status=status,
    )


COMPLETE = [doc("closing_summary_note"), doc("advisory_report", "Rådgivningsrapport")]


def running_course(service: str = "single_case") -> tuple[Course, Delivery]:
    course, delivery = opened(service)
    delivery, _ = approve(propose(delivery)[0])
    course, _ = rules.start_if_ready(course, [delivery], now=NOW, calendar=DEFAULT_CALENDAR)
    assert course.status == "running"
    return course, delivery


def closed_meeting(service: str = "single_case", confirm: bool = True) -> tuple[Course, Delivery]:
    """A course after its closing meeting; its part's closing steps confirmed unless told not."""
    course, delivery = running_course(service)
    course, _ = closure.record_closing_meeting(
        course,
        [delivery],
        held_on=HELD_ON,
        today=TODAY,
        actor=SPECIALIST,
        calendar=DEFAULT_CALENDAR,
        evaluations=all_reached(course, [delivery]),
        consultant_attended=True,
    )
    if confirm:
        for step in ("recipient_registration_checked", "working_papers_destroyed"):
            delivery, _ = closure.confirm_closing_step(
                course,
                delivery,
                step=step,
                actor=SPECIALIST,
                today=TODAY,
            )
    return course, delivery


def submit(course: Course, delivery: Delivery, documents: list[Any]) -> Any:
    return closure.submit_statement(
        course,
        delivery,
        documents,
        consumed_dkk=Decimal("100.00"),
        actor=SPECIALIST,
        today=TODAY,
        calendar=DEFAULT_CALENDAR,
    )


def test_the_statement_is_due_seven_working_days_after_the_closing_meeting() -> None:
    course, delivery = running_course()
    _, events = closure.record_closing_meeting(
        course,
        [delivery],
        held_on=HELD_ON,
        today=TODAY,
        actor=SPECIALIST,
        calendar=DEFAULT_CALENDAR,
        evaluations=all_reached(course, [delivery]),
        consultant_attended=True,
    )
    assert types(events) == ["ClosingMeetingHeld", "DeadlineMet", "DeadlineSet"]
    assert events[1].model_dump()["rule"] == "leverance.course_duration"
    deadline = events[2]
    assert isinstance(deadline, DeadlineSet)
    # Maundy Thursday, Good Friday, the weekend and Easter Monday do not count.
    assert deadline.due == date(2026, 4, 15)
    assert "Easter Monday" in deadline.explanation


def test_a_closing_meeting_in_the_future_is_refused() -> None:
    course, delivery = running_course()
    with pytest.raises(InvalidInput):
        closure.record_closing_meeting(
            course,
            [delivery],
            held_on=date(2026, 5, 1),
            today=TODAY,
            actor=SPECIALIST,
            calendar=DEFAULT_CALENDAR,
            evaluations=all_reached(course, [delivery]),
            consultant_attended=True,
        )


def test_the_closing_meeting_is_recorded_once() -> None:
    course, delivery = closed_meeting()
    with pytest.raises(IllegalTransition):
        closure.record_closing_meeting(
            course,
            [delivery],
            held_on=HELD_ON,
            today=TODAY,
            actor=SPECIALIST,
            calendar=DEFAULT_CALENDAR,
            evaluations=all_reached(course, [delivery]),
            consultant_attended=True,
        )


def test_the_checklist_names_everything_missing() -> None:
    course, _ = running_course()
    assert closure.checklist(course, []).missing() == [
        "closing_meeting_held",
        "closing_summary_note_sent_and_journaled",
        "advisory_report_sent_and_journaled",
        "recipient_registration_checked",
        "working_papers_destroyed",
    ]


def test_no_statement_before_the_specialist_confirmed_both_closing_steps() -> None:
    course, delivery = closed_meeting(confirm=False)
    with pytest.raises(IllegalTransition, match="recipient_registration_checked"):
        submit(course, delivery, COMPLETE)
    checked, events = closure.confirm_closing_step(
        course, delivery, step="recipient_registration_checked", actor=SPECIALIST, today=TODAY
    )
    assert types(events) == ["ClosingStepConfirmed"]
    with pytest.raises(IllegalTransition, match="working_papers_destroyed"):
        submit(course, checked, COMPLETE)
    destroyed, _ = closure.confirm_closing_step(
        course, checked, step="working_papers_destroyed", actor=SPECIALIST, today=TODAY
    )
    assert closure.checklist(course, COMPLETE, [destroyed]).missing() == []
    assert submit(course, destroyed, COMPLETE)[0].status == "statement_submitted"


def test_closing_steps_are_confirmed_once_by_the_suppliers_specialist_after_the_meeting() -> None:
    course, delivery = closed_meeting(confirm=False)
    with pytest.raises(Forbidden):
        closure.confirm_closing_step(
            course, delivery, step="working_papers_destroyed", actor=CONSULTANT, today=TODAY
        )
    done, _ = closure.confirm_closing_step(
        course, delivery, step="working_papers_destroyed", actor=SPECIALIST, today=TODAY
    )
    with pytest.raises(IllegalTransition):
        closure.confirm_closing_step(
            course, done, step="working_papers_destroyed", actor=SPECIALIST, today=TODAY
        )
    before_meeting, part = running_course()
    with pytest.raises(IllegalTransition):
        closure.confirm_closing_step(
            before_meeting, part, step="working_papers_destroyed", actor=SPECIALIST, today=TODAY
        )


def test_no_statement_before_the_checklist_holds() -> None:
    course, delivery = closed_meeting()
    with pytest.raises(IllegalTransition, match="advisory_report_sent_and_journaled"):
        submit(course, delivery, [doc("closing_summary_note")])


def test_a_draft_report_or_an_unsent_one_does_not_tick_the_checklist() -> None:
    course, delivery = closed_meeting()
    draft_report = doc("advisory_report", "Rådgivningsrapport", status="draft")
    unsent = doc("advisory_report", "Rådgivningsrapport", sent_to=())
    for report in (draft_report, unsent):
        with pytest.raises(IllegalTransition):
            submit(course, delivery, [doc("closing_summary_note"), report])


def test_documents_journaled_by_another_supplier_do_not_count() -> None:
    course, delivery = closed_meeting()
    foreign = [d.model_copy(update={"supplier_id": "s-9"}) for d in COMPLETE]
    with pytest.raises(IllegalTransition):
        submit(course, delivery, foreign)
    own = [d.model_copy(update={"supplier_id": "s-1"}) for d in COMPLETE]
    assert submit(course, delivery, own)[0].status == "statement_submitted"


def test_with_the_checklist_complete_the_statement_is_submitted_and_its_approval_due() -> None:
    course, delivery = closed_meeting()
    submitted, events = submit(course, delivery, COMPLETE)
    assert submitted.status == "statement_submitted"
    assert types(events) == ["DeadlineMet", "FinancialStatementSubmitted", "DeadlineSet"]
    assert submitted.statement is not None
    assert submitted.statement.approval_due == DEFAULT_CALENDAR.add_working_days(TODAY, 7)


def test_only_the_suppliers_specialist_submits() -> None:
    course, delivery = closed_meeting()
    with pytest.raises(Forbidden):
        closure.submit_statement(
            course,
            delivery,
            COMPLETE,
            consumed_dkk=Decimal("0"),
            actor=CONSULTANT,
            today=TODAY,
            calendar=DEFAULT_CALENDAR,
        )


def approve_statement(course: Course, delivery: Delivery) -> Any:
    return closure.approve_statement(
        course, delivery, COMPLETE, actor=CONSULTANT, today=TODAY, calendar=DEFAULT_CALENDAR
    )


def test_approving_the_statement_closes_the_course_and_asks_for_the_survey() -> None:
    course, delivery = closed_meeting()
    submitted, _ = submit(course, delivery, COMPLETE)
    closed_part, events = approve_statement(course, submitted)
    assert closed_part.status == "closed" and types(events)[0] == "FinancialStatementApproved"
    closed, events = closure.close_if_done(course, [closed_part], now=NOW)
    assert closed.status == "closed"
    assert types(events) == ["CourseClosed", "SatisfactionSurveyRequested"]


def test_a_service_without_a_survey_closes_without_one() -> None:
    course, delivery = closed_meeting("mini_single_case")
    submitted, _ = submit(course, delivery, COMPLETE)
    closed_part, _ = approve_statement(course, submitted)
    _, events = closure.close_if_done(course, [closed_part], now=NOW)
    assert types(events) == ["CourseClosed"]


def test_the_course_stays_open_while_a_part_is_not_closed() -> None:
    course, delivery = closed_meeting()
    assert closure.close_if_done(course, [delivery], now=NOW) == (course, [])


def test_the_statement_cannot_be_approved_before_it_is_submitted() -> None:
    course, delivery = closed_meeting()
    with pytest.raises(IllegalTransition):
        approve_statement(course, delivery)


@pytest.mark.parametrize(
    "reason", ["citizen_died", "inquirer_stopped", "consent_withdrawn", "basis_gone"]
)
def test_an_interruption_stops_the_course_with_its_reason(reason: InterruptionReason) -> None:
    course, delivery = running_course()
    stopped, changed, events = rules.interrupt(
        course,
        [delivery],
        reason=reason,
        note="Told by phone",
        actor=CONSULTANT,
        now=NOW,
        calendar=DEFAULT_CALENDAR,
    )
    assert stopped.status == "interrupted" and stopped.interruption is not None
    assert stopped.interruption.reason == reason
    assert [d.status for d in changed] == ["interrupted"]
    assert types(events)[0] == "CourseInterrupted"
    assert all(isinstance(e, DeadlineCancelled) for e in events[1:])
    cancelled = [e.model_dump()["deadline_id"] for e in events[1:]]
    assert cancelled == ["case-1:course_duration", "d-1:log:A1", "d-1:log:A2"]


def test_an_interrupted_part_settles_without_the_checklist_and_closes_without_a_survey() -> None:
    course, delivery = running_course()
    stopped, changed, _ = rules.interrupt(
        course,
        [delivery],
        reason="citizen_died",
        note="-",
        actor=SPECIALIST,
        now=NOW,
        calendar=DEFAULT_CALENDAR,
    )
    submitted, _ = submit(stopped, changed[0], [])
    closed_part, _ = closure.approve_statement(
        stopped, submitted, [], actor=CONSULTANT, today=TODAY, calendar=DEFAULT_CALENDAR
    )
    closed, events = closure.close_if_done(stopped, [closed_part], now=NOW)
    assert closed.status == "closed" and types(events) == ["CourseClosed"]


def test_a_part_that_never_started_closes_with_the_interruption() -> None:
    course, delivery = opened()
    stopped, changed, _ = rules.interrupt(
        course,
        [delivery],
        reason="inquirer_stopped",
        note="-",
        actor=CONSULTANT,
        now=NOW,
        calendar=DEFAULT_CALENDAR,
    )
    assert [d.status for d in changed] == ["closed"]
    closed, events = closure.close_if_done(stopped, changed, now=NOW)
    assert closed.status == "closed" and types(events) == ["CourseClosed"]


def test_an_interruption_needs_a_note_and_happens_once() -> None:
    course, delivery = running_course()
    with pytest.raises(InvalidInput):
        rules.interrupt(
            course,
            [delivery],
            reason="basis_gone",
            note=" ",
            actor=CONSULTANT,
            now=NOW,
            calendar=DEFAULT_CALENDAR,
        )
    stopped, _, _ = rules.interrupt(
        course,
        [delivery],
        reason="basis_gone",
        note="x",
        actor=CONSULTANT,
        now=NOW,
        calendar=DEFAULT_CALENDAR,
    )
    with pytest.raises(IllegalTransition):
        rules.interrupt(
            stopped,
            [delivery],
            reason="basis_gone",
            note="x",
            actor=CONSULTANT,
            now=NOW,
            calendar=DEFAULT_CALENDAR,
        )


def test_only_participants_interrupt() -> None:
    course, delivery = running_course()
    stranger = SPECIALIST.model_copy(update={"supplier_id": "s-9"})
    with pytest.raises(Forbidden):
        rules.interrupt(
            course,
            [delivery],
            reason="basis_gone",
            note="x",
            actor=stranger,
            now=NOW,
            calendar=DEFAULT_CALENDAR,
        )


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("consent_withdrawn", "consent_withdrawn"),
        ("basis_gone", "basis_gone"),
        ("citizen_died", "citizen_died"),
        ("something_new", "basis_gone"),
    ],
)
def test_visitation_stopping_the_case_interrupts_the_course_with_the_matching_reason(
    kind: str, reason: str
) -> None:
    course, delivery = running_course()
    result = rules.stop_for_visitation(
        course,
        [delivery],
        kind=kind,
        reason="The mother withdrew consent",
        now=NOW,
        calendar=DEFAULT_CALENDAR,
    )
    assert result is not None
    stopped, changed, events = result
    assert stopped.interruption is not None and stopped.interruption.reason == reason
    assert stopped.interruption.by == "visitation"
    assert [d.status for d in changed] == ["interrupted"]
    assert types(events)[0] == "CourseInterrupted"
    again = rules.stop_for_visitation(
        stopped, changed, kind=kind, reason="again", now=NOW, calendar=DEFAULT_CALENDAR
    )
    assert again is None
