"""The deadline ledger: overdue deadlines are reported missed once; met ones never."""

from __future__ import annotations

from datetime import date

from services.leverance.domain import deadlines, ledger
from services.workdays import DEFAULT_CALENDAR

SPEC = deadlines.financial_statement(
    case_id="case-1",
    delivery_id="d-1",
    closing_meeting_on=date(2026, 3, 2),
    specialist_id="spec-1",
    supplier_id="sup-1",
    calendar=DEFAULT_CALENDAR,
    working_days=7,
)
AFTER_DUE = date(2026, 3, 20)


def test_an_overdue_deadline_is_reported_missed_once() -> None:
    tracked = ledger.track(None, SPEC.set())
    assert tracked.status == "open" and tracked.due == date(2026, 3, 11)
    [missed] = ledger.report_missed(tracked, AFTER_DUE)
    assert missed.event_type == "DeadlineMissed"
    assert missed.deadline_id == "d-1:financial_statement"  # type: ignore[attr-defined]
    reported = ledger.track(tracked, missed)  # type: ignore[arg-type]
    assert reported.status == "missed" and reported.missed_reported
    assert ledger.report_missed(reported, AFTER_DUE) == []


def test_a_deadline_is_not_missed_on_its_due_day_nor_when_met_or_cancelled() -> None:
    tracked = ledger.track(None, SPEC.set())
    assert ledger.report_missed(tracked, SPEC.due) == []
    met = ledger.track(tracked, SPEC.met(SPEC.due))
    assert met.status == "met" and ledger.report_missed(met, AFTER_DUE) == []
    cancelled = ledger.track(tracked, SPEC.cancelled("course interrupted"))
    assert ledger.report_missed(cancelled, AFTER_DUE) == []


def test_a_moved_deadline_may_be_missed_again_on_its_new_day() -> None:
    tracked = ledger.track(None, SPEC.set())
    [missed] = ledger.report_missed(tracked, AFTER_DUE)
    reported = ledger.track(tracked, missed)  # type: ignore[arg-type]
    later = SPEC.moved_to(date(2026, 4, 1), "agreed later")
    moved = ledger.track(reported, later.changed(SPEC.due, "agreed later"))
    assert moved.status == "open" and moved.due == date(2026, 4, 1)
    assert ledger.report_missed(moved, AFTER_DUE) == []
    assert len(ledger.report_missed(moved, date(2026, 4, 2))) == 1
