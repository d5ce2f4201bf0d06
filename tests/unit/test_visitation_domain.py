"""The visitation case's state machine: every step, its deadlines and its refusals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.contracts.deadlines import (
    DeadlineCancelled,
    DeadlineChanged,
    DeadlineMet,
    DeadlineMissed,
    DeadlineSet,
)
from services.contracts.visitation import (
    CaseHandedToLeverance,
    NextSupplierNeeded,
    SummaryNoteSent,
    VisitationCaseOpened,
    VisitationDecided,
)
from services.kernel.context import Principal
from services.kernel.errors import IllegalTransition, InvalidInput, NotFound, OutsideWindow
from services.visitation.commands import (
    AnswerOffer,
    CloseCase,
    CloseWithAdvice,
    DeclareOutsideScope,
    Estimate,
    MoveDeadline,
    OfferToSupplier,
    RecordClarifyingMeeting,
    RecordFirstContact,
    RecordInformation,
    RecordInquirerContact,
    RecordSummaryNote,
    ReferElsewhere,
)
from services.visitation.domain import case as transitions
from services.visitation.domain import deadlines, visibility
from services.visitation.domain import meeting as meeting_steps
from services.visitation.domain import offers as steps
from services.visitation.domain.case import Events
from services.visitation.domain.model import VisitationCase
from services.visitation.domain.suppliers import Ranking, SupplierProfile, rank_suppliers
from tests.unit.visitation_fixtures import (
    CAL,
    CATALOG,
    NOW,
    TODAY,
    assigned,
    contacted_case,
    opened_case,
    proceed_command,
    proceeding_case,
    supplier,
    terms,
)

GROUPS = ["autism_spectrum", "anxiety"]
SUPPLIERS = [
    supplier("alpha", [terms(groups=GROUPS, rate="900")]),
    supplier("bravo", [terms(groups=GROUPS, rate="700")]),
    supplier("charlie", [terms(groups=GROUPS[:1], rate="500")]),
]
SPECIALIST_A = Principal("spec-a", "specialist", "alpha")
ADMIN_A = Principal("admin-a", "supplier_admin", "alpha")
# Each supplier's specialists as leverance announced them; the others have announced none.
STAFF = {"alpha": ["spec-a", "spec-a2"]}


def ranking_for(case: VisitationCase, suppliers: list[SupplierProfile] = SUPPLIERS) -> Ranking:
    service = steps.chosen_service(case, CATALOG)
    return rank_suppliers(
        suppliers,
        steps.need_of(case, service, TODAY),
        steps.price_estimate(Estimate(), CATALOG),
        offered=steps.offered_statuses(case),
    )


def answer(
    case: VisitationCase, command: AnswerOffer, principal: Principal
) -> tuple[VisitationCase, Events]:
    return steps.answer_offer(
        case,
        command,
        principal=principal,
        ranking=ranking_for(case),
        today=TODAY,
        calendar=CAL,
        catalog=CATALOG,
        specialists=STAFF,
    )


def offered(
    case: VisitationCase, supplier_id: str = "alpha", offer_id: str = "o1"
) -> tuple[VisitationCase, Events]:
    command = OfferToSupplier(case_id=case.id, supplier_id=supplier_id, justification="Fits.")
    return steps.offer_to_supplier(
        case,
        command,
        ranking=ranking_for(case),
        offer_id=offer_id,
        by="c1",
        today=TODAY,
        calendar=CAL,
        catalog=CATALOG,
    )


def accepted(case: VisitationCase | None = None) -> VisitationCase:
    with_offer, _ = offered(case or proceeding_case())
    changed, _ = steps.answer_offer(
        with_offer,
        AnswerOffer(offer_id="o1", accept=True),
        principal=SPECIALIST_A,
        ranking=ranking_for(with_offer),
        today=TODAY,
        calendar=CAL,
        catalog=CATALOG,
        specialists=STAFF,
    )
    return changed


def booked() -> VisitationCase:
    changed, _ = meeting_steps.record_inquirer_contact(
        accepted(),
        RecordInquirerContact(offer_id="o1", contacted_on=TODAY, meeting_on=date(2026, 6, 10)),
        today=TODAY,
    )
    return changed


def meeting(**fields: object) -> RecordClarifyingMeeting:
    values: dict[str, object] = {"offer_id": "o1", "held_on": TODAY, "citizen_attended": True}
    return RecordClarifyingMeeting.model_validate({**values, **fields})


def held(command: RecordClarifyingMeeting | None = None) -> tuple[VisitationCase, Events]:
    return meeting_steps.record_clarifying_meeting(
        booked(),
        command or meeting(),
        today=TODAY,
        now=NOW,
        by="spec-a",
        calendar=CAL,
        catalog=CATALOG,
    )


def test_an_assigned_inquiry_opens_a_case_with_its_first_contact_deadline() -> None:
    case, events = transitions.open_assigned_case(assigned(), case_id="k1", now=NOW, calendar=CAL)
    assert case.status == "opened" and case.target_groups == GROUPS
    opened, deadline_set = events
    assert isinstance(opened, VisitationCaseOpened) and isinstance(deadline_set, DeadlineSet)
    assert (deadline_set.start, deadline_set.due) == (date(2026, 5, 8), date(2026, 5, 20))
    assert deadline_set.responsible_user_id == "c1" and deadline_set.consultant_id == "c1"
    assert "2026-05-14 Ascension Day" in deadline_set.explanation
    assert (
        case.deadlines[0].deadline_id == deadline_set.deadline_id == "k1/visitation.first_contact"
    )


def test_first_contact_meets_the_deadline_and_starts_visitation() -> None:
    case, events = transitions.record_first_contact(
        opened_case(), RecordFirstContact(case_id="k1", contacted_on=date(2026, 5, 20)), today=TODAY
    )
    assert (case.status, case.first_contact_on) == ("in_visitation", date(2026, 5, 20))
    [met] = events
    assert isinstance(met, DeadlineMet) and met.met_on == date(2026, 5, 20)
    assert case.deadlines[0].status == "met"


def test_a_late_step_the_check_has_not_reported_yet_is_reported_missed_then_met() -> None:
    case, events = transitions.record_first_contact(
        opened_case(), RecordFirstContact(case_id="k1", contacted_on=date(2026, 5, 21)), today=TODAY
    )
    missed, met = events
    assert isinstance(missed, DeadlineMissed) and missed.due == date(2026, 5, 20)
    assert isinstance(met, DeadlineMet) and met.met_on == date(2026, 5, 21)
    assert (case.deadlines[0].status, case.deadlines[0].missed_reported) == ("met", True)


def test_a_late_step_already_reported_missed_is_only_met() -> None:
    case = opened_case()
    [overdue] = deadlines.overdue(case, date(2026, 5, 21))
    deadlines.report_missed(case, overdue)
    _, events = transitions.record_first_contact(
        case, RecordFirstContact(case_id="k1", contacted_on=date(2026, 5, 22)), today=TODAY
    )
    [met] = events
    assert isinstance(met, DeadlineMet) and met.met_on == date(2026, 5, 22)


@pytest.mark.parametrize(
    ("day", "refusal", "why"),
    [
        # Before the case's own distribution: the history sets the window (FAILED_PRECONDITION).
        (date(2026, 5, 7), OutsideWindow, "before the distribution (2026-05-08)"),
        # In the future: wrong whatever the case (INVALID_ARGUMENT).
        (date(2026, 6, 2), InvalidInput, "future"),
    ],
)
def test_first_contact_dates_before_distribution_or_in_the_future_are_refused(
    day: date, refusal: type[InvalidInput | OutsideWindow], why: str
) -> None:
    with pytest.raises((InvalidInput, OutsideWindow)) as caught:
        transitions.record_first_contact(
            opened_case(), RecordFirstContact(case_id="k1", contacted_on=day), today=TODAY
        )
    assert type(caught.value) is refusal
    assert [v.field for v in caught.value.violations] == ["contacted_on"]
    assert why in caught.value.violations[0].description


def test_first_contact_is_recorded_once() -> None:
    with pytest.raises(IllegalTransition):
        transitions.record_first_contact(
            contacted_case(), RecordFirstContact(case_id="k1", contacted_on=TODAY), today=TODAY
        )


def test_the_information_wheel_is_kept_per_area_and_the_input_is_not_changed() -> None:
    case = opened_case()
    first = transitions.record_information(
        case, RecordInformation(case_id="k1", area="basic_facts", text="a"), by="c1", now=NOW
    )
    second = transitions.record_information(
        first, RecordInformation(case_id="k1", area="basic_facts", text="b"), by="c1", now=NOW
    )
    third = transitions.record_information(
        second, RecordInformation(case_id="k1", area="desired_goals", text="c"), by="c1", now=NOW
    )
    assert {a: e.text for a, e in third.information.items()} == {
        "basic_facts": "b",
        "desired_goals": "c",
    }
    assert case.information == {}


def test_the_information_wheel_is_closed_with_the_case() -> None:
    closed, _ = transitions.close_case(
        opened_case(), CloseCase(case_id="k1", kind="citizen_died", reason="r"), today=TODAY
    )
    with pytest.raises(IllegalTransition):
        transitions.record_information(
            closed, RecordInformation(case_id="k1", area="basic_facts", text="a"), by="c", now=NOW
        )


def test_no_decision_before_the_first_contact() -> None:
    with pytest.raises(IllegalTransition):
        transitions.close_with_advice(
            opened_case(), CloseWithAdvice(case_id="k1", reasoning="r"), by="c1", today=TODAY
        )


def test_closed_with_advice_is_a_decision_to_advise_without_complaint_guidance() -> None:
    case, events = transitions.close_with_advice(
        contacted_case(), CloseWithAdvice(case_id="k1", reasoning="Helped."), by="c1", today=TODAY
    )
    assert case.status == "closed_with_advice" and case.decision is not None
    assert case.decision.advice_given and case.decision.complaint_guidance is None
    assert isinstance(events[0], VisitationDecided) and events[0].outcome == "closed_with_advice"


def test_a_referral_is_a_reasoned_refusal_with_complaint_guidance() -> None:
    case, events = transitions.refer_elsewhere(
        contacted_case(),
        ReferElsewhere(case_id="k1", referred_to="DUKH", reasoning="Legal question."),
        by="c1",
        today=TODAY,
        catalog=CATALOG,
    )
    assert case.status == "referred" and case.decision is not None
    assert case.decision.referred_to == "DUKH" and not case.decision.advice_given
    assert case.decision.complaint_guidance == CATALOG.complaint_guidance
    assert isinstance(events[0], VisitationDecided) and events[0].complaint_guidance


def test_outside_scope_records_the_reason_and_complaint_guidance() -> None:
    case, _ = transitions.declare_outside_scope(
        contacted_case(),
        DeclareOutsideScope(case_id="k1", reason="therapy_or_treatment", reasoning="Therapy."),
        by="c1",
        today=TODAY,
        catalog=CATALOG,
    )
    assert case.status == "outside_scope" and case.decision is not None
    assert case.decision.outside_scope_reason == "therapy_or_treatment"
    assert case.decision.complaint_guidance


def test_proceeding_records_the_service_and_may_replace_target_groups_and_age() -> None:
    case = proceeding_case(target_groups=["adhd"], citizen_age_years=12)
    assert (case.status, case.service_id) == ("proceeding", "single_case")
    assert (case.target_groups, case.citizen_age_years) == (["adhd"], 12)
    assert case.decision is not None and case.decision.facts == {"management_approved": True}


def test_a_decided_case_cannot_be_decided_again() -> None:
    with pytest.raises(IllegalTransition):
        transitions.proceed_with_service(
            proceeding_case(), proceed_command(), by="c1", today=TODAY, catalog=CATALOG
        )


@pytest.mark.parametrize("kind", ["consent_withdrawn", "citizen_died", "inquirer_stopped"])
def test_stopping_a_case_cancels_its_deadlines_and_withdraws_open_offers(kind: str) -> None:
    case = accepted()
    closed, events = transitions.close_case(
        case, CloseCase(case_id="k1", kind=kind, reason="Stopped."), today=TODAY
    )
    expected = "consent_withdrawn" if kind == "consent_withdrawn" else "interrupted"
    assert (closed.status, closed.closed_kind, closed.closed_on) == (expected, kind, TODAY)
    assert [o.status for o in closed.offers] == ["withdrawn"]
    assert closed.decision == case.decision and closed.first_contact_on == case.first_contact_on
    cancelled = [e for e in events if isinstance(e, DeadlineCancelled)]
    assert {e.rule for e in cancelled} == {
        "visitation.specialist_contacts_inquirer",
        "visitation.clarifying_meeting_offered",
    }
    with pytest.raises(IllegalTransition):
        transitions.close_case(
            closed, CloseCase(case_id="k1", kind="basis_gone", reason="again"), today=TODAY
        )


def test_an_offer_records_rank_justification_and_the_answer_deadline() -> None:
    case, events = offered(proceeding_case(), "alpha")
    [offer] = case.offers
    assert (offer.rank, offer.top_ranked_supplier_id, offer.status) == (2, "bravo", "offered")
    assert offer.estimated_price_dkk == "19150.00" and offer.justification == "Fits."
    deadline_set = next(e for e in events if isinstance(e, DeadlineSet))
    assert (deadline_set.rule, deadline_set.supplier_id) == ("visitation.supplier_answer", "alpha")
    # Monday 2026-06-01 + 5 working days; 2026-06-05 is Constitution Day (a closing day).
    assert deadline_set.due == date(2026, 6, 9)


def test_offers_need_a_proceeding_case_and_a_service_with_a_supplier() -> None:
    with pytest.raises(IllegalTransition):
        steps.chosen_service(contacted_case(), CATALOG)
    consultant_only = proceeding_case(
        service_id="mini_casework_course",
        facts={"management_informed": True, "citizen_acceptance": True},
        complexity_areas=["complex_case_handling"],
    )
    with pytest.raises(IllegalTransition, match="consultant"):
        steps.chosen_service(consultant_only, CATALOG)


def test_the_same_supplier_is_not_offered_twice_and_ineligible_ones_not_at_all() -> None:
    case, _ = offered(proceeding_case(), "alpha")
    with pytest.raises(IllegalTransition, match="already offered"):
        offered(case, "alpha", "o2")
    adult = proceeding_case(citizen_age_years=40)
    with pytest.raises(IllegalTransition, match="not eligible"):
        offered(adult, "alpha")


def test_a_no_needs_a_reason_and_prompts_the_next_candidate() -> None:
    case, _ = offered(proceeding_case(), "bravo")
    with pytest.raises(InvalidInput) as caught:
        steps.answer_offer(
            case,
            AnswerOffer(offer_id="o1", accept=False, reason="  "),
            principal=Principal("s", "specialist", "bravo"),
            ranking=ranking_for(case),
            today=TODAY,
            calendar=CAL,
            catalog=CATALOG,
            specialists=STAFF,
        )
    assert [v.field for v in caught.value.violations] == ["reason"]
    declined, events = steps.answer_offer(
        case,
        AnswerOffer(offer_id="o1", accept=False, reason="No capacity in June."),
        principal=Principal("s", "specialist", "bravo"),
        ranking=ranking_for(case),
        today=TODAY,
        calendar=CAL,
        catalog=CATALOG,
        specialists=STAFF,
    )
    assert declined.offers[0].status == "declined"
    assert any(isinstance(e, DeadlineMet) for e in events)
    prompt = next(e for e in events if isinstance(e, NextSupplierNeeded))
    assert (prompt.why, prompt.next_supplier_id, prompt.consultant_id) == (
        "declined",
        "alpha",
        "c1",
    )


def test_a_yes_records_the_specialist_and_the_meeting_deadlines() -> None:
    case = accepted()
    [offer] = case.offers
    assert (offer.status, offer.specialist_id) == ("accepted", "spec-a")
    dues = {d.rule: d.due for d in case.deadlines if d.status == "open"}
    assert dues == {
        "visitation.specialist_contacts_inquirer": date(2026, 6, 9),
        "visitation.clarifying_meeting_offered": date(2026, 7, 1),
    }


def test_a_mini_service_also_sets_the_preferred_14_day_meeting_deadline() -> None:
    mini = proceeding_case(
        service_id="mini_single_case",
        inquirer_role="ppr",
        facts={"other_party_informed": True},
    )
    case = mini
    contract = terms(groups=GROUPS, services=("mini_single_case",))
    ranking = rank_suppliers(
        [supplier("alpha", [contract])],
        steps.need_of(case, steps.chosen_service(case, CATALOG), TODAY),
        steps.price_estimate(Estimate(), CATALOG),
    )
    with_offer, _ = steps.offer_to_supplier(
        case,
        OfferToSupplier(case_id="k1", supplier_id="alpha", justification="Only one."),
        ranking=ranking,
        offer_id="o1",
        by="c1",
        today=TODAY,
        calendar=CAL,
        catalog=CATALOG,
    )
    yes, _ = steps.answer_offer(
        with_offer,
        AnswerOffer(offer_id="o1", accept=True),
        principal=SPECIALIST_A,
        ranking=ranking,
        today=TODAY,
        calendar=CAL,
        catalog=CATALOG,
        specialists=STAFF,
    )
    preferred = next(d for d in yes.deadlines if d.rule == deadlines.PREFERRED_MEETING_RULE_ID)
    assert preferred.due == date(2026, 6, 15)


def test_a_supplier_admin_names_the_specialist_on_yes() -> None:
    case, _ = offered(proceeding_case(), "alpha")
    with pytest.raises(InvalidInput) as caught:
        steps.answer_offer(
            case,
            AnswerOffer(offer_id="o1", accept=True),
            principal=ADMIN_A,
            ranking=ranking_for(case),
            today=TODAY,
            calendar=CAL,
            catalog=CATALOG,
            specialists=STAFF,
        )
    assert [v.field for v in caught.value.violations] == ["specialist_id"]


def test_a_yes_naming_someone_who_is_not_the_suppliers_specialist_is_refused() -> None:
    case, _ = offered(proceeding_case(), "alpha")
    with pytest.raises(InvalidInput) as caught:
        answer(
            case, AnswerOffer(offer_id="o1", accept=True, specialist_id="spec-of-bravo"), ADMIN_A
        )
    assert [v.field for v in caught.value.violations] == ["specialist_id"]
    assert case.offers[0].status == "offered" and case.offers[0].specialist_id is None


def test_a_supplier_admin_may_name_any_of_the_suppliers_specialists() -> None:
    case, _ = offered(proceeding_case(), "alpha")
    yes, _ = answer(case, AnswerOffer(offer_id="o1", accept=True, specialist_id="spec-a2"), ADMIN_A)
    assert (yes.offers[0].status, yes.offers[0].specialist_id) == ("accepted", "spec-a2")


def test_a_named_specialist_is_not_checked_while_leverance_has_announced_none() -> None:
    case, _ = offered(proceeding_case(), "bravo")
    admin_b = Principal("admin-b", "supplier_admin", "bravo")
    yes, _ = answer(case, AnswerOffer(offer_id="o1", accept=True, specialist_id="anyone"), admin_b)
    assert yes.offers[0].specialist_id == "anyone"


def test_an_offer_naming_someone_who_is_not_the_suppliers_specialist_is_refused() -> None:
    case = proceeding_case()
    staffed = [
        s.model_copy(update={"specialist_ids": ["spec-a"]}) if s.id == "alpha" else s
        for s in SUPPLIERS
    ]
    command = OfferToSupplier(
        case_id=case.id, supplier_id="alpha", justification="Fits.", specialist_id="spec-z"
    )
    with pytest.raises(InvalidInput) as caught:
        steps.offer_to_supplier(
            case,
            command,
            ranking=ranking_for(case, staffed),
            offer_id="o1",
            by="c1",
            today=TODAY,
            calendar=CAL,
            catalog=CATALOG,
        )
    assert [v.field for v in caught.value.violations] == ["specialist_id"]
    assert case.offers == []


def test_an_offer_is_answered_once() -> None:
    with pytest.raises(IllegalTransition):
        steps.answer_offer(
            accepted(),
            AnswerOffer(offer_id="o1", accept=False, reason="changed our mind"),
            principal=SPECIALIST_A,
            ranking=ranking_for(accepted()),
            today=TODAY,
            calendar=CAL,
            catalog=CATALOG,
            specialists=STAFF,
        )


def test_booking_meets_the_contact_and_meeting_offer_deadlines() -> None:
    case = booked()
    [offer] = case.offers
    assert (offer.status, offer.meeting_on) == ("meeting_booked", date(2026, 6, 10))
    statuses = {d.rule: d.status for d in case.deadlines}
    assert statuses["visitation.specialist_contacts_inquirer"] == "met"
    assert statuses["visitation.clarifying_meeting_offered"] == "met"


def test_a_meeting_cannot_be_booked_before_the_contact_or_without_acceptance() -> None:
    with pytest.raises(InvalidInput):
        meeting_steps.record_inquirer_contact(
            accepted(),
            RecordInquirerContact(offer_id="o1", contacted_on=TODAY, meeting_on=date(2026, 5, 1)),
            today=TODAY,
        )
    case, _ = offered(proceeding_case(), "alpha")
    with pytest.raises(IllegalTransition):
        meeting_steps.record_inquirer_contact(
            case,
            RecordInquirerContact(offer_id="o1", contacted_on=TODAY, meeting_on=TODAY),
            today=TODAY,
        )


def test_a_contact_dated_before_the_acceptance_is_a_failed_precondition() -> None:
    # The offer was accepted on TODAY: an earlier contact does not fit this case's history.
    early = TODAY - timedelta(days=1)
    with pytest.raises(OutsideWindow) as caught:
        meeting_steps.record_inquirer_contact(
            accepted(),
            RecordInquirerContact(offer_id="o1", contacted_on=early, meeting_on=TODAY),
            today=TODAY,
        )
    assert [v.field for v in caught.value.violations] == ["contacted_on"]
    assert f"before the acceptance ({TODAY.isoformat()})" in str(caught.value)


def test_a_meeting_before_the_contact_in_the_same_request_is_invalid_whatever_the_case() -> None:
    with pytest.raises(InvalidInput) as caught:
        meeting_steps.record_inquirer_contact(
            accepted(),
            RecordInquirerContact(
                offer_id="o1", contacted_on=TODAY, meeting_on=TODAY - timedelta(days=1)
            ),
            today=TODAY,
        )
    assert [v.field for v in caught.value.violations] == ["meeting_on"]


def test_a_meeting_held_before_its_booking_contact_is_a_failed_precondition() -> None:
    with pytest.raises(OutsideWindow) as caught:
        held(meeting(held_on=TODAY - timedelta(days=1)))
    assert [v.field for v in caught.value.violations] == ["held_on"]
    assert f"before the booking contact ({TODAY.isoformat()})" in str(caught.value)
    # Wrong whatever the case as well (no reason for the citizen's absence): INVALID_ARGUMENT.
    with pytest.raises(InvalidInput) as invalid:
        held(meeting(held_on=TODAY - timedelta(days=1), citizen_attended=False))
    assert [v.field for v in invalid.value.violations] == ["citizen_absence_reason"]


def test_a_summary_note_sent_before_the_clarifying_meeting_is_a_failed_precondition() -> None:
    case, _ = held()
    with pytest.raises(OutsideWindow) as caught:
        meeting_steps.record_summary_note(
            case,
            RecordSummaryNote(offer_id="o1", sent_on=TODAY - timedelta(days=1), note="Goals."),
            today=TODAY,
            now=NOW,
            by=SPECIALIST_A,
        )
    assert [v.field for v in caught.value.violations] == ["sent_on"]
    assert f"before the clarifying meeting ({TODAY.isoformat()})" in str(caught.value)


def test_the_held_meeting_hands_over_to_leverance_with_the_summary_note_deadline() -> None:
    case, events = held()
    assert case.status == "handed_over" and case.offers[0].status == "handed_over"
    note = next(e for e in events if isinstance(e, DeadlineSet))
    assert (note.rule, note.due) == ("visitation.summary_note", date(2026, 6, 9))
    handed = next(e for e in events if isinstance(e, CaseHandedToLeverance))
    assert (handed.supplier_id, handed.specialist_id, handed.service) == (
        "alpha",
        "spec-a",
        "single_case",
    )
    assert (handed.summary_note_due, handed.course_max_months) == (date(2026, 6, 9), 8)
    assert (handed.high_conflict, handed.press_attention) == (False, False)


def test_the_hand_over_tells_leverance_of_high_conflict_and_press_attention() -> None:
    facts = {"management_approved": True, "high_conflict": True, "press_attention": True}
    with_offer, _ = offered(proceeding_case(facts=facts))
    answered, _ = answer(with_offer, AnswerOffer(offer_id="o1", accept=True), SPECIALIST_A)
    booked_case, _ = meeting_steps.record_inquirer_contact(
        answered,
        RecordInquirerContact(offer_id="o1", contacted_on=TODAY, meeting_on=TODAY),
        today=TODAY,
    )
    _, events = meeting_steps.record_clarifying_meeting(
        booked_case, meeting(), today=TODAY, now=NOW, by="spec-a", calendar=CAL, catalog=CATALOG
    )
    handed = next(e for e in events if isinstance(e, CaseHandedToLeverance))
    assert (handed.high_conflict, handed.press_attention) == (True, True)


def test_an_absent_citizen_needs_a_reason() -> None:
    with pytest.raises(InvalidInput) as caught:
        held(meeting(citizen_attended=False))
    assert [v.field for v in caught.value.violations] == ["citizen_absence_reason"]
    case, _ = held(meeting(citizen_attended=False, citizen_absence_reason="In hospital."))
    assert case.offers[0].citizen_absence_reason == "In hospital."


def test_outside_scope_at_the_meeting_closes_the_case_instead() -> None:
    case, events = held(meeting(outside_scope_reason="They want a treatment course."))
    assert case.status == "outside_scope" and case.offers[0].status == "outside_scope"
    assert case.decision is not None and case.decision.complaint_guidance
    assert not any(isinstance(e, CaseHandedToLeverance) for e in events)


def test_the_summary_note_meets_its_deadline_once_and_is_announced_for_journaling() -> None:
    case, _ = held()
    noted, events = meeting_steps.record_summary_note(
        case,
        RecordSummaryNote(offer_id="o1", sent_on=TODAY, note="Goals."),
        today=TODAY,
        now=NOW,
        by=SPECIALIST_A,
    )
    met, sent = events
    assert isinstance(met, DeadlineMet) and met.rule == "visitation.summary_note"
    assert isinstance(sent, SummaryNoteSent)
    assert (sent.case_id, sent.offer_id, sent.supplier_id, sent.specialist_id) == (
        case.id,
        "o1",
        "alpha",
        "spec-a",
    )
    assert (sent.sent_on, sent.recorded_by, sent.recorded_by_role) == (
        TODAY,
        "spec-a",
        "specialist",
    )
    assert sent.sent_to == [case.inquirer_name or "henvender"] and all(sent.sent_to)
    with pytest.raises(IllegalTransition):
        meeting_steps.record_summary_note(
            noted,
            RecordSummaryNote(offer_id="o1", sent_on=TODAY, note="again"),
            today=TODAY,
            now=NOW,
            by=SPECIALIST_A,
        )


def test_several_suppliers_may_be_offered_the_same_case() -> None:
    case, _ = offered(proceeding_case(), "bravo", "o1")
    case, _ = offered(case, "alpha", "o2")
    assert [(o.supplier_id, o.rank) for o in case.offers] == [("bravo", 1), ("alpha", 1)]


def test_overdue_deadlines_are_reported_missed_once_and_an_unanswered_offer_expires() -> None:
    case, _ = offered(proceeding_case(), "bravo")
    later = date(2026, 6, 10)
    overdue = deadlines.overdue(case, later)
    assert [d.rule for d in overdue] == ["visitation.supplier_answer"]
    missed = deadlines.report_missed(case, overdue[0])
    assert isinstance(missed, DeadlineMissed) and missed.due == date(2026, 6, 9)
    assert deadlines.overdue(case, later) == []
    expired, events = steps.expire_offer(case, "o1", ranking_for(case))
    assert expired.offers[0].status == "expired"
    [prompt] = events
    assert isinstance(prompt, NextSupplierNeeded) and prompt.why == "expired"
    assert prompt.next_supplier_id == "alpha"


def test_a_deadline_due_today_is_not_yet_missed() -> None:
    assert deadlines.overdue(opened_case(), date(2026, 5, 20)) == []
    assert len(deadlines.overdue(opened_case(), date(2026, 5, 21))) == 1


def test_suppliers_see_only_their_own_part_of_a_case() -> None:
    case, _ = offered(proceeding_case(), "bravo", "o1")
    case, _ = offered(case, "alpha", "o2")
    alpha = Principal("a", "specialist", "alpha")
    other = Principal("x", "specialist", "zulu")
    assert visibility.visible_to(case, alpha) and not visibility.visible_to(case, other)
    assert visibility.visible_to(case, Principal("c", "consultant"))
    view = visibility.view_for(case, alpha)
    assert [o.offer_id for o in view.offers] == ["o2"]
    assert {d.offer_id for d in view.deadlines} == {"o2"} and view.decision is None
    assert (view.offers[0].top_ranked_supplier_id, view.offers[0].justification) == ("", "")
    kept = visibility.view_for(case, Principal("c", "consultant")).offers[1]
    assert (kept.top_ranked_supplier_id, kept.justification) == ("alpha", "Fits.")


def test_the_specialist_the_case_was_discussed_with_is_responsible_for_the_answer() -> None:
    case = proceeding_case()
    command = OfferToSupplier(
        case_id=case.id, supplier_id="alpha", justification="Discussed.", specialist_id="spec-a"
    )
    changed, events = steps.offer_to_supplier(
        case,
        command,
        ranking=ranking_for(case),
        offer_id="o1",
        by="c1",
        today=TODAY,
        calendar=CAL,
        catalog=CATALOG,
    )
    assert changed.offers[0].contact_specialist_id == "spec-a"
    deadline_set = next(e for e in events if isinstance(e, DeadlineSet))
    assert (deadline_set.responsible_user_id, deadline_set.supplier_id) == ("spec-a", "alpha")


def test_a_deadline_moves_to_an_agreed_working_day_and_may_be_missed_again() -> None:
    case = opened_case()
    later = date(2026, 5, 21)
    [overdue] = deadlines.overdue(case, later)
    deadlines.report_missed(case, overdue)
    moved, events = transitions.move_deadline(
        case,
        MoveDeadline(
            case_id="k1",
            deadline_id="k1/visitation.first_contact",
            new_due=date(2026, 5, 26),
            reason="The inquirer is away until then.",
        ),
        by="c1",
        today=later,
        calendar=CAL,
    )
    [changed] = events
    assert isinstance(changed, DeadlineChanged)
    assert (changed.previous_due, changed.due) == (date(2026, 5, 20), date(2026, 5, 26))
    assert "moved from 2026-05-20 to 2026-05-26" in changed.explanation
    [deadline] = moved.deadlines
    assert (deadline.status, deadline.missed_reported) == ("open", False)
    assert deadlines.overdue(moved, date(2026, 5, 27)) == [deadline]
    assert case.deadlines[0].status == "missed"


def move_first_contact(
    case: VisitationCase, new_due: date, *, today: date
) -> tuple[VisitationCase, Events]:
    command = MoveDeadline(
        case_id="k1", deadline_id="k1/visitation.first_contact", new_due=new_due, reason="r"
    )
    return transitions.move_deadline(case, command, by="c1", today=today, calendar=CAL)


@pytest.mark.parametrize(
    ("new_due", "message"),
    [(date(2026, 5, 25), "Pentecost Monday"), (date(2026, 5, 19), "today or later")],
)
def test_a_deadline_cannot_move_to_a_closed_day_or_the_past(new_due: date, message: str) -> None:
    with pytest.raises(InvalidInput, match="new_due") as caught:
        move_first_contact(opened_case(), new_due, today=date(2026, 5, 21))
    assert message in caught.value.violations[0].description


def test_a_deadline_moved_to_the_day_it_is_already_due_is_a_failed_precondition() -> None:
    with pytest.raises(OutsideWindow, match="2026-05-20 is already its due date") as caught:
        move_first_contact(opened_case(), date(2026, 5, 20), today=date(2026, 5, 19))
    assert [v.field for v in caught.value.violations] == ["new_due"]


def test_a_met_deadline_does_not_move() -> None:
    with pytest.raises(IllegalTransition):
        move_first_contact(contacted_case(), date(2026, 6, 2), today=TODAY)


def test_offer_steps_out_of_order_are_refused() -> None:
    just_offered, _ = offered(proceeding_case())
    with pytest.raises(IllegalTransition, match="offer o1 is offered"):
        meeting_steps.record_clarifying_meeting(
            just_offered, meeting(), today=TODAY, now=NOW, by="s", calendar=CAL, catalog=CATALOG
        )
    with pytest.raises(IllegalTransition, match="handed_over"):
        meeting_steps.record_summary_note(
            booked(),
            RecordSummaryNote(offer_id="o1", sent_on=TODAY, note="n"),
            today=TODAY,
            now=NOW,
            by=SPECIALIST_A,
        )
    stopped, _ = transitions.close_case(
        just_offered, CloseCase(case_id="k1", kind="basis_gone", reason="r"), today=TODAY
    )
    with pytest.raises(IllegalTransition, match="is interrupted"):
        steps.answer_offer(
            stopped,
            AnswerOffer(offer_id="o1", accept=True),
            principal=SPECIALIST_A,
            ranking=ranking_for(just_offered),
            today=TODAY,
            calendar=CAL,
            catalog=CATALOG,
            specialists=STAFF,
        )
    with pytest.raises(NotFound):
        meeting_steps.record_inquirer_contact(
            accepted(),
            RecordInquirerContact(offer_id="nope", contacted_on=TODAY, meeting_on=TODAY),
            today=TODAY,
        )


def _book(case: VisitationCase, meeting_on: date) -> tuple[VisitationCase, Events]:
    return meeting_steps.record_inquirer_contact(
        case,
        RecordInquirerContact(offer_id="o1", contacted_on=TODAY, meeting_on=meeting_on),
        today=TODAY,
    )


def _offered_by(case: VisitationCase) -> tuple[str, date | None]:
    [deadline] = [d for d in case.deadlines if d.rule == "visitation.clarifying_meeting_offered"]
    return deadline.status, deadline.met_on


def test_a_meeting_on_the_thirtieth_day_after_acceptance_is_offered_in_time() -> None:
    case = accepted()  # accepted Monday 2026-06-01: the meeting is offered by 2026-07-01
    booked_case, events = _book(case, date(2026, 7, 1))
    assert _offered_by(booked_case) == ("met", TODAY)
    assert "visitation.clarifying_meeting_offered" in {
        e.rule for e in events if isinstance(e, DeadlineMet)
    }


def test_a_meeting_booked_later_than_30_days_does_not_meet_the_deadline() -> None:
    booked_case, events = _book(accepted(), date(2026, 7, 2))
    assert _offered_by(booked_case) == ("open", None)
    assert [e.rule for e in events if isinstance(e, DeadlineMet)] == [
        "visitation.specialist_contacts_inquirer"
    ]
    overdue = deadlines.overdue(booked_case, date(2026, 7, 2))
    assert [d.rule for d in overdue] == ["visitation.clarifying_meeting_offered"]
    deadlines.report_missed(booked_case, overdue[0])
    held_case, held_events = meeting_steps.record_clarifying_meeting(
        booked_case,
        meeting(held_on=date(2026, 7, 2)),
        today=date(2026, 7, 2),
        now=NOW,
        by="spec-a",
        calendar=CAL,
        catalog=CATALOG,
    )
    assert _offered_by(held_case) == ("met", date(2026, 7, 2))
    [late] = [e for e in held_events if isinstance(e, DeadlineMet) and e.rule.endswith("offered")]
    assert (late.due, late.met_on) == (date(2026, 7, 1), date(2026, 7, 2))


def test_a_later_meeting_agreed_by_moving_the_deadline_first_is_in_time() -> None:
    case = accepted()
    moved, _ = transitions.move_deadline(
        case,
        MoveDeadline(
            case_id=case.id,
            deadline_id=f"{case.id}/o1/visitation.clarifying_meeting_offered",
            new_due=date(2026, 7, 6),
            reason="The parents are away until July.",
        ),
        by="c1",
        today=TODAY,
        calendar=CAL,
    )
    booked_case, _ = _book(moved, date(2026, 7, 6))
    assert _offered_by(booked_case) == ("met", TODAY)
