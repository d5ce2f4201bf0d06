"""The annual report from the platform's own events: a known mix of inquiries, courses,
spending and surveys driven through the services on a platform of its own (so nothing else
is counted), every cell checked, and the workbook holding the same numbers.

The minimum cell is 2 here, so a count of 1 shows suppressed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from openpyxl import load_workbook

from services.cli.report_files import write_xlsx
from services.contracts.leverance import SatisfactionSurveyRequested
from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.topics import events_topic
from services.platform.infra import Platform
from tests.conftest import started_platform
from tests.integration.caseflow_helpers import (
    Flow,
    agreement_running,
    contracted_suppliers,
    form,
    form_case,
    handed_to_supplier,
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


@pytest.fixture(scope="module")
def stats_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    env = {"VIAS_STATISTICS_MIN_CELL": "2"}
    var_dir = tmp_path_factory.mktemp("stats-var")
    with started_platform(var_dir, env=env, mongo_storage=":memory:") as running:
        yield running


@pytest.fixture(scope="module")
async def stats_clients(stats_platform: Platform) -> AsyncIterator[Clients]:
    connected = Clients(stats_platform)
    try:
        yield connected
    finally:
        await connected.close()


def cells(report: Any, table_id: str) -> dict[tuple[str, ...], list[float | str]]:
    """A table's rows by their keys, each cell a number or "x" when suppressed."""
    [table] = [t for t in report.tables if t.id == table_id]
    return {tuple(r.keys): ["x" if c.suppressed else c.value for c in r.cells] for r in table.rows}


async def started_course(flow: Flow, clients: Clients) -> None:
    """A single_case about a child, from the form to the running agreement with its first
    hours approved."""
    await form_case(
        flow,
        "single_case",
        role="authority_caseworker",
        subject="individual",
        facts={"management_approved": True},
    )
    await handed_to_supplier(flow)
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


async def test_the_annual_report_counts_a_known_mix_and_the_workbook_holds_it(
    stats_clients: Clients, tmp_path: Path
) -> None:
    clients = stats_clients
    year = utcnow().year
    suppliers = await contracted_suppliers(clients)
    flows = [Flow(clients, suppliers), Flow(clients, suppliers)]
    for flow in flows:
        await started_course(flow, clients)
    await clients.intake.RegisterInquiry(
        form("single_case", main_area="adults", inquirer_type="ppr"),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    await clients.leverance.SetAppropriation(
        lpb.SetAppropriationRequest(year=year, main_area="children_youth", amount_dkk="500000"),
        metadata=clients.auth(role="manager"),
        timeout=DEADLINE,
    )
    # Two closed courses' surveys (as leverance announces them), both answered.
    surveys = surveys_pb2_grpc.SurveysServiceStub(
        grpc.aio.insecure_channel(clients.platform.grpc_address("notifications"))
    )
    for _ in range(2):
        requested = SatisfactionSurveyRequested(
            case_id=f"survey-{new_id()}",
            inquiry_id=new_id(),
            service="single_case",
            main_area="adults",
            consultant_id="consultant-1",
            supplier_ids=[suppliers.main],
            closed_at=utcnow(),
        )
        envelope = Envelope.wrap(
            requested, source="leverance", correlation_id=new_id(), causation_id=None
        )
        await produce(
            clients.platform, events_topic("leverance"), requested.case_id, envelope.to_bytes()
        )

        async def survey(case_id: str = requested.case_id) -> Any:
            reply = await surveys.GetSurvey(
                surveys_pb2.GetSurveyRequest(survey_id=case_id),
                metadata=clients.auth(),
                timeout=DEADLINE,
            )
            return reply

        async def recorded(case_id: str = requested.case_id) -> Any:
            try:
                return await survey(case_id)
            except grpc.aio.AioRpcError:
                return None

        await eventually(recorded)
        await surveys.AnswerSurvey(
            surveys_pb2.AnswerSurveyRequest(
                survey_id=requested.case_id,
                answers=[
                    surveys_pb2.SurveyAnswer(question_id=q, answer=a) for q, a in ANSWERS.items()
                ],
            ),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )

    stub = statistics_pb2_grpc.StatisticsServiceStub(
        grpc.aio.insecure_channel(clients.platform.grpc_address("statistics"))
    )

    async def report() -> Any:
        found = await stub.GetAnnualReport(
            statistics_pb2.GetAnnualReportRequest(year=year),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
        spent = cells(found, "appropriation")[("Børn og unge",)]
        answered = cells(found, "survey_response").get(("Voksne",), [0, 0])
        started = cells(found, "courses_by_service").get(("I alt",), [0])
        done = spent[1] != 0 and answered[1] == 2 and started[0] == 2
        return found if done else None

    found = await eventually(report, timeout=60, interval=0.5)
    assert (found.year, found.previous_year, found.min_cell) == (year, year - 1, 2)

    inquiries = cells(found, "inquiries")
    assert inquiries[("Børn og unge", "Skriftlig henvendelse (formular)")] == [2, 0]
    assert inquiries[("Børn og unge", "I alt")] == [2, 0]
    assert inquiries[("Voksne", "Skriftlig henvendelse (formular)")] == ["x", 0]
    assert inquiries[("I alt", "I alt")] == [3, 0]
    others = {k: v for k, v in inquiries.items() if v != [0, 0]}
    assert set(others) == {
        ("Børn og unge", "Skriftlig henvendelse (formular)"),
        ("Børn og unge", "I alt"),
        ("Voksne", "Skriftlig henvendelse (formular)"),
        ("Voksne", "I alt"),
        ("I alt", "I alt"),
    }
    service_name = "Rådgivningsforløb i en enkeltsag"
    assert cells(found, "courses_by_service") == {(service_name,): [2, 0], ("I alt",): [2, 0]}
    assert cells(found, "courses_by_area")[("Børn og unge",)] == [2, 0]
    assert cells(found, "course_kinds") == {
        ("Gruppe- og målgruppeforløb",): [0, 0],
        ("Temaforløb",): [0, 0],
        ("Forløb varetaget af centralenheden uden leverandør",): [0, 0],
    }
    assert cells(found, "target_groups") == {("Autismespektrum",): [2, 0]}
    types = cells(found, "inquirer_types")
    assert types[("Børn og unge", "Kommunal forvaltning")] == [2, 100.0, 0, 0]
    assert types[("Voksne", "PPR")] == ["x", "x", 0, 0]
    assert cells(found, "kas") == {}
    assert cells(found, "survey_response")[("Voksne",)] == [2, 2, 100.0, 0, 0, 0]
    answers = cells(found, "survey_answers")
    voksne = "Voksne"
    assert answers[(voksne, "Samlet tilfredshed med VISO-forløbet", "I meget høj grad")] == [
        2,
        100.0,
        0,
        0,
    ]
    assert answers[(voksne, "Samlet tilfredshed med VISO-forløbet", "I høj grad")] == [0, 0, 0, 0]
    assert answers[(voksne, "Ville anbefale VISO til andre", "Ja")] == [2, 100.0, 0, 0]
    money = cells(found, "appropriation")
    approved_hours_dkk = money[("Børn og unge",)][1]
    assert money[("Børn og unge",)][0] == 500000.0
    assert isinstance(approved_hours_dkk, float) and approved_hours_dkk > 0
    assert money[("I alt",)][:2] == [500000.0, approved_hours_dkk]
    deadlines = cells(found, "deadlines")
    assert deadlines[("visitation.first_contact",)][:2] == [2, 0]

    workbook = tmp_path / "report.xlsx"
    write_xlsx(found, workbook)
    sheet = load_workbook(workbook)["inquiries"]
    rows = {tuple(r[:2]): list(r[2:]) for r in sheet.iter_rows(min_row=3, values_only=True) if r[0]}
    assert rows[("Børn og unge", "Skriftlig henvendelse (formular)")] == [2, 0]
    assert rows[("Voksne", "Skriftlig henvendelse (formular)")] == ["<2", 0]
    assert rows[("I alt", "I alt")] == [3, 0]
    money_rows = list(
        load_workbook(workbook)["appropriation"].iter_rows(min_row=3, values_only=True)
    )
    assert ("Børn og unge", 500000, approved_hours_dkk) == money_rows[1][:3]
