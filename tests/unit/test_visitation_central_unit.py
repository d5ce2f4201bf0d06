"""Courses the central unit runs itself (H 3.2, 3.11, 3.12): no supplier, handed to leverance
after the clarifying meeting with the consultant or a named VISO colleague delivering."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from services.contracts.deadlines import DeadlineCancelled
from services.contracts.visitation import CaseHandedToCentralUnit
from services.kernel.errors import IllegalTransition, InvalidInput, OutsideWindow
from services.visitation.commands import RecordCentralClarifyingMeeting, RecordFirstContact
from services.visitation.domain import case as transitions
from services.visitation.domain import offers as steps
from services.visitation.domain.central import record_central_clarifying_meeting
from services.visitation.domain.model import Offer, VisitationCase
from tests.unit.visitation_fixtures import (
    CAL,
    CATALOG,
    NOW,
    TODAY,
    assigned,
    proceed_command,
    proceeding_case,
)

CASEWORK = {
    "service_id": "casework_course",
    "facts": {"management_approved": True, "citizen_acceptance": True},
    "complexity_areas": ["complex_case_handling"],
}


def meeting(**fields: Any) -> RecordCentralClarifyingMeeting:
    values: dict[str, Any] = {"case_id": "k1", "held_on": TODAY, "citizen_attended": True}
    return RecordCentralClarifyingMeeting.model_validate({**values, **fields})


def hand_over(
    case: VisitationCase, command: RecordCentralClarifyingMeeting | None = None
) -> tuple[VisitationCase, list[Any]]:
    return record_central_clarifying_meeting(
        case, command or meeting(), today=TODAY, now=NOW, by="c1", catalog=CATALOG
    )


def test_the_consultant_delivers_a_casework_course_and_leverance_is_told() -> None:
    case, events = hand_over(proceeding_case(**CASEWORK))
    assert case.status == "handed_over" and case.central_unit is not None
    assert (case.central_unit.delivered_by, case.central_unit.clarifying_meeting_on) == (
        "c1",
        TODAY,
    )
    [handed] = events
    assert isinstance(handed, CaseHandedToCentralUnit)
    assert (handed.service, handed.delivered_by, handed.course_max_months) == (
        "casework_course",
        "c1",
        8,
    )


def test_the_central_hand_over_carries_the_press_attention_fact() -> None:
    facts = {"management_approved": True, "citizen_acceptance": True, "press_attention": True}
    _, [handed] = hand_over(proceeding_case(**{**CASEWORK, "facts": facts}))
    assert (handed.press_attention, handed.high_conflict) == (True, False)


def test_a_named_viso_colleague_may_deliver_a_mini_casework_course() -> None:
    case = proceeding_case(
        service_id="mini_casework_course",
        facts={"management_informed": True, "citizen_acceptance": True},
        complexity_areas=["complex_case_handling"],
    )
    changed, [handed] = hand_over(case, meeting(delivered_by="viso-specialist-3"))
    assert changed.central_unit is not None
    assert changed.central_unit.delivered_by == handed.delivered_by == "viso-specialist-3"
    assert handed.course_max_months == 4


def test_a_service_a_supplier_delivers_is_not_taken_by_the_central_unit() -> None:
    with pytest.raises(IllegalTransition, match="offer it to a supplier"):
        hand_over(proceeding_case())


def test_only_a_proceeding_case_is_handed_over_and_only_once() -> None:
    case, _ = hand_over(proceeding_case(**CASEWORK))
    with pytest.raises(IllegalTransition, match="handed_over"):
        hand_over(case)


def test_an_absent_citizen_needs_a_reason_and_a_meeting_cannot_be_in_the_future() -> None:
    case = proceeding_case(**CASEWORK)
    with pytest.raises(InvalidInput) as caught:
        hand_over(case, meeting(citizen_attended=False))
    assert caught.value.violations[0].field == "citizen_absence_reason"
    with pytest.raises(InvalidInput) as caught:
        hand_over(case, meeting(held_on=TODAY + timedelta(days=1)))
    assert caught.value.violations[0].field == "held_on"
    absent, [handed] = hand_over(
        case, meeting(citizen_attended=False, citizen_absence_reason="Syg")
    )
    assert handed.citizen_attended is False
    assert absent.central_unit is not None and absent.central_unit.citizen_absence_reason == "Syg"


def test_a_meeting_before_the_decision_is_refused_by_the_history() -> None:
    with pytest.raises(OutsideWindow, match="before the decision") as caught:
        hand_over(proceeding_case(**CASEWORK), meeting(held_on=date(2026, 5, 20)))
    assert [v.field for v in caught.value.violations] == ["held_on"]


def extended_phone_advice() -> VisitationCase:
    opened, _ = transitions.open_assigned_case(
        assigned(requested_service="phone_extended", citizen_age_years=None),
        case_id="k1",
        now=NOW,
        calendar=CAL,
    )
    contacted, _ = transitions.record_first_contact(
        opened, RecordFirstContact(case_id="k1", contacted_on=date(2026, 5, 19)), today=TODAY
    )
    command = proceed_command(
        service_id="phone_extended",
        inquirer_role="professional",
        subject="anonymous",
        facts={"identifies_citizen": False},
    )
    case, _ = transitions.proceed_with_service(
        contacted, command, by="c1", today=TODAY, catalog=CATALOG
    )
    return case


def test_extended_phone_advice_the_consultant_gives_needs_no_supplier_contact() -> None:
    changed, events = hand_over(extended_phone_advice())
    cancelled = [e for e in events if isinstance(e, DeadlineCancelled)]
    assert [e.rule for e in cancelled] == ["visitation.phone_extended_supplier_contact"]
    assert [d.status for d in changed.deadlines if d.rule == cancelled[0].rule] == ["cancelled"]


def test_a_course_the_central_unit_runs_is_offered_to_no_supplier_afterwards() -> None:
    case, _ = hand_over(extended_phone_advice())
    with pytest.raises(IllegalTransition, match="central unit runs"):
        steps.chosen_service(case, CATALOG)


def test_the_central_unit_takes_extended_phone_advice_only_with_no_offer_open() -> None:
    case = extended_phone_advice()
    case.offers.append(
        Offer(
            offer_id="o1",
            supplier_id="alpha",
            supplier_name="Alpha",
            status="offered",
            rank=1,
            top_ranked_supplier_id="alpha",
            justification="Fits.",
            estimated_price_dkk="100.00",
            offered_on=TODAY,
            offered_by="c1",
        )
    )
    with pytest.raises(IllegalTransition, match="still open"):
        hand_over(case)
