"""The report's counters per year: what a fact adds, what a change of it adds, and a year's
counts read back from them, with no I/O."""

from __future__ import annotations

import statistics
from collections import Counter
from decimal import Decimal
from typing import Any

from services.statistics import counters
from services.statistics.domain import (
    Cell,
    CourseFact,
    DeadlineFact,
    InquiryFact,
    KasFact,
    SurveyFact,
    annual_tables,
    count_year,
    median_cell,
    median_of_counts,
)

Doc = dict[str, Any]

FACTS: list[tuple[str, Doc]] = [
    (
        counters.INQUIRIES,
        {"year": 2024, "main_area": "adults", "kind": "form", "inquirer_group": "ppr"},
    ),
    (
        counters.INQUIRIES,
        {"year": 2024, "main_area": "adults", "kind": "phone", "inquirer_group": None},
    ),
    (counters.INQUIRIES, {"main_area": "adults", "kind": "form"}),  # no year yet: not counted
    (
        counters.COURSES,
        {
            "year": 2024,
            "service": "group_course",
            "main_area": "adults",
            "central_unit": True,
            "target_groups": ["anxiety", "autism_spectrum"],
        },
    ),
    (counters.COURSES, {"service": "single_case", "main_area": "adults"}),  # opened, not started
    (counters.KAS, {"year": 2024, "supplier_id": "kas.1", "draft": False, "course": True}),
    (counters.KAS, {"year": 2024, "supplier_id": "kas.1", "draft": True, "course": True}),
    (
        counters.SURVEYS,
        {"year": 2024, "main_area": "adults", "answers": {"would_recommend": "yes"}},
    ),
    (counters.SURVEYS, {"year": 2024, "main_area": "adults"}),
    (
        counters.SPENDING,
        {"year": 2024, "main_area": "adults", "amount_ore": 12345, "approved": True},
    ),
    (counters.SPENDING, {"year": 2024, "main_area": "adults", "amount_ore": 99999}),  # not approved
    (counters.APPROPRIATIONS, {"year": 2024, "main_area": "adults", "amount_ore": 100000000}),
    (counters.DEADLINES, {"year": 2024, "rule": "r", "status": "met", "days_late": 0}),
    (counters.DEADLINES, {"year": 2024, "rule": "r", "status": "late", "days_late": 3}),
    (counters.DEADLINES, {"year": 2024, "rule": "r", "status": "late", "days_late": 5}),
    (counters.DEADLINES, {"year": 2024, "rule": "r", "status": "missed"}),
    (counters.DEADLINES, {"year": 2024, "rule": "r", "status": "open"}),
    (counters.DEADLINES, {"year": 2024, "rule": "r", "status": "cancelled"}),
]


def _read_back(years: counters.YearDelta, year: int) -> Any:
    return counters.year_counts(year, counters.stored(years.get(year, Counter())))


def test_counters_from_the_facts_count_what_the_reports_rules_count() -> None:
    from_counters = _read_back(counters.count_facts(FACTS), 2024)
    by_rules = count_year(
        2024,
        inquiries=[InquiryFact("adults", "form", "ppr"), InquiryFact("adults", "phone")],
        courses=[
            CourseFact("group_course", "adults", True, ("anxiety", "autism_spectrum")),
        ],
        kas=[KasFact("kas.1", course=True)],
        surveys=[SurveyFact("adults", {"would_recommend": "yes"}), SurveyFact("adults")],
        deadlines=[
            DeadlineFact("r", "met"),
            DeadlineFact("r", "late", 3),
            DeadlineFact("r", "late", 5),
            DeadlineFact("r", "missed"),
            DeadlineFact("r", "open"),
            DeadlineFact("r", "cancelled"),
        ],
        appropriated_dkk={"adults": Decimal("1000000")},
        spent_dkk={"adults": Decimal("123.45")},
    )
    assert from_counters == by_rules
    assert annual_tables(from_counters, count_year(2023), min_cell=1) == annual_tables(
        by_rules, count_year(2023), min_cell=1
    )


def test_a_change_applied_again_counts_nothing() -> None:
    old: Doc = {}
    new: Doc = {"year": 2024, "main_area": "adults", "kind": "form"}
    first = counters.delta(counters.INQUIRIES, old, new)
    assert first == {2024: Counter({("inquiries", "adults", "form"): 1})}
    assert counters.delta(counters.INQUIRIES, new, {**new}) == {}


def test_a_deadline_met_late_moves_from_missed_to_the_days_late_histogram() -> None:
    missed: Doc = {"year": 2024, "rule": "r", "status": "missed"}
    late: Doc = {**missed, "status": "late", "days_late": 4}
    assert counters.delta(counters.DEADLINES, missed, late) == {
        2024: Counter({("days_late", "r", "4"): 1})
    }
    moved: Doc = {**late, "year": 2025}
    assert counters.delta(counters.DEADLINES, late, moved) == {
        2024: Counter({("deadlines_missed", "r"): -1, ("days_late", "r", "4"): -1}),
        2025: Counter({("deadlines_missed", "r"): 1, ("days_late", "r", "4"): 1}),
    }


def test_target_groups_set_after_the_course_started_are_counted_once_each() -> None:
    started: Doc = {"year": 2024, "service": "single_case", "main_area": "adults"}
    grouped: Doc = {**started, "target_groups": ["anxiety", "anxiety", "epilepsy"]}
    assert counters.delta(counters.COURSES, started, grouped) == {
        2024: Counter({("target_groups", "anxiety"): 1, ("target_groups", "epilepsy"): 1})
    }


def test_a_changed_appropriation_adds_the_difference_and_approval_adds_the_amount() -> None:
    given: Doc = {"year": 2024, "main_area": "adults", "amount_ore": 500}
    assert counters.delta(counters.APPROPRIATIONS, given, {**given, "amount_ore": 800}) == {
        2024: Counter({("appropriated_ore", "adults"): 300})
    }
    logged: Doc = {"year": 2024, "main_area": "adults", "amount_ore": 250}
    assert counters.delta(counters.SPENDING, logged, {**logged, "approved": True}) == {
        2024: Counter({("spent_ore", "adults"): 250})
    }


def test_keys_with_dots_and_separators_survive_the_stored_form() -> None:
    key = ("kas_inquiries", "supplier.1|a$b%2E")
    assert "." not in counters.encode(key)
    assert counters.decode(counters.encode(key)) == key
    assert list(counters.increments({key: 2})) == [f"c.{counters.encode(key)}"]


def test_the_median_from_a_histogram_is_the_median_of_the_values() -> None:
    for values in ([4], [1, 2], [2, 2, 9], [1, 3, 3, 8], [0, 0, 1, 5, 5, 5, 7], [6, 1, 1, 2]):
        assert median_of_counts(Counter(values)) == statistics.median(values)
    assert median_of_counts({}) == 0.0
    assert median_cell(Counter({2: 3, 6: 2}), 5) == Cell(2.0)
    assert median_cell(Counter({2: 3}), 5) == Cell(0.0, suppressed=True)
