"""The KaS form's rules, its draft/complete/closed states and the five extracts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from services.intake.kas import model
from services.intake.kas.extracts import build, to_csv, to_xlsx
from services.intake.kas.model import CloseKasCourse, KasForm, KasRegistration, SaveKasRegistration
from services.intake.reference import load_reference
from services.kernel.errors import IllegalTransition, InvalidInput

REF = load_reference()
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TODAY = NOW.date()

BASE = {
    "channel": "phone",
    "inquirer_profile": "professional_municipality",
    "municipality_code": "461",
    "legal_area": "social_services_act",
}
COURSE = {
    **BASE,
    "handling": ["course_advice"],
    "inquirer_name": "Lene Lærer",
    "kas_specialist_id": "spec-1",
    "problem_areas": ["communication", "learning"],
    "classifications": ["low_vision"],
}


def named(values: dict[str, Any], *, complete: bool = True) -> set[str]:
    form = KasForm.model_validate(values)
    return {v.field for v in model.form_violations(form, ref=REF, complete=complete, today=TODAY)}


def saved(values: dict[str, Any], *, complete: bool = True) -> KasRegistration:
    return model.save(
        None,
        SaveKasRegistration(form=KasForm.model_validate(values), complete=complete),
        new_id="r1",
        kas_number="KAS-2026-000001",
        supplier_id="sup-a",
        by="kas-user",
        ref=REF,
        now=NOW,
    )


def test_a_draft_may_be_empty_but_a_complete_form_names_every_mandatory_field() -> None:
    assert named({}, complete=False) == set()
    assert named({}) == {
        "form.channel",
        "form.inquirer_profile",
        "form.municipality_code",
        "form.legal_area",
        "form.handling",
    }


def test_exactly_one_handling_choice() -> None:
    assert named({**BASE, "handling": ["closed", "referred"]}) >= {"form.handling"}
    assert "form.handling" in named({"handling": ["closed", "referred"]}, complete=False)


@pytest.mark.parametrize(
    ("handling", "missing"),
    [
        ("closed", {"form.closed_with"}),
        ("referred", {"form.referred_to"}),
        (
            "course_assessment_advice",
            {
                "form.inquirer_name",
                "form.kas_specialist_id",
                "form.problem_areas",
                "form.classifications",
            },
        ),
    ],
)
def test_each_handling_choice_requires_its_detail(handling: str, missing: set[str]) -> None:
    assert named({**BASE, "handling": [handling]}) == missing


def test_municipality_not_stated_is_allowed_but_unknown_codes_are_not() -> None:
    assert named({**COURSE, "municipality_code": "0"}) == set()
    assert named({**COURSE, "municipality_code": "12345"}) == {"form.municipality_code"}


def test_unknown_codes_in_every_list_are_named() -> None:
    values = {
        **COURSE,
        "channel": "pigeon",
        "legal_area": "x",
        "inquirer_profile": "y",
        "problem_areas": ["communication", "nope"],
        "classifications": ["low_vision", "low_vision"],
    }
    assert named(values) == {
        "form.channel",
        "form.legal_area",
        "form.inquirer_profile",
        "form.problem_areas.1",
        "form.classifications",
    }


def test_an_email_needs_permission_and_a_valid_address() -> None:
    assert named({**COURSE, "inquirer_email": "a@b.dk"}) == {"form.email_permission"}
    assert named({**COURSE, "inquirer_email": "nope", "email_permission": True}) == {
        "form.inquirer_email"
    }


def test_the_inquiry_date_defaults_to_today_and_may_not_be_in_the_future() -> None:
    assert saved(COURSE).form.inquiry_date == TODAY
    assert named({**COURSE, "inquiry_date": date(2030, 1, 1)}) == {"form.inquiry_date"}


def test_states_draft_ongoing_closed() -> None:
    assert saved({"channel": "email"}, complete=False).status == "draft"
    assert saved({**BASE, "handling": ["closed"], "closed_with": "advice_given"}).status == "closed"
    course = saved(COURSE)
    assert (course.status, course.kas_number, course.registered_by) == (
        "ongoing",
        "KAS-2026-000001",
        "kas-user",
    )
    with pytest.raises(InvalidInput) as caught:
        saved({**BASE, "handling": ["referred"]})
    assert {v.field for v in caught.value.violations} == {"form.referred_to"}


def test_closing_a_course_records_the_dates_and_reason() -> None:
    course = saved({**COURSE, "inquiry_date": date(2026, 1, 5)}).model_copy(update={"version": 1})
    command = CloseKasCourse(
        registration_id="r1",
        expected_version=1,
        clarifying_meeting_date=date(2026, 2, 1),
        closing_reason="completed",
    )
    closed = model.close_course(course, command, ref=REF, today=TODAY)
    assert (closed.status, closed.closing_date, closed.duration_months) == ("closed", TODAY, 9)
    with pytest.raises(IllegalTransition):
        model.close_course(closed, command, ref=REF, today=TODAY)
    early = command.model_copy(
        update={"clarifying_meeting_date": date(2025, 12, 1), "closing_reason": "?"}
    )
    with pytest.raises(InvalidInput) as caught:
        model.close_course(course, early, ref=REF, today=TODAY)
    assert {v.field for v in caught.value.violations} == {
        "clarifying_meeting_date",
        "closing_reason",
    }


def registrations() -> list[KasRegistration]:
    course = saved(COURSE)
    closed = saved({**BASE, "handling": ["closed"], "closed_with": "advice_given"})
    referred = saved({**BASE, "handling": ["referred"], "referred_to": "Synscenter Refsnæs"})
    draft = saved({**COURSE, "classifications": ["blindness"]}, complete=False)
    return [course, closed, referred, draft]


@pytest.mark.parametrize(
    ("kind", "rows"),
    [
        ("classifications", 1),
        ("problem_areas", 2),
        ("longer_courses", 1),
        ("one_off_advice", 1),
        ("referrals", 1),
    ],
)
def test_each_extract_counts_complete_registrations_only(kind: Any, rows: int) -> None:
    table = build(kind, registrations(), REF)
    assert len(table.rows) == rows
    parsed = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8"))))
    assert parsed[0] == list(table.header) and len(parsed) == rows + 1
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).worksheets[0]
    assert sheet.max_row == rows + 1


def test_the_referral_extract_names_the_body() -> None:
    [row] = build("referrals", registrations(), REF).rows
    assert row[-1] == "Synscenter Refsnæs"


def test_a_cpr_number_is_refused_in_the_free_text_fields() -> None:
    assert named({**COURSE, "person_ref": "Bo 010203-1234"}) == {"form.person_ref"}
    assert named({**COURSE, "own_journal_number": "0102031234"}) == {"form.own_journal_number"}
    assert named({**COURSE, "person_ref": "Bo, j.nr. 2026-17"}) == set()
