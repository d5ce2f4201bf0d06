"""Changes during the course: justified, approved, versioned; the duration limit."""

from __future__ import annotations

from datetime import date

import pytest

from services.contracts.deadlines import DeadlineCancelled, DeadlineChanged, DeadlineSet
from services.kernel.errors import IllegalTransition, InvalidInput, OutsideWindow
from services.leverance.domain import course as course_rules
from services.workdays import DEFAULT_CALENDAR
from tests.unit.test_leverance_builders import (
    MANAGER,
    NOW,
    approve,
    draft,
    keep,
    opened,
    propose,
    running,
    types,
)


def test_a_change_needs_a_justification() -> None:
    delivery = running()
    current = delivery.current
    assert current is not None
    with pytest.raises(InvalidInput) as raised:
        propose(delivery, [keep(a) for a in current.activities])
    assert {v.field for v in raised.value.violations} == {"justification"}


def test_an_approved_change_is_a_new_version_and_every_earlier_version_stays_readable() -> None:
    delivery = running()
    first, second = delivery.current.activities  # type: ignore[union-attr]
    lines = [
        keep(first),
        keep(second, hours="14", planned_on=date(2026, 5, 20)),
        draft("closing", hours="3", planned_on=date(2026, 6, 10)),
    ]
    changed, events = propose(delivery, lines, justification="The school asked for more advice")
    assert changed.status == "running" and changed.current_version == 1
    assert changed.pending_version == 2 and types(events) == ["DeliveryAgreementProposed"]

    approved, events = approve(changed)
    assert approved.current_version == 2
    assert [v.status for v in approved.versions] == ["approved", "approved"]
    assert approved.version_numbered(1) == delivery.current  # unchanged, still readable
    assert approved.current is not None
    assert approved.current.justification == "The school asked for more advice"
    assert [a.activity_id for a in approved.current.activities] == ["A1", "A2", "A3"]
    moved = [e for e in events if isinstance(e, DeadlineChanged)]
    added = [e for e in events if isinstance(e, DeadlineSet)]
    assert [e.deadline_id for e in moved] == [f"{delivery.id}:log:A2"]
    assert moved[0].due == date(2026, 5, 31) and moved[0].previous_due == date(2026, 4, 30)
    assert [e.deadline_id for e in added] == [f"{delivery.id}:log:A3"]


def test_removing_an_activity_cancels_its_logging_deadline() -> None:
    delivery = running()
    first, _ = delivery.current.activities  # type: ignore[union-attr]
    changed, _ = propose(delivery, [keep(first)], justification="Less advice is needed")
    _, events = approve(changed)
    cancelled = [e for e in events if isinstance(e, DeadlineCancelled)]
    assert [e.deadline_id for e in cancelled] == [f"{delivery.id}:log:A2"]


def test_an_activity_with_logged_consumption_cannot_be_removed() -> None:
    delivery = running()
    first, _ = delivery.current.activities  # type: ignore[union-attr]
    with pytest.raises(InvalidInput):
        propose(
            delivery,
            [keep(first)],
            justification="Less advice",
            activities_with_consumption={"A2"},
        )


def test_a_change_may_only_keep_activities_that_exist() -> None:
    delivery = running()
    with pytest.raises(InvalidInput) as raised:
        propose(delivery, [draft(activity_id="A9")], justification="typo")
    assert "activities.0.activity_id" in {v.field for v in raised.value.violations}


def test_one_change_at_a_time() -> None:
    delivery = running()
    lines = [keep(a) for a in delivery.current.activities]  # type: ignore[union-attr]
    changed, _ = propose(delivery, lines, justification="First change")
    with pytest.raises(IllegalTransition):
        propose(changed, lines, justification="Second change")


def test_past_the_duration_limit_only_with_a_justification_and_the_consultants_approval() -> None:
    delivery = running()
    lines = [keep(a) for a in delivery.current.activities]  # type: ignore[union-attr]
    late = draft("closing", hours="2", planned_on=date(2026, 11, 20))  # limit is 2026-11-02
    # The limit runs from the case's own clarifying meeting: FAILED_PRECONDITION, not a bad field.
    with pytest.raises(OutsideWindow) as raised:
        propose(delivery, [*lines, late], justification="The closing meeting moves")
    assert {v.field for v in raised.value.violations} == {"activities.2.planned_on"}
    changed, _ = propose(
        delivery,
        [*lines, late],
        justification="The closing meeting moves",
        duration_justification="The citizen was in hospital for six weeks",
    )
    approved, _ = approve(changed)
    assert approved.current is not None
    assert approved.current.duration_justification == "The citizen was in hospital for six weeks"

    course, _ = opened()
    course, _ = course_rules.start_if_ready(course, [approved], now=NOW, calendar=DEFAULT_CALENDAR)
    extended, events = course_rules.extend_duration(
        course,
        [approved],
        last_day=date(2026, 11, 20),
        justification=approved.current.duration_justification,
        calendar=DEFAULT_CALENDAR,
    )
    [moved] = events
    assert isinstance(moved, DeadlineChanged) and moved.rule == "leverance.course_duration"
    assert (moved.previous_due, moved.due) == (date(2026, 11, 2), date(2026, 11, 20))
    assert extended.extended_to == date(2026, 11, 20)
    assert course_rules.extend_duration(
        extended,
        [approved],
        last_day=date(2026, 11, 10),
        justification="earlier",
        calendar=DEFAULT_CALENDAR,
    ) == (extended, [])


def test_a_first_proposal_cannot_run_past_the_limit_even_with_a_justification() -> None:
    _, fresh = opened()
    with pytest.raises(OutsideWindow):
        propose(
            fresh,
            [draft(planned_on=date(2026, 12, 1))],
            duration_justification="Wanted longer",
        )


def test_a_change_that_crosses_the_threshold_goes_to_the_manager() -> None:
    delivery = running()
    lines = [keep(a) for a in delivery.current.activities]  # type: ignore[union-attr]
    bigger = [*lines, draft("assessment", hours="110")]
    changed, _ = propose(delivery, bigger, justification="An assessment is needed")
    waiting, events = approve(changed)
    assert types(events) == ["HighPriceApprovalRequested"]
    assert waiting.current_version == 1 and waiting.status == "running"
    approved, events = approve(waiting, MANAGER)
    assert approved.current_version == 2 and types(events)[0] == "HighPriceDecided"


def test_a_change_to_a_high_price_agreement_that_lowers_the_price_skips_the_manager() -> None:
    _, delivery = opened()
    delivery, _ = propose(delivery, [draft("assessment", hours="120")])
    delivery, _ = approve(delivery)
    delivery, _ = approve(delivery, MANAGER)
    assert delivery.current_version == 1
    first = delivery.current.activities[0]  # type: ignore[union-attr]
    cheaper, _ = propose(delivery, [keep(first, hours="110")], justification="Fewer hours")
    approved, events = approve(cheaper)
    assert approved.current_version == 2 and "HighPriceApprovalRequested" not in types(events)
