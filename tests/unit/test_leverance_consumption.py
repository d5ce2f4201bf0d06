"""Consumption logged on activities, reviewed, and totalled against the budget."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.contracts.deadlines import DeadlineMet
from services.kernel.errors import Forbidden, IllegalTransition, InvalidInput, OutsideWindow
from services.leverance.domain import consumption
from services.leverance.domain.agreements import Delivery
from services.leverance.domain.consumption import ConsumptionEntry, Expense
from tests.unit.test_leverance_builders import (
    CONSULTANT,
    NOW,
    SPECIALIST,
    draft,
    opened,
    running,
    types,
)

TODAY = date(2026, 4, 20)


def log(delivery: Delivery, **fields: Any) -> tuple[Delivery, ConsumptionEntry, list[Any]]:
    values: dict[str, Any] = {
        "entry_id": "e-1",
        "activity_id": "A2",
        "worked_on": date(2026, 4, 15),
        "hours": Decimal("2.5"),
        "expense": None,
        "note": "",
        "actor": SPECIALIST,
        "today": TODAY,
        "now": NOW,
    }
    return consumption.log(delivery, **{**values, **fields})


def test_hours_are_priced_at_the_activitys_contract_rate() -> None:
    _, entry, events = log(running())
    assert entry.amount_dkk == Decimal("2375.00") and entry.status == "logged"
    assert types(events) == ["ConsumptionLogged", "DeadlineMet"]


def test_the_first_entry_on_an_activity_meets_its_logging_deadline_once() -> None:
    delivery, _, events = log(running())
    met = events[1]
    assert isinstance(met, DeadlineMet) and met.deadline_id == "d-1:log:A2"
    assert met.due == date(2026, 4, 30)
    _, _, again = log(delivery, entry_id="e-2")
    assert types(again) == ["ConsumptionLogged"]


def test_an_interpreter_expense_sits_on_its_activity() -> None:
    expense = Expense(category="interpreter", amount_dkk=Decimal("1200.50"))
    _, entry, _ = log(running(), hours=Decimal("0"), expense=expense)
    assert (entry.activity_id, entry.expense_category) == ("A2", "interpreter")
    assert entry.amount_dkk == Decimal("1200.50")


def test_the_interpreter_at_the_clarifying_meeting_is_the_municipalitys_expense() -> None:
    # The case's own clarifying meeting decides, so the refusal is FAILED_PRECONDITION.
    expense = Expense(category="interpreter", amount_dkk=Decimal("900.00"))
    with pytest.raises(OutsideWindow) as raised:
        log(running(), hours=Decimal("0"), expense=expense, worked_on=date(2026, 3, 2))
    assert {v.field for v in raised.value.violations} == {"expense_category"}


def test_consumption_before_the_clarifying_meeting_is_a_failed_precondition() -> None:
    with pytest.raises(OutsideWindow) as raised:
        log(running(), worked_on=date(2026, 3, 1))
    assert {v.field for v in raised.value.violations} == {"worked_on"}
    assert "before the clarifying meeting (2026-03-02)" in str(raised.value)


def test_a_bad_request_is_invalid_even_when_its_date_is_also_outside_the_case() -> None:
    # Wrong whatever the case (neither hours nor an expense): INVALID_ARGUMENT comes first.
    with pytest.raises(InvalidInput) as raised:
        log(running(), hours=Decimal("0"), worked_on=date(2026, 3, 1))
    assert {v.field for v in raised.value.violations} == {"hours"}


def test_hours_and_an_expense_together_or_neither_are_refused() -> None:
    expense = Expense(category="transport", amount_dkk=Decimal("80.00"))
    for fields in ({"expense": expense}, {"hours": Decimal("0")}):
        with pytest.raises(InvalidInput):
            log(running(), **fields)


def test_hours_on_a_cost_activity_are_refused() -> None:
    delivery = running([draft("other_costs", amount_dkk="500")])
    with pytest.raises(InvalidInput) as raised:
        log(delivery, activity_id="A1")
    assert {v.field for v in raised.value.violations} == {"hours"}


def test_future_work_and_unknown_activities_are_refused() -> None:
    with pytest.raises(InvalidInput):
        log(running(), worked_on=date(2026, 4, 21))
    with pytest.raises(InvalidInput):
        log(running(), activity_id="A7")


def test_nothing_is_logged_before_the_agreement_is_approved() -> None:
    _, delivery = opened()
    with pytest.raises(IllegalTransition):
        log(delivery)


def test_only_the_suppliers_specialist_logs() -> None:
    with pytest.raises(Forbidden):
        log(running(), actor=SPECIALIST.model_copy(update={"supplier_id": "s-2"}))


def test_totals_show_budget_logged_approved_and_remaining_per_activity() -> None:
    delivery, first, _ = log(running())
    delivery, second, _ = log(delivery, entry_id="e-2", hours=Decimal("1.25"))
    delivery, third, _ = log(delivery, entry_id="e-3", activity_id="A1", hours=Decimal("1"))
    reviewed, _ = consumption.review(delivery, [first], approve=True, reason="", actor=CONSULTANT)
    rejected, _ = consumption.review(
        delivery, [third], approve=False, reason="Not agreed", actor=CONSULTANT
    )
    totals = consumption.totals(delivery, [*reviewed, second, *rejected])
    advice = next(a for a in totals.activities if a.activity_id == "A2")
    assert advice.budget_dkk == Decimal("9500.00")
    assert advice.logged_hours == Decimal("3.75") and advice.logged_dkk == Decimal("3562.50")
    assert advice.approved_dkk == Decimal("2375.00")
    assert advice.remaining_dkk == Decimal("5937.50")
    assert totals.budget_dkk == Decimal("13300.00")
    assert totals.logged_dkk == Decimal("3562.50")  # the rejected hour is left out


def test_rejecting_needs_a_reason_and_only_the_cases_consultant_reviews() -> None:
    delivery, entry, _ = log(running())
    with pytest.raises(InvalidInput):
        consumption.review(delivery, [entry], approve=False, reason="", actor=CONSULTANT)
    with pytest.raises(Forbidden):
        consumption.review(delivery, [entry], approve=True, reason="", actor=SPECIALIST)


def test_settled_entries_are_final() -> None:
    delivery, entry, _ = log(running())
    settled = entry.model_copy(update={"status": "approved", "settlement_id": "s-1:2026-04"})
    with pytest.raises(IllegalTransition):
        consumption.review(delivery, [settled], approve=False, reason="x", actor=CONSULTANT)
