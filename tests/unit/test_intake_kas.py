"""The KaS form's rules, its draft/complete/closed states and the five extracts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from pydantic import ValidationError

from services.intake.kas import model
from services.intake.kas.extracts import build, to_csv, to_xlsx
from services.intake.kas.model import CloseKasCourse, KasForm, KasRegistration, SaveKasRegistration
from services.intake.reference import load_reference
from services.kernel.errors import IllegalTransition, InvalidInput, OutsideWindow

REF = load_reference()
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TODAY = NOW.date()

BASE = {
    "channel": "phone",
    "inquirer_profile": "professional_municipality",
    "municipality_code": "461",
    "municipality_basis": "workplace",
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


def named_list(values: dict[str, Any]) -> list[str]:
    form = KasForm.model_validate(values)
    return [v.field for v in model.form_violations(form, ref=REF, complete=True, today=TODAY)]


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
        "form.municipality_basis",
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
    assert named({**COURSE, "municipality_code": "0", "municipality_basis": "not_stated"}) == set()
    assert named({**COURSE, "municipality_code": "12345"}) == {"form.municipality_code"}


@pytest.mark.parametrize(
    ("profile", "basis"),
    [
        ("citizen", "residence"),
        ("relative", "residence"),
        ("professional_municipality", "workplace"),
        ("professional_region", "workplace"),
        ("ppr", "workplace"),
        ("offer", "offer_location"),
        ("hospital", "citizen_home"),
    ],
)
def test_the_stated_municipality_rule_must_be_the_profile_s(profile: str, basis: str) -> None:
    values = {**COURSE, "inquirer_profile": profile}
    assert named({**values, "municipality_basis": basis}) == set()
    wrong = {"residence", "workplace", "offer_location", "citizen_home"} - {basis}
    for other in wrong:
        assert named({**values, "municipality_basis": other}) == {"form.municipality_basis"}
    assert named({**values, "municipality_code": "0", "municipality_basis": "not_stated"}) == set()


def test_not_stated_goes_with_municipality_zero_and_only_with_it() -> None:
    assert named({**COURSE, "municipality_basis": "not_stated"}) == {"form.municipality_basis"}
    assert named({**COURSE, "municipality_code": "0"}) == {"form.municipality_basis"}
    with pytest.raises(ValidationError) as caught:
        KasForm.model_validate({**COURSE, "municipality_basis": "moon"})
    assert [e["loc"] for e in caught.value.errors()] == [("municipality_basis",)]
    assert named({"municipality_basis": "workplace"}, complete=False) == set()


@pytest.mark.parametrize(
    ("profile", "basis", "field"),
    [
        ("professional_municipality", "workplace", "inquirer_workplace_municipality_code"),
        ("offer", "offer_location", "offer_municipality_code"),
        ("citizen", "residence", "citizen_municipality_code"),
        ("hospital", "citizen_home", "citizen_municipality_code"),
    ],
)
def test_a_municipality_the_form_names_for_the_rule_must_be_the_one_registered(
    profile: str, basis: str, field: str
) -> None:
    values = {**COURSE, "inquirer_profile": profile, "municipality_basis": basis}
    assert named({**values, field: "461"}) == set()  # 461 Odense registered and stated
    assert named({**values, field: "751"}) == {"form.municipality_code"}
    assert named({**values, field: "751", "municipality_code": "0"}) >= {"form.municipality_code"}
    assert named({**values, field: "9999"}) == {f"form.{field}"}
    unknown = named_list({**values, field: "751", "municipality_code": "12345"})
    assert unknown == ["form.municipality_code"]  # named once, not once per rule


def test_a_hospital_s_own_municipality_does_not_count_for_an_assessment_request() -> None:
    values = {
        **COURSE,
        "inquirer_profile": "hospital",
        "municipality_basis": "citizen_home",
        "municipality_code": "751",
        "inquirer_workplace_municipality_code": "101",  # the hospital is in Copenhagen
        "citizen_municipality_code": "751",  # the child lives in Aarhus
    }
    assert named(values) == set()
    assert named({**values, "municipality_code": "101"}) == {"form.municipality_code"}


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


def test_saving_an_existing_form_needs_the_version_read_named_with_the_form_s_faults() -> None:
    draft = saved({"channel": "email"}, complete=False).model_copy(update={"version": 1})
    command = SaveKasRegistration(
        registration_id=draft.id, form=KasForm(channel="no_such_channel"), complete=False
    )
    with pytest.raises(InvalidInput) as caught:
        model.save(
            draft,
            command,
            new_id="unused",
            kas_number="",
            supplier_id="sup-a",
            by="kas-user",
            ref=REF,
            now=NOW,
        )
    assert {v.field for v in caught.value.violations} == {"expected_version", "form.channel"}
    resaved = model.save(
        draft,
        command.model_copy(update={"expected_version": 1, "form": KasForm(channel="phone")}),
        new_id="unused",
        kas_number="",
        supplier_id="sup-a",
        by="kas-user",
        ref=REF,
        now=NOW,
    )
    assert (resaved.id, resaved.form.channel) == (draft.id, "phone")


def course_of(inquiry_date: date) -> KasRegistration:
    return saved({**COURSE, "inquiry_date": inquiry_date}).model_copy(update={"version": 1})


def closing(clarifying_meeting_date: date) -> CloseKasCourse:
    return CloseKasCourse(
        registration_id="r1",
        expected_version=1,
        clarifying_meeting_date=clarifying_meeting_date,
        closing_reason="completed",
    )


def test_closing_a_course_records_the_dates_and_reason() -> None:
    course = course_of(date(2026, 1, 5))
    command = closing(date(2026, 2, 1))
    closed = model.close_course(course, command, ref=REF, today=TODAY)
    assert (closed.status, closed.closing_date, closed.duration_months) == ("closed", TODAY, 9)
    with pytest.raises(IllegalTransition):
        model.close_course(closed, command, ref=REF, today=TODAY)
    late = command.model_copy(
        update={"clarifying_meeting_date": TODAY + timedelta(days=1), "closing_reason": "?"}
    )
    with pytest.raises(InvalidInput) as caught:
        model.close_course(course, late, ref=REF, today=TODAY)
    assert {v.field for v in caught.value.violations} == {
        "clarifying_meeting_date",
        "closing_reason",
    }


def test_a_clarifying_meeting_before_the_stored_inquiry_date_is_a_failed_precondition() -> None:
    early = closing(date(2025, 12, 1))
    with pytest.raises(OutsideWindow) as caught:
        model.close_course(course_of(date(2026, 1, 5)), early, ref=REF, today=TODAY)
    assert [v.field for v in caught.value.violations] == ["clarifying_meeting_date"]
    assert "before the inquiry date (2026-01-05)" in str(caught.value)
    # The same meeting date suits a registration whose inquiry came before it.
    older = course_of(date(2025, 11, 3))
    assert model.close_course(older, early, ref=REF, today=TODAY).status == "closed"


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


def test_whether_a_handling_expects_a_course_comes_from_the_code_list() -> None:
    assert REF.kas.course_handlings == {"course_advice", "course_assessment_advice"}
    handlings = tuple(
        h.model_copy(update={"course": True}) if h.id == "referred" else h
        for h in REF.kas.handlings
    )
    flipped = REF.model_copy(update={"kas": REF.kas.model_copy(update={"handlings": handlings})})
    values = {**COURSE, "handling": ["referred"], "referred_to": "Synscenter"}
    command = SaveKasRegistration(form=KasForm.model_validate(values), complete=True)

    def status(ref: Any) -> str:
        return model.save(
            None,
            command,
            new_id="r1",
            kas_number="KAS-2026-000001",
            supplier_id="sup-a",
            by="kas-user",
            ref=ref,
            now=NOW,
        ).status

    assert (status(REF), status(flipped)) == ("closed", "ongoing")


def test_today_is_the_danish_date_just_after_midnight() -> None:
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 00:30 on 24 November in Denmark
    values = {**COURSE, "inquiry_date": date(2026, 11, 24)}

    def save(values: dict[str, Any]) -> KasRegistration:
        return model.save(
            None,
            SaveKasRegistration(form=KasForm.model_validate(values), complete=True),
            new_id="r1",
            kas_number="KAS-2026-000001",
            supplier_id="sup-a",
            by="kas-user",
            ref=REF,
            now=late,
        )

    assert save(values).form.inquiry_date == date(2026, 11, 24)
    assert save(COURSE).form.inquiry_date == date(2026, 11, 24)
