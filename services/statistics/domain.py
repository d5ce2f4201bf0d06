"""The annual report's counting rules and small-cell suppression (AR 2020, FS 2024): pure
functions from one year's facts to counts, and from two years' counts to the report's tables.

Facts carry pseudonymous keys only (inquiry and case ids); nothing here sees a CPR or a name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

GROUP_SERVICES = frozenset({"group_course", "mini_group_course"})
"""Courses about several citizens (målgruppeforløb, AR: "gruppe- og målgruppeforløb")."""
THEME_SERVICES = frozenset({"theme_course"})
INQUIRY_KINDS = ("form", "phone", "email", "internal")
MAIN_AREAS = ("adults", "children_youth", "special_education", "other")
INQUIRER_GROUPS = (
    "citizen_relatives",
    "municipal_administration",
    "municipal_offer",
    "ppr",
    "other",
)
DEGREE = ("very_high", "high", "low", "very_low")
YES_NO = ("yes", "no")
SURVEY_QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("overall_satisfaction", DEGREE),
    ("understood_context", DEGREE),
    ("positive_change", DEGREE),
    ("would_recommend", YES_NO),
)
TOTAL = "total"


# --- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InquiryFact:
    """One inquiry registered in the year (a family inquiry counts once per child)."""

    main_area: str
    kind: str
    inquirer_group: str | None = None
    n: int = 1
    """How many facts alike this one stands for."""


@dataclass(frozen=True)
class CourseFact:
    """One course started in the year; its target groups are the inquiry's."""

    service: str
    main_area: str
    central_unit: bool = False
    target_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class KasFact:
    """One KaS registration (not a draft) with its inquiry date in the year."""

    supplier_id: str
    course: bool
    n: int = 1
    """How many facts alike this one stands for."""


@dataclass(frozen=True)
class SurveyFact:
    """One satisfaction survey of a course closed in the year, answered or not."""

    main_area: str
    answers: Mapping[str, str] = field(default_factory=dict)

    @property
    def answered(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class DeadlineFact:
    """One deadline due in the year: met on time, met late (days late), missed, or open."""

    rule: str
    outcome: str  # "met", "late", "missed", "open", "cancelled"
    days_late: int | None = None
    n: int = 1
    """How many facts alike this one stands for."""


@dataclass(frozen=True)
class YearCounts:
    """Everything the report shows of one year, counted."""

    year: int
    inquiries: Counter[tuple[str, str]] = field(default_factory=Counter)
    inquirer_groups: Counter[tuple[str, str]] = field(default_factory=Counter)
    courses_by_service: Counter[str] = field(default_factory=Counter)
    courses_by_area: Counter[str] = field(default_factory=Counter)
    course_kinds: Counter[str] = field(default_factory=Counter)
    target_groups: Counter[str] = field(default_factory=Counter)
    kas_inquiries: Counter[str] = field(default_factory=Counter)
    kas_courses: Counter[str] = field(default_factory=Counter)
    surveys_sent: Counter[str] = field(default_factory=Counter)
    surveys_answered: Counter[str] = field(default_factory=Counter)
    survey_answers: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    appropriated_dkk: Mapping[str, Decimal] = field(default_factory=dict)
    spent_dkk: Mapping[str, Decimal] = field(default_factory=dict)
    deadlines_met: Counter[str] = field(default_factory=Counter)
    deadlines_missed: Counter[str] = field(default_factory=Counter)
    days_late: dict[str, Counter[int]] = field(default_factory=dict)
    """Per rule, how many deadlines were met how many (whole) days late."""


def count_year(
    year: int,
    *,
    inquiries: Iterable[InquiryFact] = (),
    courses: Iterable[CourseFact] = (),
    kas: Iterable[KasFact] = (),
    surveys: Iterable[SurveyFact] = (),
    deadlines: Iterable[DeadlineFact] = (),
    appropriated_dkk: Mapping[str, Decimal] | None = None,
    spent_dkk: Mapping[str, Decimal] | None = None,
) -> YearCounts:
    """Count one year's facts by the report's rules: a course counts once per service and
    once in each of its target groups; a late deadline counts as missed and its days late go
    to the rule's median; a deadline missed and then met late counts once."""
    counts = YearCounts(
        year=year,
        appropriated_dkk=dict(appropriated_dkk or {}),
        spent_dkk=dict(spent_dkk or {}),
    )
    for inquiry in inquiries:
        counts.inquiries[(inquiry.main_area, inquiry.kind)] += inquiry.n
        if inquiry.inquirer_group:
            counts.inquirer_groups[(inquiry.main_area, inquiry.inquirer_group)] += inquiry.n
    for course in courses:
        counts.courses_by_service[course.service] += 1
        counts.courses_by_area[course.main_area] += 1
        if course.service in GROUP_SERVICES:
            counts.course_kinds["group"] += 1
        if course.service in THEME_SERVICES:
            counts.course_kinds["theme"] += 1
        if course.central_unit:
            counts.course_kinds["central_unit"] += 1
        for group in set(course.target_groups):
            counts.target_groups[group] += 1
    for registration in kas:
        counts.kas_inquiries[registration.supplier_id] += registration.n
        if registration.course:
            counts.kas_courses[registration.supplier_id] += registration.n
    for survey in surveys:
        counts.surveys_sent[survey.main_area] += 1
        if survey.answered:
            counts.surveys_answered[survey.main_area] += 1
            for question, answer in survey.answers.items():
                counts.survey_answers[(survey.main_area, question, answer)] += 1
    for deadline in deadlines:
        if deadline.outcome == "met":
            counts.deadlines_met[deadline.rule] += deadline.n
        elif deadline.outcome in ("late", "missed"):
            counts.deadlines_missed[deadline.rule] += deadline.n
            if deadline.outcome == "late" and deadline.days_late is not None:
                late = counts.days_late.setdefault(deadline.rule, Counter())
                late[deadline.days_late] += deadline.n
    return counts


# --- tables and suppression -------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A value, or a hidden one (then 0.0)."""

    value: float
    suppressed: bool = False


@dataclass(frozen=True)
class Row:
    keys: tuple[str, ...]
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    key_columns: tuple[str, ...]
    value_columns: tuple[str, ...]
    rows: tuple[Row, ...]
    note: str = ""


def count_cell(n: int, min_cell: int) -> Cell:
    """A count, hidden when it is above 0 and below `min_cell`."""
    if 0 < n < min_cell:
        return Cell(0.0, suppressed=True)
    return Cell(float(n))


def share_cell(part: int, whole: int, min_cell: int) -> Cell:
    """part of whole in percent (one decimal), hidden when the part's count is."""
    if 0 < part < min_cell:
        return Cell(0.0, suppressed=True)
    return Cell(round(100.0 * part / whole, 1) if whole else 0.0)


def median_of_counts(histogram: Mapping[int, int]) -> float:
    """The median of the values a histogram (value -> how many times) holds; 0.0 if none."""
    total = sum(histogram.values())
    if total <= 0:
        return 0.0
    wanted = sorted({(total - 1) // 2, total // 2})  # the middle one, or the middle two
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while len(found) < len(wanted) and wanted[len(found)] < seen:
            found.append(value)
    return sum(found) / len(found)


def median_cell(values: Sequence[int] | Mapping[int, int], min_cell: int) -> Cell:
    """The median of a list or of a histogram (value -> count), hidden when fewer than
    `min_cell` values make it."""
    histogram = values if isinstance(values, Mapping) else Counter(values)
    n = sum(histogram.values())
    if 0 < n < min_cell:
        return Cell(0.0, suppressed=True)
    return Cell(float(median_of_counts(histogram)))


def money_cell(amount: Decimal) -> Cell:
    """An amount in DKK; money is not about persons and is never hidden."""
    return Cell(float(amount))


@dataclass(frozen=True)
class Labels:
    """Danish names of the ids the rows show; an unknown id shows as itself."""

    names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def of(self, kind: str, key: str) -> str:
        if key == TOTAL:
            return "I alt"
        return self.names.get(kind, {}).get(key, key)


def _ordered(known: Sequence[str], *counters: Mapping[str, object]) -> list[str]:
    """The known keys first in their order, then any other key seen, sorted."""
    seen = {k for c in counters for k in c}
    return [k for k in known if k in seen or not counters] + sorted(seen - set(known))


def annual_tables(
    current: YearCounts, previous: YearCounts, *, min_cell: int, labels: Labels | None = None
) -> list[Table]:
    """The report's tables for `current.year` with `previous` beside each, suppressed."""
    lab = labels or Labels()
    y, p = str(current.year), str(previous.year)
    both = (current, previous)

    tables: list[Table] = []

    # Inquiries per main area by kind, with totals.
    rows = []
    for area in MAIN_AREAS:
        for kind in INQUIRY_KINDS:
            values = [c.inquiries[(area, kind)] for c in both]
            rows.append(
                Row(
                    (lab.of("main_areas", area), lab.of("inquiry_kinds", kind)),
                    tuple(count_cell(v, min_cell) for v in values),
                )
            )
        area_totals = [sum(c.inquiries[(area, k)] for k in INQUIRY_KINDS) for c in both]
        rows.append(
            Row(
                (lab.of("main_areas", area), "I alt"),
                tuple(count_cell(v, min_cell) for v in area_totals),
            )
        )
    rows.append(
        Row(
            ("I alt", "I alt"), tuple(count_cell(sum(c.inquiries.values()), min_cell) for c in both)
        )
    )
    tables.append(
        Table(
            "inquiries",
            "Henvendelser pr. hovedområde og henvendelsesform",
            ("Hovedområde", "Henvendelsesform"),
            (y, p),
            tuple(rows),
            "Registrerede henvendelser i året; en familiehenvendelse tæller én gang pr. barn.",
        )
    )

    # Courses started per advisory service and per main area.
    services = _ordered((), current.courses_by_service, previous.courses_by_service)
    rows = [
        Row(
            (lab.of("services", s),),
            tuple(count_cell(c.courses_by_service[s], min_cell) for c in both),
        )
        for s in services
    ]
    rows.append(
        Row(
            ("I alt",),
            tuple(count_cell(sum(c.courses_by_service.values()), min_cell) for c in both),
        )
    )
    tables.append(
        Table(
            "courses_by_service",
            "Igangsatte forløb pr. ydelse",
            ("Ydelse",),
            (y, p),
            tuple(rows),
            "Forløb, der er sat i gang i året (leveranceaftale godkendt eller centralenhedens "
            "forløb planlagt).",
        )
    )
    rows = [
        Row(
            (lab.of("main_areas", a),),
            tuple(count_cell(c.courses_by_area[a], min_cell) for c in both),
        )
        for a in _ordered(MAIN_AREAS, current.courses_by_area, previous.courses_by_area)
    ]
    tables.append(
        Table(
            "courses_by_area",
            "Igangsatte forløb pr. hovedområde",
            ("Hovedområde",),
            (y, p),
            tuple(rows),
        )
    )
    kinds = (
        ("group", "Gruppe- og målgruppeforløb"),
        ("theme", "Temaforløb"),
        ("central_unit", "Forløb varetaget af centralenheden uden leverandør"),
    )
    tables.append(
        Table(
            "course_kinds",
            "Gruppeforløb, temaforløb og centralenhedens forløb",
            ("Forløbstype",),
            (y, p),
            tuple(
                Row((name,), tuple(count_cell(c.course_kinds[k], min_cell) for c in both))
                for k, name in kinds
            ),
        )
    )

    # Inquirer types per main area (shares of the area's inquiries with a known type).
    rows = []
    for area in MAIN_AREAS:
        whole = [sum(c.inquirer_groups[(area, g)] for g in INQUIRER_GROUPS) for c in both]
        for group in INQUIRER_GROUPS:
            cells: list[Cell] = []
            for c, w in zip(both, whole, strict=True):
                n = c.inquirer_groups[(area, group)]
                cells += [count_cell(n, min_cell), share_cell(n, w, min_cell)]
            rows.append(
                Row((lab.of("main_areas", area), lab.of("inquirer_groups", group)), tuple(cells))
            )
    tables.append(
        Table(
            "inquirer_types",
            "Henvendertyper pr. hovedområde",
            ("Hovedområde", "Henvendertype"),
            (f"{y} antal", f"{y} andel %", f"{p} antal", f"{p} andel %"),
            tuple(rows),
            "Andel af hovedområdets henvendelser med oplyst henvendertype.",
        )
    )

    # Target groups: a course counts in each of its target groups.
    groups = sorted(
        _ordered((), current.target_groups, previous.target_groups),
        key=lambda g: (-current.target_groups[g], -previous.target_groups[g], g),
    )
    tables.append(
        Table(
            "target_groups",
            "Målgrupper i igangsatte forløb",
            ("Målgruppe",),
            (y, p),
            tuple(
                Row(
                    (lab.of("target_groups", g),),
                    tuple(count_cell(c.target_groups[g], min_cell) for c in both),
                )
                for g in groups
            ),
            "Et forløb tæller i hver af sine målgrupper; summen er derfor større end antallet "
            "af forløb.",
        )
    )

    # KaS per supplier.
    suppliers = _ordered((), current.kas_inquiries, previous.kas_inquiries)
    tables.append(
        Table(
            "kas",
            "KaS: henvendelser og forløb pr. leverandør",
            ("KaS-leverandør",),
            (f"{y} henvendelser", f"{y} forløb", f"{p} henvendelser", f"{p} forløb"),
            tuple(
                Row(
                    (s,),
                    tuple(
                        cell
                        for c in both
                        for cell in (
                            count_cell(c.kas_inquiries[s], min_cell),
                            count_cell(c.kas_courses[s], min_cell),
                        )
                    ),
                )
                for s in suppliers
            ),
            "Registreringer (ikke kladder) efter henvendelsesdato; forløb: forløb forventes "
            "igangsat.",
        )
    )

    # Satisfaction survey: response rate per main area, answers per question.
    areas = _ordered(MAIN_AREAS, current.surveys_sent, previous.surveys_sent)
    rows = []
    for area in areas:
        cells = []
        for c in both:
            sent, answered = c.surveys_sent[area], c.surveys_answered[area]
            cells += [
                count_cell(sent, min_cell),
                count_cell(answered, min_cell),
                share_cell(answered, sent, min_cell),
            ]
        rows.append(Row((lab.of("main_areas", area),), tuple(cells)))
    tables.append(
        Table(
            "survey_response",
            "Tilfredshedsundersøgelse: svarprocent pr. hovedområde",
            ("Hovedområde",),
            (
                f"{y} udsendt",
                f"{y} besvaret",
                f"{y} svarprocent",
                f"{p} udsendt",
                f"{p} besvaret",
                f"{p} svarprocent",
            ),
            tuple(rows),
            "Forløb afsluttet i året med tilfredshedsundersøgelse (enkeltsag, gruppeforløb).",
        )
    )
    rows = []
    for area in areas:
        for question, options in SURVEY_QUESTIONS:
            whole = [sum(c.survey_answers[(area, question, o)] for o in options) for c in both]
            for option in options:
                cells = []
                for c, w in zip(both, whole, strict=True):
                    n = c.survey_answers[(area, question, option)]
                    cells += [count_cell(n, min_cell), share_cell(n, w, min_cell)]
                rows.append(
                    Row(
                        (
                            lab.of("main_areas", area),
                            lab.of("survey_questions", question),
                            lab.of("survey_answers", option),
                        ),
                        tuple(cells),
                    )
                )
    tables.append(
        Table(
            "survey_answers",
            "Tilfredshedsundersøgelse: svar pr. spørgsmål og hovedområde",
            ("Hovedområde", "Spørgsmål", "Svar"),
            (f"{y} antal", f"{y} andel %", f"{p} antal", f"{p} andel %"),
            tuple(rows),
        )
    )

    # Appropriation against spending per main area (money: never suppressed).
    rows = []
    for area in (*MAIN_AREAS, TOTAL):
        cells = []
        for c in both:
            if area == TOTAL:
                given = sum(c.appropriated_dkk.values(), Decimal(0))
                spent = sum(c.spent_dkk.values(), Decimal(0))
            else:
                given = c.appropriated_dkk.get(area, Decimal(0))
                spent = c.spent_dkk.get(area, Decimal(0))
            used = Cell(round(float(spent * 100 / given), 1) if given else 0.0)
            cells += [money_cell(given), money_cell(spent), used]
        rows.append(Row((lab.of("main_areas", area),), tuple(cells)))
    tables.append(
        Table(
            "appropriation",
            "Bevilling og forbrug pr. hovedområde (kr.)",
            ("Hovedområde",),
            (
                f"{y} bevilling",
                f"{y} forbrug",
                f"{y} forbrug %",
                f"{p} bevilling",
                f"{p} forbrug",
                f"{p} forbrug %",
            ),
            tuple(rows),
            "Forbrug: godkendt forbrug hos leverandørerne med arbejdsdato i året.",
        )
    )

    # Deadlines per rule.
    rules = _ordered(
        (),
        current.deadlines_met,
        current.deadlines_missed,
        previous.deadlines_met,
        previous.deadlines_missed,
    )
    rows = []
    for rule in rules:
        cells = []
        for c in both:
            cells += [
                count_cell(c.deadlines_met[rule], min_cell),
                count_cell(c.deadlines_missed[rule], min_cell),
                median_cell(c.days_late.get(rule, Counter()), min_cell),
            ]
        rows.append(Row((rule,), tuple(cells)))
    tables.append(
        Table(
            "deadlines",
            "Frister: overholdt, overskredet og median dage for sent pr. regel",
            ("Regel",),
            (
                f"{y} overholdt",
                f"{y} overskredet",
                f"{y} median dage for sent",
                f"{p} overholdt",
                f"{p} overskredet",
                f"{p} median dage for sent",
            ),
            tuple(rows),
            "Frister med forfaldsdato i året. Overskredet: meldt overskredet eller opfyldt efter "
            "forfaldsdatoen; medianen tæller kun de frister, der blev opfyldt for sent.",
        )
    )
    return tables
