"""The annual report's counting rules and small-cell suppression, with no I/O."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from services.cli.report_files import write_pdf, write_xlsx
from services.statistics.convert import report_to_proto
from services.statistics.domain import (
    Cell,
    CourseFact,
    DeadlineFact,
    InquiryFact,
    KasFact,
    SurveyFact,
    Table,
    annual_tables,
    count_cell,
    count_year,
    median_cell,
    share_cell,
)
from services.statistics.reference import Reference


def _table(tables: list[Table], table_id: str) -> Table:
    return next(t for t in tables if t.id == table_id)


def _row(table: Table, *keys: str) -> tuple[Cell, ...]:
    return next(r.cells for r in table.rows if r.keys == keys)


def test_a_course_in_three_target_groups_counts_in_each_of_them_once() -> None:
    course = CourseFact(
        "single_case", "adults", target_groups=("autism_spectrum", "anxiety", "epilepsy")
    )
    counts = count_year(
        2024,
        courses=[course, CourseFact("single_case", "adults", target_groups=("anxiety", "anxiety"))],
    )

    assert counts.target_groups == {"autism_spectrum": 1, "anxiety": 2, "epilepsy": 1}
    assert counts.courses_by_service["single_case"] == 2
    assert sum(counts.target_groups.values()) == 4


def test_group_theme_and_central_unit_courses_are_counted_apart() -> None:
    counts = count_year(
        2024,
        courses=[
            CourseFact("group_course", "adults"),
            CourseFact("mini_group_course", "children_youth"),
            CourseFact("theme_course", "other"),
            CourseFact("casework_course", "adults", central_unit=True),
            CourseFact("single_case", "adults"),
        ],
    )
    assert counts.course_kinds == {"group": 2, "theme": 1, "central_unit": 1}
    assert counts.courses_by_area == {"adults": 3, "children_youth": 1, "other": 1}


def test_small_counts_and_what_is_made_of_them_are_suppressed() -> None:
    assert count_cell(4, 5) == Cell(0.0, suppressed=True)
    assert count_cell(5, 5) == Cell(5.0)
    assert count_cell(0, 5) == Cell(0.0)
    assert share_cell(3, 100, 5) == Cell(0.0, suppressed=True)
    assert share_cell(25, 100, 5) == Cell(25.0)
    assert median_cell([1, 2, 3], 5) == Cell(0.0, suppressed=True)
    assert median_cell([1, 2, 3, 4, 10], 5) == Cell(3.0)
    assert count_cell(1, 1) == Cell(1.0)


def test_the_tables_show_the_previous_year_beside_and_suppress_below_the_minimum() -> None:
    current = count_year(
        2024,
        inquiries=[InquiryFact("adults", "form", "ppr", n=12), InquiryFact("adults", "phone", n=2)],
        kas=[KasFact("kas-1", course=True, n=6), KasFact("kas-1", course=False, n=4)],
    )
    previous = count_year(2023, inquiries=[InquiryFact("adults", "form", "ppr", n=7)])
    tables = annual_tables(current, previous, min_cell=5)

    inquiries = _table(tables, "inquiries")
    assert inquiries.value_columns == ("2024", "2023")
    assert _row(inquiries, "adults", "form") == (Cell(12.0), Cell(7.0))
    assert _row(inquiries, "adults", "phone") == (Cell(0.0, True), Cell(0.0))
    assert _row(inquiries, "adults", "I alt") == (Cell(14.0), Cell(7.0))
    assert _row(inquiries, "I alt", "I alt") == (Cell(14.0), Cell(7.0))
    assert _row(_table(tables, "inquirer_types"), "adults", "ppr") == (
        Cell(12.0),
        Cell(100.0),
        Cell(7.0),
        Cell(100.0),
    )
    assert _row(_table(tables, "kas"), "kas-1") == (Cell(10.0), Cell(6.0), Cell(0.0), Cell(0.0))


def test_surveys_deadlines_and_money() -> None:
    answers = {"overall_satisfaction": "very_high", "would_recommend": "yes"}
    current = count_year(
        2024,
        surveys=[SurveyFact("adults", answers)] * 6 + [SurveyFact("adults")] * 4,
        deadlines=[
            DeadlineFact("visitation.first_contact", "met", n=20),
            DeadlineFact("visitation.first_contact", "late", 2, n=3),
            DeadlineFact("visitation.first_contact", "late", 6, n=2),
            DeadlineFact("visitation.first_contact", "missed", n=1),
            DeadlineFact("visitation.first_contact", "open", n=9),
            DeadlineFact("visitation.first_contact", "cancelled", n=9),
        ],
        appropriated_dkk={"adults": Decimal("1000000")},
        spent_dkk={"adults": Decimal("908000")},
    )
    tables = annual_tables(current, count_year(2023), min_cell=5)
    assert _row(_table(tables, "survey_response"), "adults")[:3] == (
        Cell(10.0),
        Cell(6.0),
        Cell(60.0),
    )
    answers_table = _table(tables, "survey_answers")
    assert _row(answers_table, "adults", "overall_satisfaction", "very_high")[:2] == (
        Cell(6.0),
        Cell(100.0),
    )
    assert _row(_table(tables, "deadlines"), "visitation.first_contact")[:3] == (
        Cell(20.0),
        Cell(6.0),
        Cell(2.0),
    )
    assert _row(_table(tables, "appropriation"), "adults")[:3] == (
        Cell(1000000.0),
        Cell(908000.0),
        Cell(90.8),
    )


def test_the_workbook_and_the_charts_hold_the_reports_numbers(tmp_path: Path) -> None:
    current = count_year(
        2024,
        inquiries=[InquiryFact("adults", "form", "ppr", n=12), InquiryFact("other", "email", n=3)],
        courses=[CourseFact("single_case", "adults", target_groups=("anxiety",))] * 7,
    )
    tables = annual_tables(current, count_year(2023), min_cell=5, labels=Reference.load().labels())
    report = report_to_proto(2024, tables, min_cell=5)
    workbook, charts = tmp_path / "report.xlsx", tmp_path / "report.pdf"

    write_xlsx(report, workbook)
    write_pdf(report, charts)

    sheets = load_workbook(workbook)
    assert set(sheets.sheetnames) == {t.id for t in tables}
    rows = list(sheets["inquiries"].iter_rows(values_only=True))
    assert rows[1] == ("Hovedområde", "Henvendelsesform", "2024", "2023")
    assert ("Voksne", "Skriftlig henvendelse (formular)", 12, 0) in rows
    assert ("Andet", "Henvendelse pr. e-mail", "<5", 0) in rows
    courses = list(sheets["target_groups"].iter_rows(values_only=True))
    assert ("Angst", 7, 0) in courses
    assert charts.read_bytes().startswith(b"%PDF")
