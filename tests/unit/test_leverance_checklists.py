"""The closing checklist per service, from leverance's reference data (H ch. 3, 5.3.3)."""

from __future__ import annotations

import pytest

from services.kernel.errors import IllegalTransition
from services.leverance.domain import closure
from services.leverance.domain.reference import reference, service_rules
from services.visitation.catalog import load_catalog
from tests.unit.test_leverance_closure import closed_meeting, doc, submit

REPORT = doc("advisory_report", "Rådgivningsrapport")
NOTE = doc("closing_summary_note")


def test_every_advisory_service_with_a_course_has_closing_rules() -> None:
    courses = {s.id for s in load_catalog().services} - {"phone"}
    assert {s.id for s in reference().services} == courses
    for rules in reference().services:
        assert rules.closing_documents, rules.id
        assert all("H " in d.description for d in rules.closing_documents), rules.id


@pytest.mark.parametrize("service", ["mini_group_course", "theme_course"])
def test_a_service_without_a_report_closes_with_its_materials_and_no_stand_in(
    service: str,
) -> None:
    course, delivery = closed_meeting(service)
    assert closure.checklist(course, [], [delivery]).missing() == ["materials_sent_and_journaled"]
    with pytest.raises(IllegalTransition, match="materials_sent_and_journaled"):
        submit(course, delivery, [REPORT, NOTE])
    slides = doc("materials", "Slides fra rådgivningen")
    assert submit(course, delivery, [slides])[0].status == "statement_submitted"


def test_materials_must_have_been_sent() -> None:
    course, delivery = closed_meeting("theme_course")
    kept = doc("materials", "Slides", sent_to=())
    assert closure.checklist(course, [kept], [delivery]).missing() == [
        "materials_sent_and_journaled"
    ]


def test_extended_phone_advice_needs_only_a_note_in_the_case_history_not_sent() -> None:
    course, delivery = closed_meeting("phone_extended")
    note = doc("case_note", "Notat om temaet for rådgivningen", sent_to=())
    checklist = closure.checklist(course, [note], [delivery])
    assert checklist.missing() == []
    assert [i.name for i in checklist.items] == [
        "closing_meeting_held",
        "case_note_journaled",
        "recipient_registration_checked",
        "working_papers_destroyed",
    ]
    assert not checklist.done("advisory_report_sent_and_journaled")


def test_a_single_case_still_needs_the_summary_note_and_the_final_report() -> None:
    course, delivery = closed_meeting("single_case")
    assert closure.checklist(course, [REPORT], [delivery]).missing() == [
        "closing_summary_note_sent_and_journaled"
    ]
    draft = doc("advisory_report", "Rådgivningsrapport", status="draft")
    assert closure.checklist(course, [NOTE, draft], [delivery]).missing() == [
        "advisory_report_sent_and_journaled"
    ]


def test_the_short_report_services_need_the_report_but_no_closing_summary_note() -> None:
    for service in ("citizen_course", "mini_single_case"):
        course, delivery = closed_meeting(service)
        assert closure.checklist(course, [REPORT], [delivery]).missing() == [], service


def test_adoption_theme_days_need_the_slides_and_the_summary_paper() -> None:
    course, delivery = closed_meeting("adoption_theme_days")
    slides = doc("materials", "Slides fra temadagene")
    assert closure.checklist(course, [slides], [delivery]).missing() == [
        "summary_paper_sent_and_journaled"
    ]


def test_an_unknown_service_falls_back_to_the_general_rule_of_the_handbook() -> None:
    rules = service_rules("retired_service")
    assert [d.item for d in rules.closing_documents] == [
        "closing_summary_note_sent_and_journaled",
        "advisory_report_sent_and_journaled",
    ]
    assert rules.max_months is None and not rules.satisfaction_survey


def test_each_item_is_described_in_danish_with_its_handbook_section() -> None:
    course, delivery = closed_meeting("casework_course")
    checklist = closure.checklist(course, [], [delivery])
    described = {i.name: i.description for i in checklist.items}
    assert "Analyserapporten" in described["analysis_report_sent_and_journaled"]
    assert "H 3.11" in described["closing_note_sent_and_journaled"]
    assert "H 5.3.3" in described["closing_meeting_held"]
