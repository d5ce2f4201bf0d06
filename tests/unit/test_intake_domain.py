"""Intake's rules without I/O: screening, family split, ongoing course, distribution, letters,
phone and e-mail inquiries, internal procedures, supplementary material, consent withdrawal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from services.contracts.intake import (
    ContactInquiryClosed,
    InquiryAssigned,
    InquiryHeldForOngoingCourse,
    InquiryLetterRequested,
    InquiryRegistered,
)
from services.intake import domain
from services.intake.commands import (
    AddSupplementaryMaterial,
    AssignInquiry,
    CloseContactInquiry,
    CreateInternalCase,
    DecideOngoingCourse,
    RegisterContactInquiry,
    RegisterInquiry,
    WithdrawConsent,
)
from services.intake.cpr import Cpr, CprCipher, CprHasher
from services.intake.domain import Inquiry, OngoingCourse
from services.intake.privacy import CprVault, IntakeSettings
from services.intake.queries import start_of_danish_day
from services.intake.reference import Reference, load_reference
from services.kernel.errors import Forbidden, IllegalTransition, InvalidInput, OutsideWindow
from services.workdays import WorkingDayCalendar
from tests.conftest import ROOT

REF = load_reference()
VAULT = CprVault(CprCipher({"k1": bytes(range(32))}, "k1"), CprHasher(bytes(range(32, 64))))
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ADULT_CPR, CHILD_CPRS = "150570-1234", ["010316-4321", "020518-4001", "030720-4002"]
WEEKDAYS = (2, 4)
CALENDAR = WorkingDayCalendar()


def form(**overrides: Any) -> RegisterInquiry:
    values: dict[str, Any] = {
        "inquirer_name": "Odense Kommune",
        "main_area": "adults",
        "description": "Advice on an adult with autism",
        "requested_service": "single_case",
        "management_approved": True,
        "inquirer": {
            "type": "municipal_administration",
            "organisation": "Odense Kommune",
            "municipality_code": "461",
            "email": "a@odense.dk",
        },
        "citizens": [
            {
                "name": "Ann",
                "cpr": ADULT_CPR,
                "consent": {"basis": "consent", "citizen_consented": True},
            }
        ],
    }
    values.update(overrides)
    return RegisterInquiry.model_validate(values)


def child(cpr: str, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "cpr": cpr,
        "custody_holders": [{"name": "Mor Jensen", "address": "Vej 1, 5000 Odense"}],
        "consent": {"basis": "consent", "custody_holder_consented": True},
        "details": f"About {name}",
    }


def violations(command: RegisterInquiry) -> set[str]:
    try:
        domain.screen(command, ref=REF, today=NOW.date())
    except InvalidInput as error:
        return {v.field for v in error.violations}
    return set()


def register(
    command: RegisterInquiry, ongoing: dict[str, OngoingCourse] | None = None
) -> tuple[list[Inquiry], list[Any]]:
    protected = [VAULT.protect(c.cpr) for c in command.citizens]
    return domain.register(
        command,
        ids=[f"i{n}" for n in range(max(1, len(command.citizens)))],
        family_group_id="fam" if len(command.citizens) > 1 else None,
        protected=protected,
        ongoing=ongoing or {},
        ref=REF,
        now=NOW,
        by="support-1",
        distribution_date=date(2026, 11, 25),
    )


def test_a_complete_adult_form_passes_screening() -> None:
    assert violations(form()) == set()


def test_a_municipal_inquirer_needs_organisation_and_municipality() -> None:
    command = form(inquirer={"type": "municipal_administration"})
    assert violations(command) == {"inquirer.organisation", "inquirer.municipality_code"}


def test_a_citizen_inquirer_needs_a_way_to_be_answered() -> None:
    command = form(requested_service="citizen_course", inquirer={"type": "citizen"})
    assert violations(command) == {"inquirer.email"}


def test_unknown_codes_are_named() -> None:
    command = form(
        inquirer={**form().inquirer.model_dump(), "municipality_code": "999"},
        requested_service="moon_course",
        target_groups=["autism_spectrum", "unicorns"],
    )
    assert violations(command) == {
        "inquirer.municipality_code",
        "requested_service",
        "target_groups.1",
    }


@pytest.mark.parametrize(
    ("service", "inquirer_type", "named"),
    [
        ("citizen_course", "municipal_administration", {"inquirer.type"}),
        ("phone_extended", "municipal_administration", {"requested_service"}),
        ("theme_course", "municipal_administration", {"requested_service"}),
        ("adoption_course", "ppr", {"inquirer.type", "citizens"}),
    ],
)
def test_service_rules_decide_who_may_ask_and_how(
    service: str, inquirer_type: str, named: set[str]
) -> None:
    inquirer = {**form().inquirer.model_dump(), "type": inquirer_type}
    assert violations(form(requested_service=service, inquirer=inquirer)) == named


def test_a_single_case_needs_management_approval_and_a_citizen() -> None:
    command = form(management_approved=False, citizens=[])
    assert violations(command) == {"management_approved", "citizens"}


def test_a_group_service_takes_no_citizen_data() -> None:
    assert violations(form(requested_service="group_course")) == {"citizens"}
    assert violations(form(requested_service="group_course", citizens=[])) == set()


def test_a_child_needs_a_named_custody_holder() -> None:
    kid = {**child(CHILD_CPRS[0], "Bo"), "custody_holders": []}
    command = form(main_area="children_youth", citizens=[kid])
    assert violations(command) == {"citizens.0.custody_holders"}


def test_several_adults_cannot_share_one_inquiry_and_a_citizen_is_listed_once() -> None:
    adult = form().citizens[0].model_dump()
    adult["cpr"] = ADULT_CPR
    assert "citizens" in violations(form(citizens=[adult, {**adult, "cpr": "160570-1234"}]))
    kid = child(CHILD_CPRS[0], "Bo")
    assert violations(form(citizens=[kid, kid])) == {"citizens.1.cpr"}


def test_missing_consent_is_refused_with_the_field_named() -> None:
    citizen = {**form().citizens[0].model_dump(), "cpr": ADULT_CPR, "consent": {}}
    assert violations(form(citizens=[citizen])) == {"citizens.0.consent.basis"}


def test_a_malformed_cpr_never_reaches_the_rules_and_is_not_echoed() -> None:
    with pytest.raises(ValueError) as caught:
        form(citizens=[{**child("320199-1234", "X")}])
    assert "320199" not in str(caught.value)


def test_unknown_codes_are_named_even_when_another_field_is_malformed() -> None:
    found = domain.code_violations(
        REF,
        inquirer_type="no_such_type",
        municipality_code="999",
        requested_service="no_such_service",
        target_groups=["autism_spectrum", "no_such_group"],
    )
    assert {v.field for v in found} == {
        "inquirer.type",
        "inquirer.municipality_code",
        "requested_service",
        "target_groups.1",
    }
    known = domain.code_violations(
        REF,
        inquirer_type="municipal_administration",
        municipality_code="461",
        requested_service="single_case",
        target_groups=["autism_spectrum"],
    )
    assert known == []
    already = domain.code_violations(
        REF,
        inquirer_type="",
        municipality_code="999",
        requested_service="",
        target_groups=[],
        already_named=frozenset({"inquirer.municipality_code"}),
    )
    assert already == []


def test_registration_stores_the_cpr_only_encrypted_and_hashed() -> None:
    [inquiry], events = register(form())
    assert inquiry.status == "registered" and inquiry.distribution_date == date(2026, 11, 25)
    assert inquiry.citizen is not None
    assert inquiry.citizen.masked_cpr == "150570-xxxx"
    assert VAULT.reveal(inquiry.citizen.cpr_token) == Cpr(ADULT_CPR)
    assert inquiry.citizen.cpr_hash == VAULT.ref(Cpr(ADULT_CPR))
    stored_text = inquiry.model_dump_json() + "".join(e.model_dump_json() for e in events)
    assert "1505701234" not in stored_text and "150570-1234" not in stored_text
    [registered] = events
    assert isinstance(registered, InquiryRegistered)
    assert registered.citizen_ref == inquiry.citizen.cpr_hash


def test_a_family_inquiry_becomes_one_linked_inquiry_per_child_with_shared_information() -> None:
    command = form(
        main_area="children_youth",
        shared_information="The parents are divorcing.",
        citizens=[child(cpr, name) for cpr, name in zip(CHILD_CPRS, "ABC", strict=True)],
    )
    assert violations(command) == set()
    created, events = register(command)
    assert [i.citizen_name for i in created] == ["A", "B", "C"]
    assert {i.family_group_id for i in created} == {"fam"}
    assert all(i.family_inquiry_ids == ["i0", "i1", "i2"] for i in created)
    assert all(i.shared_information == "The parents are divorcing." for i in created)
    assert [i.citizen.details for i in created if i.citizen] == ["About A", "About B", "About C"]
    assert [type(e).__name__ for e in events] == ["InquiryRegistered"] * 3


def test_a_citizen_in_an_ongoing_course_is_held_for_its_consultant() -> None:
    ref = VAULT.ref(Cpr(ADULT_CPR))
    [held], events = register(form(), {ref: OngoingCourse("old", "consultant-3")})
    assert held.status == "awaiting_course_decision" and held.distribution_date is None
    assert held.held_for is not None and held.held_for.consultant_id == "consultant-3"
    assert isinstance(events[1], InquiryHeldForOngoingCourse)
    assert events[1].ongoing_inquiry_id == "old"


def assigned(command: RegisterInquiry | None = None) -> tuple[Inquiry, list[Any]]:
    [inquiry], _ = register(command or form())
    return domain.assign(
        inquiry,
        AssignInquiry(
            inquiry_id=inquiry.id,
            consultant_id="c7",
            consultant_name="Karen Fagkonsulent",
            distributed_on=date(2026, 11, 25),
        ),
        now=NOW,
        by="support-2",
    )


def test_assignment_announces_the_case_and_both_letters() -> None:
    kid = child(CHILD_CPRS[0], "Bo")
    inquiry, events = assigned(
        form(main_area="children_youth", citizens=[kid], target_groups=["autism_spectrum"])
    )
    assert (inquiry.status, inquiry.consultant_id) == ("assigned", "c7")
    event, receipt, personal = events
    assert isinstance(event, InquiryAssigned)
    assert event.citizen_ref == inquiry.citizen_ref and event.citizen_age_years == 10
    assert (event.requested_service, event.inquirer_type) == (
        "single_case",
        "municipal_administration",
    )
    assert (event.municipality_code, event.target_groups) == ("461", ["autism_spectrum"])
    assert isinstance(receipt, InquiryLetterRequested) and receipt.letter_kind == "receipt"
    assert [r.role for r in receipt.recipients] == ["inquirer"]
    assert receipt.consultant_name == "Karen Fagkonsulent"
    assert isinstance(personal, InquiryLetterRequested)
    assert [r.role for r in personal.recipients] == ["citizen", "custody_holder"]


def test_an_inquiry_is_assigned_only_once() -> None:
    inquiry, _ = assigned()
    command = AssignInquiry(inquiry_id=inquiry.id, consultant_id="c8", distributed_on=NOW.date())
    with pytest.raises(IllegalTransition):
        domain.assign(inquiry, command, now=NOW, by="s")


def assignment(inquiry: Inquiry, on: date) -> AssignInquiry:
    return AssignInquiry(inquiry_id=inquiry.id, consultant_id="c7", distributed_on=on)


@pytest.mark.parametrize(
    "on",
    [
        date(2026, 11, 20),  # a distribution day before the registration (Monday 23rd)
        date(2026, 11, 27),  # a later list the inquiry is not on
    ],
)
def test_an_inquiry_is_assigned_only_from_the_list_it_is_on(on: date) -> None:
    [inquiry], _ = register(form())
    with pytest.raises(OutsideWindow) as caught:
        domain.assign(inquiry, assignment(inquiry, on), now=NOW, by="s")
    assert [v.field for v in caught.value.violations] == ["distributed_on"]
    assert (
        f"inquiry i0 is on the distribution list of 2026-11-25, not {on.isoformat()}"
        in caught.value.violations[0].description
    )
    listed, _ = domain.assign(inquiry, assignment(inquiry, date(2026, 11, 25)), now=NOW, by="s")
    assert listed.distributed_on == date(2026, 11, 25)


def test_a_held_inquiry_is_on_no_list_and_is_not_assigned() -> None:
    ref = VAULT.ref(Cpr(ADULT_CPR))
    [held], _ = register(form(), {ref: OngoingCourse("old", "consultant-3")})
    with pytest.raises(IllegalTransition, match="awaiting_course_decision"):
        domain.assign(held, assignment(held, date(2026, 11, 25)), now=NOW, by="s")
    released = held.model_copy(update={"status": "registered"})
    with pytest.raises(IllegalTransition, match="on no distribution list"):
        domain.assign(released, assignment(released, date(2026, 11, 25)), now=NOW, by="s")


def test_a_list_takes_over_the_inquiries_waiting_since_an_earlier_list() -> None:
    [inquiry], _ = register(form())  # waits for Wednesday 25th
    assert domain.put_on_list(inquiry, date(2026, 11, 25)) is inquiry
    assert domain.put_on_list(inquiry, date(2026, 11, 20)) is inquiry  # never moved back
    friday = domain.put_on_list(inquiry, date(2026, 11, 27))
    assert friday.distribution_date == date(2026, 11, 27)
    with pytest.raises(OutsideWindow, match="list of 2026-11-27, not 2026-11-25"):
        domain.assign(friday, assignment(friday, date(2026, 11, 25)), now=NOW, by="s")
    held = inquiry.model_copy(update={"distribution_date": None})
    assert domain.put_on_list(held, date(2026, 11, 27)) is held


@pytest.mark.parametrize(
    ("registered", "list_day"),
    [
        (date(2026, 11, 23), date(2026, 11, 25)),  # Monday -> Wednesday
        (date(2026, 11, 25), date(2026, 11, 27)),  # Wednesday -> Friday
        (date(2026, 11, 27), date(2026, 12, 2)),  # Friday -> next Wednesday
        (date(2026, 12, 23), date(2026, 12, 28)),  # Christmas Day closed -> Monday 28th
        (date(2026, 3, 31), date(2026, 4, 1)),  # Tuesday before Easter -> Wednesday
        (date(2026, 4, 1), date(2026, 4, 7)),  # Good Friday closed -> Tuesday after Easter
    ],
)
def test_inquiries_wait_for_the_next_distribution_day(registered: date, list_day: date) -> None:
    assert domain.next_distribution_day(registered, CALENDAR, WEEKDAYS) == list_day


def test_a_distribution_day_is_a_scheduled_weekday_or_where_a_holiday_moved_it() -> None:
    assert domain.is_distribution_day(date(2026, 11, 25), CALENDAR, WEEKDAYS)
    assert not domain.is_distribution_day(date(2026, 11, 24), CALENDAR, WEEKDAYS)
    assert not domain.is_distribution_day(date(2026, 4, 3), CALENDAR, WEEKDAYS)  # Good Friday
    assert domain.is_distribution_day(date(2026, 4, 7), CALENDAR, WEEKDAYS)


def test_a_phone_inquiry_is_closed_with_its_outcome_and_a_referral_names_the_body() -> None:
    call = {
        "channel": "phone",
        "main_area": "adults",
        "inquirer_type": "relative",
        "summary": "Question about respite care",
    }
    with pytest.raises(InvalidInput) as caught:
        domain.register_contact(
            RegisterContactInquiry(**call, outcome="referred_elsewhere"),
            inquiry_id="p1",
            ref=REF,
            now=NOW,
            by="c1",
            calendar=CALENDAR,
        )
    assert {v.field for v in caught.value.violations} == {"referred_to"}
    inquiry, events = domain.register_contact(
        RegisterContactInquiry(**call),
        inquiry_id="p1",
        ref=REF,
        now=NOW,
        by="c1",
        calendar=CALENDAR,
    )
    assert (inquiry.status, inquiry.kind, inquiry.citizen) == ("open", "phone", None)
    assert [type(e).__name__ for e in events] == ["InquiryRegistered"]
    closed, [event] = domain.close_contact(
        inquiry,
        CloseContactInquiry(
            inquiry_id="p1", outcome="referred_elsewhere", referred_to="Ældresagen"
        ),
        now=NOW,
        calendar=CALENDAR,
    )
    assert isinstance(event, ContactInquiryClosed) and closed.form_deadline is None
    assert (closed.status, closed.referred_to, event.outcome) == (
        "closed",
        "Ældresagen",
        "referred_elsewhere",
    )
    with pytest.raises(IllegalTransition):
        domain.close_contact(
            closed,
            CloseContactInquiry(inquiry_id="p1", outcome="advised"),
            now=NOW,
            calendar=CALENDAR,
        )


THEMED = load_reference(ROOT / "tests" / "integration" / "themes.json")
"""The reference data with theme lists, as the test platform loads it."""


def internal(
    kind: str, origin: Inquiry | None = None, ref: Reference = THEMED, **extra: str
) -> tuple[Any, Any, Any]:
    command = CreateInternalCase.model_validate(
        {
            "kind": kind,
            "consultant_id": "c5",
            "main_area": "children_youth",
            "inquirer_type": "municipal_administration",
            "inquirer_name": "Vejle Kommune",
            "municipality_code": "630",
            "description": "Internal procedure",
            **extra,
        }
    )
    return domain.create_internal(command, inquiry_id="n1", origin=origin, ref=ref, now=NOW, by="s")


def test_extended_phone_advice_gets_its_case_type_and_name_and_is_assigned() -> None:
    case, _, events = internal("phone_extended")
    assert (case.case_type, case.case_name) == (
        "udvidet telefonrådgivning",
        "Udvidet telefonrådgivning \u2013 Vejle Kommune",
    )
    assert (case.status, case.consultant_id, case.kind) == ("assigned", "c5", "internal")
    assert [type(e).__name__ for e in events] == ["InquiryRegistered", "InquiryAssigned"]


def test_a_combination_course_comes_from_a_single_case_noted_without_its_number() -> None:
    single, _ = assigned()
    case, origin, events = internal(
        "combination_course", single, origin_inquiry_id=single.id, supplier_id="sup-1"
    )
    assert (case.case_type, case.requested_service, case.supplier_id) == (
        "gruppesag",
        "mini_group_course",
        "sup-1",
    )
    assert case.delivery_type == (
        "Kombinationsforløb: Mini-rådgivningsforløb vedr. flere borgere \u2013 for fagpersoner"
    )
    assert origin is not None and len(origin.notes) == 1
    assert case.id not in origin.notes[0].text
    assert [type(e).__name__ for e in events][-1] == "InquiryNoteAdded"
    with pytest.raises(InvalidInput) as caught:
        internal("combination_course")
    assert {v.field for v in caught.value.violations} == {"origin_inquiry_id", "supplier_id"}


def test_a_theme_course_needs_a_known_theme_and_a_supplier_from_its_list() -> None:
    case, _, events = internal("theme_course", theme_id="school_refusal", supplier_id="tema-syd")
    assert (case.case_type, case.theme_id, case.supplier_id) == (
        "temaforløb",
        "school_refusal",
        "tema-syd",
    )
    assert events[1].supplier_id == "tema-syd"
    with pytest.raises(InvalidInput) as caught:
        internal("theme_course", theme_id="nope")
    assert {v.field for v in caught.value.violations} == {"theme_id", "supplier_id"}


def test_a_supplier_not_on_the_themes_list_is_refused_naming_the_list() -> None:
    with pytest.raises(InvalidInput) as caught:
        internal("theme_course", theme_id="school_refusal", supplier_id="sup-2")
    [violation] = caught.value.violations
    assert violation.field == "supplier_id"
    assert "tema-nord, tema-syd" in violation.description


def test_a_theme_listing_no_supplier_takes_none() -> None:
    with pytest.raises(InvalidInput) as caught:
        internal("theme_course", theme_id="anxiety_children", supplier_id="tema-nord")
    assert "lists no suppliers" in caught.value.violations[0].description
    shipped = load_reference()
    assert all(not t.eligible_suppliers for t in shipped.themes), "filled from F2 when deployed"
    with pytest.raises(InvalidInput):
        internal("theme_course", ref=shipped, theme_id="school_refusal", supplier_id="tema-nord")


def test_supplementary_material_needs_an_ongoing_course_and_tells_its_consultant() -> None:
    [waiting], _ = register(form())
    material = AddSupplementaryMaterial(
        inquiry_id=waiting.id,
        documents=[{"document_id": "d1", "title": "Status"}],
        received_via="post",
    )
    with pytest.raises(IllegalTransition):
        domain.add_supplement(waiting, material, now=NOW)
    course, _ = assigned()
    changed, event = domain.add_supplement(course, material, now=NOW)
    assert len(changed.supplements) == 1 and event.consultant_id == "c7"


def test_only_the_course_consultant_decides_on_a_held_inquiry() -> None:
    course, _ = assigned()
    ref = VAULT.ref(Cpr(ADULT_CPR))
    [held], _ = register(form(), {ref: OngoingCourse(course.id, "c7")})
    journal = DecideOngoingCourse(inquiry_id=held.id, decision="journal_on_existing")
    with pytest.raises(Forbidden):
        domain.decide_ongoing_course(
            held, course, journal, by="c9", role="consultant", now=NOW, distribution_date=NOW.date()
        )
    done, course_after, events = domain.decide_ongoing_course(
        held, course, journal, by="c7", role="consultant", now=NOW, distribution_date=NOW.date()
    )
    assert (done.status, done.journaled_on) == ("journaled_on_course", course.id)
    assert course_after.supplements[0].from_inquiry_id == held.id
    assert [type(e).__name__ for e in events] == [
        "OngoingCourseDecided",
        "SupplementaryMaterialReceived",
    ]
    opened, _, _ = domain.decide_ongoing_course(
        held,
        course,
        DecideOngoingCourse(inquiry_id=held.id, decision="open_new"),
        by="c7",
        role="consultant",
        now=NOW,
        distribution_date=date(2026, 11, 25),
    )
    assert (opened.status, opened.distribution_date) == ("registered", date(2026, 11, 25))


def test_withdrawn_consent_stops_the_course_and_keeps_what_was_registered() -> None:
    course, _ = assigned()
    stopped, event = domain.withdraw_consent(
        course, WithdrawConsent(inquiry_id=course.id, reason="Borger ønsker ikke"), now=NOW
    )
    assert (stopped.status, stopped.stopped_at) == ("stopped", NOW)
    assert stopped.citizen == course.citizen and stopped.description == course.description
    assert event.consultant_id == "c7"
    with pytest.raises(IllegalTransition):
        domain.withdraw_consent(stopped, WithdrawConsent(inquiry_id=course.id), now=NOW)


def test_a_cpr_number_in_free_text_is_refused() -> None:
    command = form(description="Om borger 150570-1234 med autisme")
    assert violations(command) == {"description"}
    kid = {
        **child(CHILD_CPRS[0], "Bo"),
        "custody_holders": [{"name": "Mor 0103161234", "address": "Vej 1"}],
    }
    named = form(
        main_area="children_youth",
        citizens=[kid],
        attachments=[{"document_id": "d1", "title": "Udtalelse 010316-4321"}],
    )
    assert violations(named) == {"citizens.0.custody_holders.0.name", "attachments.0.title"}


def test_a_cpr_number_is_refused_in_the_free_text_of_every_other_write() -> None:
    course, _ = assigned()
    cpr = "Borgeren 150570-1234"

    def fields(change: Any) -> set[str]:
        with pytest.raises(InvalidInput) as caught:
            change()
        return {v.field for v in caught.value.violations}

    assert fields(lambda: domain.change_description(course, cpr)) == {"description"}
    material = AddSupplementaryMaterial(
        inquiry_id=course.id,
        documents=[{"document_id": "d1", "title": cpr}],
        received_via="post",
        note=cpr,
    )
    assert fields(lambda: domain.add_supplement(course, material, now=NOW)) == {
        "note",
        "documents.0.title",
    }
    withdrawal = WithdrawConsent(inquiry_id=course.id, reason=cpr)
    assert fields(lambda: domain.withdraw_consent(course, withdrawal, now=NOW)) == {"reason"}
    call = RegisterContactInquiry(
        channel="phone",
        main_area="adults",
        inquirer_type="relative",
        summary=cpr,
        outcome="referred_elsewhere",
        referred_to=cpr,
    )
    assert fields(
        lambda: domain.register_contact(
            call, inquiry_id="p1", ref=REF, now=NOW, by="c1", calendar=CALENDAR
        )
    ) == {"summary", "referred_to"}
    internal = CreateInternalCase(
        kind="phone_extended",
        consultant_id="c1",
        main_area="adults",
        inquirer_type="ppr",
        inquirer_name="PPR Aarhus",
        municipality_code="751",
        description=cpr,
    )
    assert fields(
        lambda: domain.create_internal(
            internal, inquiry_id="x1", origin=None, ref=REF, now=NOW, by="s1"
        )
    ) == {"description"}


def test_the_vault_uses_the_configured_keys_and_rotates() -> None:
    old = IntakeSettings(
        cpr_keys=SecretStr("k1:" + "11" * 32),
        cpr_current_key="k1",
        cpr_hash_key=SecretStr("22" * 32),
    )
    rotated = old.model_copy(
        update={
            "cpr_keys": SecretStr("k1:" + "11" * 32 + ",k2:" + "33" * 32),
            "cpr_current_key": "k2",
        }
    )
    before, after = CprVault.from_settings(old), CprVault.from_settings(rotated)
    token = before.protect(Cpr(ADULT_CPR)).token
    assert after.reveal(token) == Cpr(ADULT_CPR)
    assert after.protect(Cpr(ADULT_CPR)).token.startswith("v1:k2:")
    assert before.ref(Cpr(ADULT_CPR)) == after.ref(Cpr(ADULT_CPR))
    assert IntakeSettings(distribution_weekdays="2,4").weekdays == (2, 4)
    assert old.reveal_roles == {"support", "consultant"}


@pytest.mark.parametrize("bad", ["", "wed,fri", "2,7", "-1"])
def test_configured_distribution_weekdays_that_are_not_days_fail_at_start(bad: str) -> None:
    with pytest.raises(ValueError, match="distribution weekdays"):
        IntakeSettings(distribution_weekdays=bad)


def test_extended_phone_advice_from_a_phone_inquiry_needs_that_outcome() -> None:
    advised, _ = domain.register_contact(
        RegisterContactInquiry(
            channel="phone",
            main_area="adults",
            inquirer_type="municipal_offer",
            municipality_code="630",
            summary="Spørgsmål",
            outcome="advised",
        ),
        inquiry_id="p1",
        ref=REF,
        now=NOW,
        by="c1",
        calendar=CALENDAR,
    )
    with pytest.raises(InvalidInput) as caught:
        internal("phone_extended", advised, origin_inquiry_id="p1")
    assert {v.field for v in caught.value.violations} == {"origin_inquiry_id"}
    offered = advised.model_copy(update={"outcome": "offered_extended_phone_advice"})
    case, _, _ = internal("phone_extended", offered, origin_inquiry_id="p1")
    assert case.origin_inquiry_id == "p1"


def stopped_course() -> Inquiry:
    course, _ = assigned()
    material = AddSupplementaryMaterial(
        inquiry_id=course.id,
        documents=[{"document_id": "d1", "title": "Status"}],
        received_via="post",
    )
    with_material, _ = domain.add_supplement(course, material, now=NOW)
    stopped, _ = domain.withdraw_consent(
        with_material, WithdrawConsent(inquiry_id=course.id), now=NOW
    )
    return stopped


def test_a_withdrawn_inquiry_keeps_what_was_journaled_and_refuses_every_change() -> None:
    stopped = stopped_course()
    assert [s.documents[0].document_id for s in stopped.supplements] == ["d1"]
    assert stopped.citizen is not None and stopped.consultant_id == "c7"
    material = AddSupplementaryMaterial(
        inquiry_id=stopped.id,
        documents=[{"document_id": "d2", "title": "Mere"}],
        received_via="email",
    )
    refusals = {
        "supplement": lambda: domain.add_supplement(stopped, material, now=NOW),
        "assign": lambda: domain.assign(
            stopped,
            AssignInquiry(inquiry_id=stopped.id, consultant_id="c8", distributed_on=NOW.date()),
            now=NOW,
            by="s",
        ),
        "description": lambda: domain.change_description(stopped, "Ny beskrivelse"),
        "withdraw again": lambda: domain.withdraw_consent(
            stopped, WithdrawConsent(inquiry_id=stopped.id), now=NOW
        ),
        "combination course": lambda: internal(
            "combination_course", stopped, origin_inquiry_id=stopped.id, supplier_id="sup-1"
        ),
    }
    for change in refusals.values():
        with pytest.raises(IllegalTransition, match="consent was withdrawn"):
            change()


def test_a_held_inquiry_is_not_journaled_onto_a_stopped_course_but_may_open_a_new_one() -> None:
    stopped = stopped_course()
    ref = VAULT.ref(Cpr(ADULT_CPR))
    [held], _ = register(form(), {ref: OngoingCourse(stopped.id, "c7")})
    journal = DecideOngoingCourse(inquiry_id=held.id, decision="journal_on_existing")
    with pytest.raises(IllegalTransition, match="consent was withdrawn"):
        domain.decide_ongoing_course(
            held,
            stopped,
            journal,
            by="c7",
            role="consultant",
            now=NOW,
            distribution_date=NOW.date(),
        )
    opened, course, _ = domain.decide_ongoing_course(
        held,
        stopped,
        DecideOngoingCourse(inquiry_id=held.id, decision="open_new"),
        by="c7",
        role="consultant",
        now=NOW,
        distribution_date=date(2026, 11, 25),
    )
    assert opened.status == "registered" and course is stopped
    withdrawn_held, _ = domain.withdraw_consent(held, WithdrawConsent(inquiry_id=held.id), now=NOW)
    with pytest.raises(IllegalTransition, match="consent was withdrawn"):
        domain.decide_ongoing_course(
            withdrawn_held,
            stopped,
            journal,
            by="c7",
            role="consultant",
            now=NOW,
            distribution_date=NOW.date(),
        )


def test_an_ended_course_is_ended_once_and_takes_no_held_inquiry_or_material() -> None:
    course, _ = assigned()
    result = domain.end_course(course, reason="course_closed", now=NOW)
    assert result is not None
    ended, event = result
    assert (ended.status, ended.course_ended_at, ended.course_end_reason) == (
        "course_ended",
        NOW,
        "course_closed",
    )
    assert (event.inquiry_id, event.consultant_id, event.reason) == (
        course.id,
        "c7",
        "course_closed",
    )
    assert domain.end_course(ended, reason="visitation_referred", now=NOW) is None
    [waiting], _ = register(form())
    assert domain.end_course(waiting, reason="course_closed", now=NOW) is None
    stopped = stopped_course()
    assert domain.end_course(stopped, reason="case_closed_consent_withdrawn", now=NOW) is None
    ref = VAULT.ref(Cpr(ADULT_CPR))
    [held], _ = register(form(), {ref: OngoingCourse(ended.id, "c7")})
    with pytest.raises(IllegalTransition, match="no longer ongoing"):
        domain.decide_ongoing_course(
            held,
            ended,
            DecideOngoingCourse(inquiry_id=held.id, decision="journal_on_existing"),
            by="c7",
            role="consultant",
            now=NOW,
            distribution_date=NOW.date(),
        )
    material = AddSupplementaryMaterial(
        inquiry_id=ended.id,
        documents=[{"document_id": "d1", "title": "Late"}],
        received_via="post",
    )
    with pytest.raises(IllegalTransition, match="no ongoing course"):
        domain.add_supplement(ended, material, now=NOW)


def test_the_citizen_s_age_counts_from_the_danish_date() -> None:
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 00:30 on 24 November in Denmark
    adult = {"name": "Eva", "cpr": "241108-4001", "consent": {"basis": "consent"}}
    command = form(citizens=[{**adult, "consent": {"basis": "consent", "citizen_consented": True}}])
    [inquiry], _ = domain.register(
        command,
        ids=["i0"],
        family_group_id=None,
        protected=[VAULT.protect(c.cpr) for c in command.citizens],
        ongoing={},
        ref=REF,
        now=late,
        by="support-1",
        distribution_date=date(2026, 11, 25),
    )
    assert inquiry.citizen_age_years == 18


def test_a_registration_date_filter_starts_at_danish_midnight() -> None:
    assert start_of_danish_day(date(2026, 11, 24)) == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    assert start_of_danish_day(date(2026, 7, 1)) == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
