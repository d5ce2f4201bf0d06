"""Monthly settlements exact to the øre, and spending against the appropriation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.kernel.errors import IllegalTransition, InvalidInput
from services.leverance.domain import money
from services.leverance.domain.consumption import ConsumptionEntry

NOW = datetime(2026, 11, 3, 9, tzinfo=UTC)


def entry(n: int, amount: str, **fields: Any) -> ConsumptionEntry:
    values: dict[str, Any] = {
        "id": f"e-{n}",
        "delivery_id": "d-1",
        "case_id": "case-1",
        "supplier_id": "s-1",
        "main_area": "adults",
        "activity_id": "A1",
        "activity_kind": "special_advice",
        "worked_on": date(2026, 10, 5),
        "hours": "0",
        "amount_dkk": amount,
        "logged_by": "spec-1",
        "logged_at": NOW,
        "status": "approved",
    }
    return ConsumptionEntry.model_validate({**values, **fields})


def test_the_settlement_is_the_exact_sum_of_approved_unsettled_entries_of_the_month() -> None:
    entries = [
        entry(1, "416.66"),
        entry(2, "0.01"),
        entry(3, "1234.57", worked_on=date(2026, 9, 30)),  # approved late: paid now
        entry(4, "999.99", status="logged"),
        entry(5, "500.00", status="rejected"),
        entry(6, "700.00", supplier_id="s-2"),
        entry(7, "800.00", worked_on=date(2026, 11, 1)),
        entry(8, "900.00", settlement_id="s-1:2026-09"),
    ]
    settlement, event = money.settle(
        "s-1", "2026-10", entries, today=date(2026, 11, 3), by="support-1", now=NOW
    )
    assert [line.entry_id for line in settlement.lines] == ["e-3", "e-1", "e-2"]
    assert settlement.total_dkk == Decimal("1651.24")
    assert settlement.id == "s-1:2026-10" and event.entries == 3
    assert event.model_dump(mode="json")["total_dkk"] == "1651.24"


def test_a_month_is_settled_only_when_it_is_over() -> None:
    with pytest.raises(IllegalTransition):
        money.settle("s-1", "2026-11", [], today=date(2026, 11, 30), by="x", now=NOW)


def test_a_month_must_be_written_year_dash_month() -> None:
    with pytest.raises(InvalidInput):
        money.month_end("2026-13")
    assert money.month_end("2024-02") == date(2024, 2, 29)


def test_spending_per_main_area_against_its_appropriation() -> None:
    entries = [
        entry(1, "100000.00"),
        entry(2, "43500.00", settlement_id="s-1:2026-10"),
        entry(3, "5000.00", main_area="children_youth"),
        entry(4, "7000.00", status="logged"),
        entry(5, "9000.00", worked_on=date(2025, 12, 31)),
    ]
    rows = {r.main_area: r for r in money.spending(2026, entries, {"adults": Decimal("158000")})}
    adults = rows["adults"]
    assert adults.approved_dkk == Decimal("143500.00")
    assert adults.settled_dkk == Decimal("43500.00")
    assert adults.remaining_dkk == Decimal("14500.00")
    assert adults.used_percent == Decimal("90.8")
    assert rows["children_youth"].approved_dkk == Decimal("5000.00")
    assert rows["children_youth"].used_percent == Decimal("0")
    assert set(rows) == {"adults", "children_youth", "special_education", "other"}


def test_the_used_percentage_rounds_half_up_to_one_decimal() -> None:
    rows = money.spending(2026, [entry(1, "1.25")], {"adults": Decimal("100")})
    assert {r.main_area: r for r in rows}["adults"].used_percent == Decimal("1.3")  # not 1.2
