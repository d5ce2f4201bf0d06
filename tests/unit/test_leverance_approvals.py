"""Every approval path: consultant, high price with the manager, renegotiation, suppliers."""

from __future__ import annotations

from datetime import date

import pytest

from services.contracts.deadlines import DeadlineSet
from services.contracts.leverance import (
    DeliveryAgreementProposed,
    HighPriceApprovalRequested,
    HighPriceDecided,
)
from services.kernel.errors import Forbidden, IllegalTransition, InvalidInput
from services.leverance.domain import agreements
from services.leverance.domain import course as course_rules
from services.workdays import DEFAULT_CALENDAR
from tests.unit.test_leverance_builders import (
    CONSULTANT,
    MANAGER,
    NOW,
    OTHER_SPECIALIST,
    THRESHOLD,
    approve,
    draft,
    handed,
    opened,
    propose,
    types,
)

EXPENSIVE = [draft("assessment", hours="60"), draft("special_advice", hours="60")]  # 114,000


def test_below_the_threshold_the_consultants_approval_puts_the_agreement_in_force() -> None:
    _, delivery = opened()
    proposed, _ = propose(delivery)
    approved, events = approve(proposed)
    assert approved.status == "running" and approved.current_version == 1
    assert approved.pending_version is None
    assert types(events) == ["DeliveryAgreementApproved", "DeadlineSet", "DeadlineSet"]
    deadline = events[1]
    assert isinstance(deadline, DeadlineSet)
    assert deadline.due.isoformat() == "2026-04-30" and deadline.responsible_role == "specialist"


def test_above_the_threshold_the_manager_approves_after_the_consultant() -> None:
    _, delivery = opened()
    proposed, _ = propose(delivery, EXPENSIVE)
    waiting, events = approve(proposed)
    assert waiting.status == "awaiting_manager" and waiting.current_version is None
    assert isinstance(events[0], HighPriceApprovalRequested)
    assert events[0].manager_id == "manager-1"
    assert waiting.pending is not None and waiting.pending.high_price

    approved, events = approve(waiting, MANAGER)
    assert approved.status == "running" and approved.current_version == 1
    decided = events[0]
    assert isinstance(decided, HighPriceDecided) and decided.approved
    assert decided.consultant_id == "consultant-1"


def test_the_manager_cannot_approve_before_the_consultant() -> None:
    _, delivery = opened()
    proposed, _ = propose(delivery, EXPENSIVE)
    with pytest.raises(Forbidden):
        approve(proposed, MANAGER)


def test_only_the_consultants_own_manager_decides() -> None:
    _, delivery = opened()
    waiting, _ = approve(propose(delivery, EXPENSIVE)[0])
    other = MANAGER.model_copy(update={"user_id": "manager-7"})
    with pytest.raises(Forbidden):
        approve(waiting, other)


def test_a_manager_rejection_returns_the_agreement_and_tells_the_consultant() -> None:
    _, delivery = opened()
    waiting, _ = approve(propose(delivery, EXPENSIVE)[0])
    returned, events = agreements.return_for_renegotiation(
        waiting, actor=MANAGER, objections="Too many assessment hours", now=NOW
    )
    assert returned.status == "renegotiation" and returned.pending_version is None
    assert types(events) == ["HighPriceDecided", "DeliveryAgreementReturned"]
    decided = events[0]
    assert isinstance(decided, HighPriceDecided) and not decided.approved
    assert decided.objections == "Too many assessment hours"
    again, _ = propose(returned)
    assert again.pending_version == 2 and again.version_numbered(1) is not None
    assert again.version_numbered(1).status == "returned"  # type: ignore[union-attr]


def test_the_consultant_asks_for_renegotiation_with_written_objections() -> None:
    _, delivery = opened()
    proposed, _ = propose(delivery)
    with pytest.raises(InvalidInput):
        agreements.return_for_renegotiation(proposed, actor=CONSULTANT, objections=" ", now=NOW)
    returned, events = agreements.return_for_renegotiation(
        proposed, actor=CONSULTANT, objections="Goals are too broad", now=NOW
    )
    assert returned.status == "renegotiation"
    assert types(events) == ["DeliveryAgreementReturned"]
    assert returned.versions[0].objections == "Goals are too broad"


def test_only_the_cases_consultant_approves() -> None:
    _, delivery = opened()
    proposed, _ = propose(delivery)
    with pytest.raises(Forbidden):
        approve(proposed, CONSULTANT.model_copy(update={"user_id": "consultant-9"}))


def test_a_specialist_of_another_supplier_cannot_propose() -> None:
    _, delivery = opened()
    with pytest.raises(Forbidden):
        propose(delivery, actor=OTHER_SPECIALIST)


def test_a_second_proposal_waits_for_the_first_decision() -> None:
    _, delivery = opened()
    proposed, _ = propose(delivery)
    with pytest.raises(IllegalTransition):
        propose(proposed)


def test_nothing_to_approve_is_refused() -> None:
    _, delivery = opened()
    with pytest.raises(IllegalTransition):
        approve(delivery)


def test_the_course_starts_when_the_only_part_is_fully_approved() -> None:
    course, delivery = opened()
    waiting, _ = approve(propose(delivery, EXPENSIVE)[0])
    assert course_rules.start_if_ready(course, [waiting], now=NOW, calendar=DEFAULT_CALENDAR) == (
        course,
        [],
    )
    approved, _ = approve(waiting, MANAGER)
    started, events = course_rules.start_if_ready(
        course, [approved], now=NOW, calendar=DEFAULT_CALENDAR
    )
    assert started.status == "running" and types(events) == ["CourseStarted", "DeadlineSet"]
    duration = events[1]
    assert isinstance(duration, DeadlineSet) and duration.rule == "leverance.course_duration"
    assert duration.due == date(2026, 11, 2)  # 8 months after the clarifying meeting


def test_with_several_suppliers_each_part_and_a_named_coordinator_are_needed() -> None:
    course, first = opened()
    second_handover = course_rules.hand_over(
        course, handed(supplier="s-2"), delivery_id="d-2", now=NOW
    )
    assert second_handover is not None
    course, second, _ = second_handover
    assert course.coordinator_supplier_id is None
    first, _ = approve(propose(first)[0])
    assert (
        course_rules.start_if_ready(course, [first, second], now=NOW, calendar=DEFAULT_CALENDAR)[1]
        == []
    )
    specialist_2 = OTHER_SPECIALIST.model_copy(update={"supplier_id": "s-2"})
    second, _ = approve(propose(second, actor=specialist_2)[0])
    assert (
        course_rules.start_if_ready(course, [first, second], now=NOW, calendar=DEFAULT_CALENDAR)[1]
        == []
    )
    named, _ = course_rules.name_coordinator(course, "s-2", actor=CONSULTANT)
    started, events = course_rules.start_if_ready(
        named, [first, second], now=NOW, calendar=DEFAULT_CALENDAR
    )
    assert started.status == "running"
    assert events[0].model_dump()["coordinator_supplier_id"] == "s-2"


def test_the_coordinator_must_have_a_part() -> None:
    course, _ = opened()
    with pytest.raises(InvalidInput):
        course_rules.name_coordinator(course, "s-5", actor=CONSULTANT)


def test_the_same_supplier_handed_over_twice_opens_one_part() -> None:
    course, _ = opened()
    assert course_rules.hand_over(course, handed(), delivery_id="d-x", now=NOW) is None


def test_a_sent_summary_note_makes_the_proposal_due_five_days_later() -> None:
    _, delivery = opened()
    # Sent Thursday 2026-03-05: five days later is Tuesday 2026-03-10.
    waiting, events = agreements.expect_proposal(
        delivery, sent_on=date(2026, 3, 5), calendar=DEFAULT_CALENDAR
    )
    [deadline] = events
    assert isinstance(deadline, DeadlineSet) and deadline.rule == "leverance.agreement_proposal"
    assert deadline.due == date(2026, 3, 10) and deadline.responsible_user_id == "spec-1"
    again, more = agreements.expect_proposal(
        waiting, sent_on=date(2026, 3, 9), calendar=DEFAULT_CALENDAR
    )
    assert (again, more) == (waiting, [])
    _, events = propose(waiting)
    assert types(events) == ["DeliveryAgreementProposed", "DeadlineMet"]


def test_a_due_date_on_a_weekend_rolls_to_the_next_working_day() -> None:
    _, delivery = opened()
    _, [deadline] = agreements.expect_proposal(
        delivery, sent_on=date(2026, 3, 2), calendar=DEFAULT_CALENDAR
    )
    assert deadline.model_dump()["due"] == date(2026, 3, 9)  # Saturday 7th -> Monday 9th


def test_a_proposal_above_the_threshold_is_high_price_as_soon_as_it_is_proposed() -> None:
    _, delivery = opened()
    cheap, cheap_events = propose(delivery, high_price_threshold=THRESHOLD)
    assert cheap.versions[-1].high_price is False
    costly, events = propose(
        delivery,
        [draft("visitation", hours="4"), draft(hours="1000")],
        high_price_threshold=THRESHOLD,
    )
    version = costly.versions[-1]
    assert version.total_dkk > THRESHOLD and version.high_price is True
    proposed = events[0]
    assert isinstance(proposed, DeliveryAgreementProposed) and proposed.high_price
    cheap_proposed = next(e for e in cheap_events if isinstance(e, DeliveryAgreementProposed))
    assert not cheap_proposed.high_price
