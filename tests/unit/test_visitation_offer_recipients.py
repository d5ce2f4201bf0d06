"""Who hears of an offer: the named specialist, else every specialist the supplier lists."""

from __future__ import annotations

from datetime import UTC, datetime

from services.contracts.deadlines import DeadlineSet
from services.contracts.leverance import SupplierProfileChanged
from services.contracts.visitation import SupplierOffered
from services.notifications.deadlines import (
    escalation_notices,
    offer_notices,
    reminder_notices,
)
from services.visitation.commands import Estimate, OfferToSupplier
from services.visitation.domain import deadlines
from services.visitation.domain import offers as steps
from services.visitation.domain.case import Events
from services.visitation.domain.model import VisitationCase
from services.visitation.domain.suppliers import (
    SupplierProfile,
    profile_from_event,
    rank_suppliers,
)
from tests.unit.visitation_fixtures import CAL, CATALOG, TODAY, proceeding_case, supplier, terms

GROUPS = ["autism_spectrum", "anxiety"]
NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)


def alpha(specialists: list[str]) -> list[SupplierProfile]:
    profile = supplier("alpha", [terms(groups=GROUPS)])
    return [profile.model_copy(update={"specialist_ids": specialists})]


def offer(specialists: list[str], named: str = "") -> tuple[VisitationCase, Events]:
    case = proceeding_case()
    service = steps.chosen_service(case, CATALOG)
    ranking = rank_suppliers(
        alpha(specialists),
        steps.need_of(case, service, TODAY),
        steps.price_estimate(Estimate(), CATALOG),
    )
    command = OfferToSupplier(
        case_id=case.id, supplier_id="alpha", justification="Fits.", specialist_id=named
    )
    changed, events = steps.offer_to_supplier(
        case,
        command,
        ranking=ranking,
        offer_id="o1",
        by="c1",
        today=TODAY,
        calendar=CAL,
        catalog=CATALOG,
    )
    return changed, events


def test_the_read_model_keeps_the_specialists_leverance_lists() -> None:
    event = SupplierProfileChanged(
        supplier_id="alpha",
        revision=3,
        name="Alpha",
        kind="private",
        kas=False,
        active=True,
        free_capacity=2,
        contracts=[terms(groups=GROUPS)],
        changed_at=NOW,
        specialist_ids=["spec-1", "spec-2"],
    )
    assert profile_from_event(event).specialist_ids == ["spec-1", "spec-2"]


def test_an_offer_without_a_named_specialist_reaches_every_listed_specialist() -> None:
    case, events = offer(["spec-1", "spec-2"])
    [made] = case.offers
    assert made.notified_specialist_ids == ["spec-1", "spec-2"]
    [offered] = [e for e in events if isinstance(e, SupplierOffered)]
    [answer] = [e for e in events if isinstance(e, DeadlineSet)]
    assert offered.notify_user_ids == ["spec-1", "spec-2"] and offered.consultant_id == "c1"
    assert answer.rule == deadlines.SUPPLIER_ANSWER.id and answer.responsible_user_id is None
    assert answer.notify_user_ids == ["spec-1", "spec-2"]

    told = offer_notices(offered, event_id="e1", now=NOW)
    assert [(n.recipient_id, n.kind) for n in told] == [
        ("spec-1", "offer_received"),
        ("spec-2", "offer_received"),
    ]
    assert "9. juni 2026" in told[0].text
    reminded = reminder_notices(answer, event_id="e2", now=NOW)
    assert [(n.recipient_id, n.kind) for n in reminded] == [
        ("spec-1", "deadline_reminder"),
        ("spec-2", "deadline_reminder"),
    ]


def test_a_missed_answer_escalates_to_every_listed_specialist_and_the_consultant() -> None:
    case, _ = offer(["spec-1", "spec-2"])
    [deadline] = [d for d in case.deadlines if d.rule == deadlines.SUPPLIER_ANSWER.id]
    missed = deadlines.report_missed(case, deadline)
    escalated = escalation_notices(missed, event_id="e3", now=NOW)
    assert [n.recipient_id for n in escalated] == ["spec-1", "spec-2", "c1"]


def test_a_named_specialist_alone_is_told_and_reminded() -> None:
    case, events = offer(["spec-1", "spec-2"], named="spec-2")
    [offered] = [e for e in events if isinstance(e, SupplierOffered)]
    [answer] = [e for e in events if isinstance(e, DeadlineSet)]
    assert offered.notify_user_ids == ["spec-2"]
    assert [(o.contact_specialist_id, o.notified_specialist_ids) for o in case.offers] == [
        ("spec-2", ["spec-2"])
    ]
    assert (answer.responsible_user_id, answer.notify_user_ids) == ("spec-2", [])
    assert [n.recipient_id for n in reminder_notices(answer, event_id="e", now=NOW)] == ["spec-2"]


def test_a_supplier_listing_no_specialist_makes_the_consultant_contact_it() -> None:
    _, events = offer([])
    [offered] = [e for e in events if isinstance(e, SupplierOffered)]
    [told] = offer_notices(offered, event_id="e1", now=NOW)
    assert (told.recipient_id, told.kind) == ("c1", "offer_unaddressed")
    assert "kontakt leverandøren direkte" in told.text and "9. juni 2026" in told.text
