"""The supplier feed's curation rules: which internal events reach a supplier's feed, and that
nothing forbidden does (CPR numbers, citizen names, other suppliers, rankings, free text)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.contracts import supplier_feed
from services.contracts.deadlines import (
    DeadlineCancelled,
    DeadlineChanged,
    DeadlineMet,
    DeadlineMissed,
    DeadlineSet,
)
from services.contracts.leverance import (
    ConsumptionLogged,
    ConsumptionReviewed,
    CourseStarted,
    DeliveryAgreementApproved,
    DeliveryAgreementProposed,
    DeliveryAgreementReturned,
    HighPriceDecided,
    SettlementCreated,
)
from services.contracts.visitation import (
    CaseHandedToLeverance,
    NextSupplierNeeded,
    OfferAnswered,
    SupplierOffered,
)
from services.kernel.envelope import EventPayload
from services.notifications.supplier_feed.rules import RULES, curate

NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)
CPR = "010190-1234"
CITIZEN = "Anna Jensen"
OTHER = "bravo-supplier"
POISON = f"{CITIZEN} ({CPR}) - ranked above {OTHER}"
"""Free text as a consultant or specialist might type it: in no feed event."""

DEADLINE = {
    "deadline_id": "k1/o1/visitation.supplier_answer",
    "case_id": "k1",
    "rule": "visitation.supplier_answer",
    "rule_text": "the supplier answers the offer yes or no",
    "start": date(2026, 5, 21),
    "due": date(2026, 5, 28),
    "explanation": "5 working days after Thursday 2026-05-21 is Thursday 2026-05-28",
    "responsible_role": "specialist",
    "responsible_user_id": None,
    "supplier_id": "alpha",
    "consultant_id": "consultant-1",
    "notify_user_ids": ["spec-a", "spec-b", "spec-a"],
}
PART = {"case_id": "k1", "delivery_id": "d1", "supplier_id": "alpha"}


def internal_events() -> list[EventPayload]:
    """One internal event of every type a rule reads, with poison wherever text may go."""
    return [
        SupplierOffered(
            case_id="k1",
            offer_id="o1",
            supplier_id="alpha",
            service_id="single_case",
            rank=2,
            justification=POISON,
            answer_due=date(2026, 5, 28),
            consultant_id="consultant-1",
            notify_user_ids=["spec-a"],
        ),
        CaseHandedToLeverance(
            case_id="k1",
            inquiry_id="inquiry-1",
            supplier_id="alpha",
            specialist_id="spec-a",
            consultant_id="consultant-1",
            main_area="children_youth",
            service="single_case",
            clarifying_meeting_on=date(2026, 6, 1),
            summary_note_due=date(2026, 6, 8),
            handed_at=NOW,
            offer_id="o1",
            course_max_months=8,
            citizen_attended=False,
        ),
        DeliveryAgreementReturned(
            **PART,
            version=1,
            objections=POISON,
            returned_by="consultant-1",
            by_role="consultant",
            specialist_id="spec-a",
        ),
        DeliveryAgreementApproved(
            **PART, version=2, change=False, total_dkk=Decimal("20400.00"), approved_at=NOW
        ),
        ConsumptionReviewed(**PART, entry_ids=["e1", "e2"], approved=True),
        ConsumptionReviewed(**PART, entry_ids=["e3"], approved=False, reason=POISON),
        SettlementCreated(
            settlement_id="alpha:2026-05",
            supplier_id="alpha",
            month="2026-05",
            total_dkk=Decimal("2170.41"),
            entries=4,
            created_at=NOW,
        ),
        DeadlineSet(**DEADLINE),
        DeadlineChanged(**DEADLINE, previous_due=date(2026, 5, 27), reason=POISON),
        DeadlineMet(**DEADLINE, met_on=date(2026, 5, 22)),
        DeadlineMissed(**DEADLINE),
        DeadlineCancelled(**DEADLINE, reason=POISON),
    ]


def feed_of(event: EventPayload) -> Any:
    return curate(event.event_type, event.model_dump(mode="json"))


def test_every_rule_is_exercised() -> None:
    assert {e.event_type for e in internal_events()} == set(RULES)


@pytest.mark.parametrize("event", internal_events(), ids=lambda e: e.event_type)
def test_a_feed_event_names_its_own_supplier_and_carries_no_cpr_name_rival_or_free_text(
    event: EventPayload,
) -> None:
    fed = feed_of(event)
    assert fed is not None and fed.supplier_id == "alpha"
    text = json.dumps(fed.model_dump(mode="json"))
    for forbidden in (CPR, CPR.replace("-", ""), CITIZEN, OTHER, "consultant-1", "inquiry-1"):
        assert forbidden not in text
    assert fed.subject() in ("k1", "alpha:2026-05")


def test_an_offer_keeps_ids_service_deadline_and_the_suppliers_own_specialists() -> None:
    [offered] = [e for e in internal_events() if isinstance(e, SupplierOffered)]
    fed = feed_of(offered)
    assert fed == supplier_feed.OfferReceived(
        supplier_id="alpha",
        case_id="k1",
        offer_id="o1",
        service_id="single_case",
        answer_due=date(2026, 5, 28),
        specialist_ids=["spec-a"],
    )
    assert "rank" not in fed.model_dump() and "justification" not in fed.model_dump()


def test_a_review_is_an_approval_or_a_rejection_without_its_reason() -> None:
    reviews = [feed_of(e) for e in internal_events() if isinstance(e, ConsumptionReviewed)]
    assert [(type(r).__name__, r.entry_ids) for r in reviews] == [
        ("ConsumptionApproved", ["e1", "e2"]),
        ("ConsumptionRejected", ["e3"]),
    ]


def test_money_stays_an_exact_decimal_string() -> None:
    [approved] = [e for e in internal_events() if isinstance(e, DeliveryAgreementApproved)]
    assert feed_of(approved).model_dump(mode="json")["total_dkk"] == "20400.00"


def test_each_deadline_event_becomes_one_update_with_its_status() -> None:
    updates = [feed_of(e) for e in internal_events() if e.event_type.startswith("Deadline")]
    assert [(u.status, u.due, u.previous_due, u.met_on) for u in updates] == [
        ("set", date(2026, 5, 28), None, None),
        ("changed", date(2026, 5, 28), date(2026, 5, 27), None),
        ("met", date(2026, 5, 28), None, date(2026, 5, 22)),
        ("missed", date(2026, 5, 28), None, None),
        ("cancelled", date(2026, 5, 28), None, None),
    ]
    assert {tuple(u.specialist_ids) for u in updates} == {("spec-a", "spec-b")}


def test_a_deadline_names_the_responsible_specialist_when_there_is_one() -> None:
    fed = feed_of(DeadlineSet(**{**DEADLINE, "responsible_user_id": "spec-b"}))
    assert fed.specialist_ids == ["spec-b"]


@pytest.mark.parametrize(
    "change",
    [
        {"responsible_role": "consultant", "responsible_user_id": "consultant-1"},
        {"responsible_role": "manager"},
        {"supplier_id": None},
        {"supplier_id": ""},
    ],
)
def test_a_deadline_no_supplier_must_meet_reaches_no_feed(change: dict[str, Any]) -> None:
    assert feed_of(DeadlineSet(**{**DEADLINE, **change})) is None


@pytest.mark.parametrize(
    "event",
    [
        OfferAnswered(
            case_id="k1",
            offer_id="o1",
            supplier_id="alpha",
            accepted=False,
            reason=POISON,
            answered_on=date(2026, 5, 22),
        ),
        NextSupplierNeeded(
            case_id="k1",
            offer_id="o1",
            consultant_id="consultant-1",
            previous_supplier_id="alpha",
            why="declined",
            next_supplier_id=OTHER,
        ),
        CourseStarted(
            case_id="k1",
            inquiry_id="inquiry-1",
            service="single_case",
            supplier_ids=["alpha", OTHER],
            coordinator_supplier_id="alpha",
            started_at=NOW,
        ),
        DeliveryAgreementProposed(
            **PART,
            version=1,
            change=False,
            total_dkk=Decimal(1),
            consultant_id="consultant-1",
            proposed_by="spec-a",
        ),
        HighPriceDecided(
            **PART,
            version=1,
            approved=True,
            total_dkk=Decimal(1),
            consultant_id="consultant-1",
            manager_id="manager-1",
            decided_at=NOW,
        ),
        ConsumptionLogged(
            **PART, entry_id="e1", activity_id="a1", worked_on=NOW.date(), amount_dkk=Decimal(1)
        ),
    ],
    ids=lambda e: e.event_type,
)
def test_events_about_rivals_or_viso_internals_reach_no_feed(event: EventPayload) -> None:
    assert feed_of(event) is None


ALLOWED_FIELDS = {
    "supplier_id",
    "case_id",
    "delivery_id",
    "offer_id",
    "settlement_id",
    "deadline_id",
    "entry_ids",
    "service_id",
    "service",
    "main_area",
    "specialist_id",
    "specialist_ids",
    "answer_due",
    "clarifying_meeting_on",
    "summary_note_due",
    "course_max_months",
    "version",
    "change",
    "returned_by_role",
    "total_dkk",
    "approved_at",
    "month",
    "entries",
    "created_at",
    "status",
    "rule",
    "rule_text",
    "start",
    "due",
    "previous_due",
    "met_on",
}
"""What a feed event may hold: ids, codes, dates and amounts of the supplier's own business.
A new field is a decision about what suppliers may see: add it here only with that decision."""


@pytest.mark.parametrize("model", supplier_feed.FEED_EVENTS, ids=lambda m: m.event_type)
def test_a_feed_event_has_only_fields_a_supplier_may_see(model: type[EventPayload]) -> None:
    assert set(model.model_fields) <= ALLOWED_FIELDS
    assert model.model_fields["supplier_id"].is_required()


def test_feed_event_types_are_their_own_and_the_module_declares_its_channel() -> None:
    internal = {e.event_type for e in internal_events()}
    assert not {m.event_type for m in supplier_feed.FEED_EVENTS} & internal
    assert supplier_feed.PRODUCER == "notifications"
    assert supplier_feed.TOPIC_TEMPLATE.format(supplier_id="s-7") == "vias.supplier.s-7.v1"
