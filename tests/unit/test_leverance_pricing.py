"""Pricing from the framework contract and validation of the proposal, exact to the øre."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.kernel.errors import IllegalTransition, InvalidInput, OutsideWindow
from services.leverance.domain.agreements import (
    ActivityDraft,
    Rates,
    course_limit,
    price,
    read_proposal,
)
from services.leverance.domain.types import total
from tests.unit.test_leverance_builders import (
    CLARIFYING,
    contract,
    description,
    draft,
    opened,
    propose,
)

RATES = Rates.of(contract(hourly_rate_dkk="333.33", transport_hourly_rate_dkk="250.00"))


def fields(error: InvalidInput) -> set[str]:
    return {v.field for v in error.violations}


def test_advice_hours_are_priced_at_the_hourly_rate() -> None:
    assert price(draft("special_advice", hours="3"), RATES) == Decimal("999.99")


def test_transport_time_is_priced_at_the_transport_hourly_rate() -> None:
    assert price(draft("transport_time", hours="1.5"), RATES) == Decimal("375.00")


def test_transport_costs_are_kilometres_at_the_km_rate_plus_any_amount() -> None:
    line = draft("transport_costs", kilometres="120", amount_dkk="45.50")
    assert price(line, RATES) == Decimal("500.30")  # 120 km x 3.79 = 454.80, + 45.50
    short = draft("transport_costs", kilometres="1.5")
    assert price(short, RATES) == Decimal("5.69")  # 5.685, half up


def test_each_line_is_rounded_half_up_to_the_ore_and_the_total_is_their_exact_sum() -> None:
    a = price(draft(hours="1.25"), RATES)  # 416.6625
    b = price(draft(hours="0.75"), RATES)  # 249.9975
    assert (a, b) == (Decimal("416.66"), Decimal("250.00"))
    assert total([a, b]) == Decimal("666.66")
    # Exactly half an øre goes up (banker's rounding would give 166.66).
    assert price(draft(hours="0.5"), RATES) == Decimal("166.67")  # 166.665


def test_a_proposal_is_priced_from_the_contract_and_carries_its_rates() -> None:
    _, delivery = opened()
    lines = [draft("visitation", hours="4"), draft("special_advice", hours="10.5")]
    proposed, events = propose(delivery, lines)
    version = proposed.pending
    assert version is not None and version.number == 1
    assert [a.price_dkk for a in version.activities] == [Decimal("3800.00"), Decimal("9975.00")]
    assert version.total_dkk == Decimal("13775.00")
    assert version.rates.contract_id == "c-1"
    assert [a.activity_id for a in version.activities] == ["A1", "A2"]
    assert events[0].model_dump(mode="json")["total_dkk"] == "13775.00"


def test_new_activities_never_reuse_an_id() -> None:
    _, delivery = opened()
    proposed, _ = propose(delivery, [draft(activity_id="A1"), draft(), draft(activity_id="A3")])
    assert proposed.pending is not None
    assert [a.activity_id for a in proposed.pending.activities] == ["A1", "A2", "A3"]


def test_money_never_accepts_a_float() -> None:
    with pytest.raises(ValidationError):
        ActivityDraft.model_validate(
            {"kind": "other_costs", "amount_dkk": 10.1, "planned_on": "2026-04-01"}
        )


def test_numbers_too_large_to_price_exactly_are_named_not_crashed_on() -> None:
    raw_lines = [
        {"kind": "special_advice", "hours": "1e400", "planned_on": "2026-04-01"},
        {
            "kind": "special_advice",
            "hours": "99999999999999999999999999999",
            "planned_on": "2026-04-01",
        },
        {"kind": "other_costs", "amount_dkk": "1000000000000.00", "planned_on": "2026-04-01"},
        {"kind": "transport_costs", "kilometres": "1e13", "planned_on": "2026-04-01"},
        {"kind": "other_costs", "amount_dkk": "999999999999.99", "planned_on": "2026-04-01"},
    ]
    _, _, violations = read_proposal(raw_lines, description().model_dump())
    assert {v.field for v in violations} == {
        "activities.0.hours",
        "activities.1.hours",
        "activities.2.amount_dkk",
        "activities.3.kilometres",
    }


def test_negative_hours_are_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as raised:
        ActivityDraft.model_validate(
            {"kind": "special_advice", "hours": "-2", "planned_on": "2026-04-01"}
        )
    assert raised.value.errors()[0]["loc"] == ("hours",)


def test_the_single_case_limit_is_eight_months_and_the_mini_limit_four() -> None:
    assert course_limit("single_case", CLARIFYING) == date(2026, 11, 2)
    assert course_limit("mini_single_case", CLARIFYING) == date(2026, 7, 2)
    assert course_limit("theme_course", CLARIFYING) is None


def test_every_bad_field_of_a_proposal_is_named_at_once() -> None:
    _, delivery = opened("mini_single_case")
    raw_lines = [
        {"kind": "special_advice", "hours": "10", "planned_on": "2026-07-03"},  # after 4 months
        {"kind": "other_costs", "hours": "2", "planned_on": "2026-04-01"},  # hours on an amount
        {"kind": "visitation", "hours": "4", "planned_on": "2026-03-01"},  # before clarifying
        {"kind": "special_advice", "hours": "-1", "planned_on": "2026-04-01"},  # negative
        {"kind": "lunch", "hours": "1", "planned_on": "someday"},
    ]
    raw_description = description().model_dump() | {"goals": ["Better", "  "]}
    drafts, read, violations = read_proposal(raw_lines, raw_description)
    with pytest.raises(InvalidInput) as raised:
        propose(delivery, drafts, description=read, read_violations=violations)
    # Lines planned outside the case's window are refused once the request is otherwise good.
    assert fields(raised.value) == {
        "activities.1.hours",
        "activities.3.hours",
        "activities.4.kind",
        "activities.4.planned_on",
        "description.goals.0",
        "description.goals.1",
    }


def test_lines_planned_outside_the_case_s_window_are_a_failed_precondition_naming_each() -> None:
    _, delivery = opened("mini_single_case")
    drafts, read, violations = read_proposal(
        [
            {"kind": "special_advice", "hours": "10", "planned_on": "2026-07-03"},  # > 4 months
            {"kind": "special_advice", "hours": "2", "planned_on": "2026-04-01"},
            {"kind": "visitation", "hours": "4", "planned_on": "2026-03-01"},  # before clarifying
        ],
        description().model_dump(),
    )
    with pytest.raises(OutsideWindow) as raised:
        propose(delivery, drafts, description=read, read_violations=violations)
    assert [v.field for v in raised.value.violations] == [
        "activities.0.planned_on",
        "activities.2.planned_on",
    ]
    assert "after the course limit of mini_single_case (2026-07-02)" in str(raised.value)
    assert "before the clarifying meeting on 2026-03-02" in str(raised.value)


def test_the_same_goal_twice_is_refused() -> None:
    _, delivery = opened()
    goal = "Staff know three ways to prevent conflicts"
    with pytest.raises(InvalidInput) as raised:
        propose(delivery, description=description(goals=[goal, goal.upper()]))
    assert fields(raised.value) == {"description.goals.1"}


def test_an_empty_budget_is_refused() -> None:
    _, delivery = opened()
    with pytest.raises(InvalidInput) as raised:
        propose(delivery, [])
    assert fields(raised.value) == {"activities"}


def test_a_line_without_hours_or_amount_is_refused() -> None:
    _, delivery = opened()
    with pytest.raises(InvalidInput) as raised:
        propose(delivery, [draft(hours="0")])
    assert fields(raised.value) == {"activities.0.hours"}


def test_without_a_contract_for_the_service_no_agreement_can_be_priced() -> None:
    _, delivery = opened()
    with pytest.raises(IllegalTransition, match="no framework contract"):
        propose(delivery, contract=None)


def test_a_contract_covers_only_its_area_services_and_period() -> None:
    terms = contract()
    assert terms.covers(main_area="children_youth", service="single_case", on=CLARIFYING)
    assert not terms.covers(main_area="adults", service="single_case", on=CLARIFYING)
    assert not terms.covers(main_area="children_youth", service="theme_course", on=CLARIFYING)
    assert not terms.covers(main_area="children_youth", service="single_case", on=date(2028, 1, 1))
