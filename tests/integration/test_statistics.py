"""The annual report from the platform's own events: a known mix of inquiries, courses,
spending and surveys driven through the services on the shared platform, every cell of the
report checked against the counts the year had before plus the mix's, and the workbook holding
the same numbers.

Other tests count in the same year, so the expected report is the year's counters read from
statistics' database just before the mix (unsuppressed), plus the mix counted by the report's
rules, shown with the platform's own minimum cell."""

from __future__ import annotations

import dataclasses
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
from openpyxl import load_workbook

from services.cli.report_files import write_xlsx
from services.contracts.leverance import SatisfactionSurveyRequested
from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.topics import events_topic
from services.statistics import counters
from services.statistics.domain import (
    CourseFact,
    DeadlineFact,
    InquiryFact,
    SurveyFact,
    YearCounts,
    annual_tables,
    count_year,
)
from services.statistics.reference import Reference
from tests.integration.caseflow_helpers import (
    TARGET_GROUP,
    Flow,
    agreement_running,
    contracted_suppliers,
    form,
    handed_single_case,
)
from tests.support import DEADLINE, Clients, eventually, produce
from vias.leverance.v1 import leverance_pb2 as lpb
from vias.notifications.v1 import surveys_pb2, surveys_pb2_grpc
from vias.statistics.v1 import statistics_pb2, statistics_pb2_grpc

ANSWERS = {
    "overall_satisfaction": "very_high",
    "understood_context": "high",
    "positive_change": "high",
    "would_recommend": "yes",
}


MIN_AREA = "children_youth"
FIRST_CONTACT = "visitation.first_contact"


def cells(report: Any, table_id: str) -> dict[tuple[str, ...], list[float | str]]:
    """A table's rows by their keys, each cell a number or "x" when suppressed."""
    [table] = [t for t in report.tables if t.id == table_id]
    return {tuple(r.keys): ["x" if c.suppressed else c.value for c in r.cells] for r in table.rows}


def all_cells(report: Any) -> dict[str, dict[tuple[str, ...], list[float | str]]]:
    return {t.id: cells(report, t.id) for t in report.tables}


async def counted(clients: Clients, year: int) -> YearCounts:
    """The year's counts as statistics holds them now (unsuppressed)."""
    found = await clients.db("statistics")[counters.COUNTERS].find_one({"_id": year}) or {}
    return counters.year_counts(year, found.get("c") or {})


def plus(before: YearCounts, mix: YearCounts) -> YearCounts:
    """A year's counts with a mix's added; an appropriation is set, so the mix's replaces."""
    added: dict[str, Any] = {}
    for f in dataclasses.fields(YearCounts):
        old, new = getattr(before, f.name), getattr(mix, f.name)
        if isinstance(old, Counter):
            added[f.name] = old + new
    days_late = {r: Counter(v) for r, v in before.days_late.items()}
    for rule, histogram in mix.days_late.items():
        days_late.setdefault(rule, Counter()).update(histogram)
    spent = dict(before.spent_dkk)
    for area, amount in mix.spent_dkk.items():
        spent[area] = spent.get(area, Decimal(0)) + amount
    return YearCounts(
        year=before.year,
        appropriated_dkk={**before.appropriated_dkk, **mix.appropriated_dkk},
        spent_dkk=spent,
        days_late=days_late,
        **added,
    )


def expected_cells(report: Any, current: YearCounts, previous: YearCounts) -> dict[str, Any]:
    tables = annual_tables(
        current, previous, min_cell=report.min_cell, labels=Reference.load().labels()
    )
    return {
        t.id: {r.keys: ["x" if c.suppressed else c.value for c in r.cells] for r in t.rows}
        for t in tables
    }


async def started_course(flow: Flow, clients: Clients) -> Decimal:
    """A single_case about a child, from the form to the running agreement with its first
    hours approved; returns the approved amount."""
    await handed_single_case(flow)
    await agreement_running(flow)
    listed = await clients.leverance.ListConsumption(
        lpb.ListConsumptionRequest(delivery_id=flow.delivery_id),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )
    await clients.leverance.ReviewConsumption(
        lpb.ReviewConsumptionRequest(
            delivery_id=flow.delivery_id,
            entry_ids=[e.entry_id for e in listed.entries],
            approve=True,
        ),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )
    return sum((Decimal(e.amount_dkk) for e in listed.entries), Decimal(0))


async def answered_survey(clients: Clients, main_area: str, supplier_id: str) -> None:
    """A closed course's survey (as leverance announces it), answered."""
    surveys = surveys_pb2_grpc.SurveysServiceStub(
        grpc.aio.insecure_channel(clients.platform.grpc_address("notifications"))
    )
    requested = SatisfactionSurveyRequested(
        case_id=f"survey-{new_id()}",
        inquiry_id=new_id(),
        service="single_case",
        main_area=main_area,
        consultant_id="consultant-1",
        supplier_ids=[supplier_id],
        closed_at=utcnow(),
    )
    envelope = Envelope.wrap(
        requested, source="leverance", correlation_id=new_id(), causation_id=None
    )
    await produce(
        clients.platform, events_topic("leverance"), requested.case_id, envelope.to_bytes()
    )

    async def recorded() -> Any:
        try:
            return await surveys.GetSurvey(
                surveys_pb2.GetSurveyRequest(survey_id=requested.case_id),
                metadata=clients.auth(),
                timeout=DEADLINE,
            )
        except grpc.aio.AioRpcError:
            return None

    await eventually(recorded)
    await surveys.AnswerSurvey(
        surveys_pb2.AnswerSurveyRequest(
            survey_id=requested.case_id,
            answers=[surveys_pb2.SurveyAnswer(question_id=q, answer=a) for q, a in ANSWERS.items()],
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )


async def test_the_annual_report_counts_a_known_mix_and_the_workbook_holds_it(
    clients: Clients, tmp_path: Path
) -> None:
    year = utcnow().year
    reference = Reference.load()
    before, previous = await counted(clients, year), await counted(clients, year - 1)

    suppliers = await contracted_suppliers(clients)
    spent = Decimal(0)
    for flow in (Flow(clients, suppliers), Flow(clients, suppliers)):
        spent += await started_course(flow, clients)
    await clients.intake.RegisterInquiry(
        form("single_case", main_area="adults", inquirer_type="ppr"),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    await clients.leverance.SetAppropriation(
        lpb.SetAppropriationRequest(year=year, main_area=MIN_AREA, amount_dkk="500000"),
        metadata=clients.auth(role="manager"),
        timeout=DEADLINE,
    )
    for _ in range(2):
        await answered_survey(clients, "adults", suppliers.main)

    mix = count_year(
        year,
        inquiries=[
            InquiryFact(MIN_AREA, "form", reference.inquirer_group("municipal_administration"), 2),
            InquiryFact("adults", "form", reference.inquirer_group("ppr")),
        ],
        courses=[CourseFact("single_case", MIN_AREA, target_groups=(TARGET_GROUP,))] * 2,
        surveys=[SurveyFact("adults", ANSWERS)] * 2,
        deadlines=[DeadlineFact(FIRST_CONTACT, "met", n=2)],
        appropriated_dkk={MIN_AREA: Decimal(500000)},
        spent_dkk={MIN_AREA: spent},
    )
    assert spent > 0

    stub = statistics_pb2_grpc.StatisticsServiceStub(
        grpc.aio.insecure_channel(clients.platform.grpc_address("statistics"))
    )
    expected: dict[str, Any] = {}

    async def report() -> Any:
        found = await stub.GetAnnualReport(
            statistics_pb2.GetAnnualReportRequest(year=year),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
        expected.update(expected_cells(found, plus(before, mix), previous))
        shown = all_cells(found)
        # The flows also set deadlines of other rules; the mix's own rule is checked.
        shown["deadlines"] = {k: v for k, v in shown["deadlines"].items() if k == (FIRST_CONTACT,)}
        expected["deadlines"] = {
            k: v for k, v in expected["deadlines"].items() if k == (FIRST_CONTACT,)
        }
        return found if shown == expected else None

    found = await eventually(report, timeout=60, interval=0.5)
    assert (found.year, found.previous_year) == (year, year - 1)
    # Every cell the report shows is the year's counts before plus the mix's (checked above);
    # the mix's own rows, for the record.
    shown = all_cells(found)
    assert (
        shown["courses_by_area"][("Børn og unge",)][0]
        == expected["courses_by_area"][("Børn og unge",)][0]
    )
    assert shown["survey_response"][("Voksne",)] == expected["survey_response"][("Voksne",)]
    assert shown["appropriation"][("Børn og unge",)][0] == 500000.0

    workbook = tmp_path / "report.xlsx"
    write_xlsx(found, workbook)
    book = load_workbook(workbook)
    for table in found.tables:
        keys = len(table.key_columns)
        rows = [r for r in book[table.id].iter_rows(min_row=3, values_only=True)][: len(table.rows)]
        assert len(rows) == len(table.rows)
        for row, sheet_row in zip(table.rows, rows, strict=True):
            assert list(sheet_row[:keys]) == list(row.keys)
            assert list(sheet_row[keys:]) == [
                f"<{found.min_cell}" if c.suppressed else c.value for c in row.cells
            ]
