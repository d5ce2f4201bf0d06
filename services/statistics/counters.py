"""The report's counters, kept per year: what each fact document adds to its year's counts, and
a year's counts read back from them. Pure functions, no I/O.

A consumer that changes a fact from `old` to `new` adds `delta(collection, old, new)` to the
counter documents in the same transaction as the fact and the inbox mark. The delta of a
change applied again is zero, so a duplicate delivery never counts twice, and the counters
are a function of the facts alone: replaying the topics into an empty read model, or
`count_facts` over the stored facts, gives the same counters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from services.statistics.domain import GROUP_SERVICES, THEME_SERVICES, YearCounts

Doc = Mapping[str, Any]
Key = tuple[str, ...]
YearDelta = dict[int, Counter[Key]]

# The fact collections (consumers.py names them alike).
INQUIRIES = "inquiry_facts"
COURSES = "course_facts"
KAS = "kas_facts"
SURVEYS = "survey_facts"
SPENDING = "spending_facts"
APPROPRIATIONS = "appropriation_facts"
DEADLINES = "deadline_facts"
FACTS = (INQUIRIES, COURSES, KAS, SURVEYS, SPENDING, APPROPRIATIONS, DEADLINES)

COUNTERS = "year_counters"
"""One document per year: `{"_id": year, "c": {encoded key: count}}`."""


def _inquiry(doc: Doc) -> Counter[Key]:
    area, kind = doc.get("main_area", "other"), doc.get("kind") or "form"
    counts: Counter[Key] = Counter({("inquiries", area, kind): 1})
    if doc.get("inquirer_group"):
        counts[("inquirer_groups", area, doc["inquirer_group"])] += 1
    return counts


def _course(doc: Doc) -> Counter[Key]:
    service = doc.get("service", "")
    counts: Counter[Key] = Counter(
        {("courses_by_service", service): 1, ("courses_by_area", doc.get("main_area", "other")): 1}
    )
    if service in GROUP_SERVICES:
        counts[("course_kinds", "group")] += 1
    if service in THEME_SERVICES:
        counts[("course_kinds", "theme")] += 1
    if doc.get("central_unit"):
        counts[("course_kinds", "central_unit")] += 1
    for group in set(doc.get("target_groups") or ()):
        counts[("target_groups", group)] += 1
    return counts


def _kas(doc: Doc) -> Counter[Key]:
    if doc.get("draft", False):
        return Counter()
    counts: Counter[Key] = Counter({("kas_inquiries", doc["supplier_id"]): 1})
    if doc.get("course"):
        counts[("kas_courses", doc["supplier_id"])] += 1
    return counts


def _survey(doc: Doc) -> Counter[Key]:
    area = doc.get("main_area", "other")
    counts: Counter[Key] = Counter({("surveys_sent", area): 1})
    answers: Mapping[str, str] = doc.get("answers") or {}
    if answers:
        counts[("surveys_answered", area)] += 1
        for question, answer in answers.items():
            counts[("survey_answers", area, question, answer)] += 1
    return counts


def _spending(doc: Doc) -> Counter[Key]:
    if doc.get("approved") is not True:
        return Counter()
    return Counter({("spent_ore", doc.get("main_area", "other")): int(doc.get("amount_ore", 0))})


def _appropriation(doc: Doc) -> Counter[Key]:
    return Counter(
        {("appropriated_ore", doc.get("main_area", "other")): int(doc.get("amount_ore", 0))}
    )


def _deadline(doc: Doc) -> Counter[Key]:
    rule, status = doc.get("rule", ""), doc.get("status", "open")
    if status == "met":
        return Counter({("deadlines_met", rule): 1})
    if status not in ("late", "missed"):
        return Counter()
    counts: Counter[Key] = Counter({("deadlines_missed", rule): 1})
    if status == "late" and doc.get("days_late") is not None:
        counts[("days_late", rule, str(int(doc["days_late"])))] += 1
    return counts


_RULES = {
    INQUIRIES: _inquiry,
    COURSES: _course,
    KAS: _kas,
    SURVEYS: _survey,
    SPENDING: _spending,
    APPROPRIATIONS: _appropriation,
    DEADLINES: _deadline,
}


def contribution(collection: str, doc: Doc | None) -> YearDelta:
    """What one fact document adds to its year's counters (nothing before it has a year)."""
    if not doc or not isinstance(doc.get("year"), int):
        return {}
    counts = +_RULES[collection](doc)
    return {doc["year"]: counts} if counts else {}


def delta(collection: str, old: Doc | None, new: Doc | None) -> YearDelta:
    """The change to the counters when a fact changes from `old` to `new` (zero entries left
    out, so applying the same change again gives {})."""
    changes: YearDelta = {}
    for sign, doc in ((-1, old), (1, new)):
        for year, counts in contribution(collection, doc).items():
            into = changes.setdefault(year, Counter())
            for key, n in counts.items():
                into[key] += sign * n
    result: YearDelta = {}
    for year, counts in changes.items():
        nonzero = Counter({k: n for k, n in counts.items() if n})
        if nonzero:
            result[year] = nonzero
    return result


def count_facts(facts: Iterable[tuple[str, Doc]]) -> YearDelta:
    """Every year's counters from scratch, from (collection, fact) pairs."""
    total: YearDelta = {}
    for collection, doc in facts:
        for year, counts in contribution(collection, doc).items():
            total.setdefault(year, Counter()).update(counts)
    return total


# --- stored form ------------------------------------------------------------------------------

_ESCAPES = (("%", "%25"), (".", "%2E"), ("|", "%7C"), ("$", "%24"))


def _escape(part: str) -> str:
    for raw, escaped in _ESCAPES:
        part = part.replace(raw, escaped)
    return part


def _unescape(part: str) -> str:
    for raw, escaped in reversed(_ESCAPES):
        part = part.replace(escaped, raw)
    return part


def encode(key: Key) -> str:
    """A counter's key as a MongoDB field name (no dots, no leading $)."""
    return "|".join(_escape(p) for p in key)


def decode(field: str) -> Key:
    return tuple(_unescape(p) for p in field.split("|"))


def stored(counts: Mapping[Key, int]) -> dict[str, int]:
    """One year's counts as its counter document's `c`."""
    return {encode(k): n for k, n in counts.items()}


def increments(counts: Mapping[Key, int]) -> dict[str, int]:
    """A `$inc` document for one year's counter document."""
    return {f"c.{field}": n for field, n in stored(counts).items()}


def year_counts(year: int, stored: Mapping[str, int]) -> YearCounts:
    """A year's counts from its counter document's `c` (empty for a year with nothing)."""
    keys = [(decode(field), n) for field, n in stored.items() if n]
    money: dict[str, dict[str, Decimal]] = {"appropriated_ore": {}, "spent_ore": {}}
    for (name, *rest), n in keys:
        if name in money:
            money[name][rest[0]] = Decimal(n) / 100
    counts = YearCounts(
        year=year, appropriated_dkk=money["appropriated_ore"], spent_dkk=money["spent_ore"]
    )
    for (name, *rest), n in keys:
        if name in ("inquiries", "inquirer_groups"):
            getattr(counts, name)[(rest[0], rest[1])] += n
        elif name == "survey_answers":
            counts.survey_answers[(rest[0], rest[1], rest[2])] += n
        elif name == "days_late":
            counts.days_late.setdefault(rest[0], Counter())[int(rest[1])] += n
        elif name not in money:
            getattr(counts, name)[rest[0]] += n
    return counts
