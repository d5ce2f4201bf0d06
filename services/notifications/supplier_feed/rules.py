"""What a supplier's feed gets of the platform's internal events; pure rules, no I/O.

Each rule reads one internal event and returns the feed event for the supplier it names, or
None. A rule copies fields one by one into a feed event that has no room for anything else: no
CPR number, citizen name or reference, no other supplier's id, no ranking or justification,
no free text (objections, reasons, notes) and no VISO staff's user ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from services.contracts.deadlines import (
    DeadlineCancelled,
    DeadlineChanged,
    DeadlineMet,
    DeadlineMissed,
    DeadlineSet,
)
from services.contracts.leverance import (
    ConsumptionReviewed,
    DeliveryAgreementApproved,
    DeliveryAgreementReturned,
    SettlementCreated,
)
from services.contracts.supplier_feed import (
    AgreementApproved,
    AgreementReturned,
    CaseHandedOver,
    ConsumptionApproved,
    ConsumptionRejected,
    DeadlineStatus,
    DeadlineUpdated,
    FeedEvent,
    OfferReceived,
    SettlementIssued,
)
from services.contracts.visitation import CaseHandedToLeverance, SupplierOffered
from services.kernel.context import SUPPLIER_ROLES
from services.kernel.envelope import EventPayload

E = TypeVar("E", bound=EventPayload)

DeadlineEvent = DeadlineSet | DeadlineChanged | DeadlineMet | DeadlineMissed | DeadlineCancelled


def offer_received(event: SupplierOffered) -> OfferReceived:
    """An offer, with its answer deadline and the supplier's specialists told of it."""
    return OfferReceived(
        supplier_id=event.supplier_id,
        case_id=event.case_id,
        offer_id=event.offer_id,
        service_id=event.service_id,
        answer_due=event.answer_due,
        specialist_ids=list(dict.fromkeys(event.notify_user_ids)),
    )


def case_handed_over(event: CaseHandedToLeverance) -> CaseHandedOver:
    """The case handed to the supplier after the clarifying meeting."""
    return CaseHandedOver(
        supplier_id=event.supplier_id,
        case_id=event.case_id,
        offer_id=event.offer_id,
        service=event.service,
        main_area=event.main_area,
        specialist_id=event.specialist_id,
        clarifying_meeting_on=event.clarifying_meeting_on,
        summary_note_due=event.summary_note_due,
        course_max_months=event.course_max_months,
    )


def _part(
    event: DeliveryAgreementReturned | DeliveryAgreementApproved | ConsumptionReviewed,
) -> Any:
    """The ids of the supplier's part of a course an event is about."""
    return {
        "supplier_id": event.supplier_id,
        "case_id": event.case_id,
        "delivery_id": event.delivery_id,
    }


def agreement_returned(event: DeliveryAgreementReturned) -> AgreementReturned:
    """A version returned for renegotiation; the objections stay in leverance."""
    return AgreementReturned(
        **_part(event),
        version=event.version,
        returned_by_role=event.by_role,
        specialist_id=event.specialist_id,
    )


def agreement_approved(event: DeliveryAgreementApproved) -> AgreementApproved:
    """A version in force."""
    return AgreementApproved(
        **_part(event),
        version=event.version,
        change=event.change,
        total_dkk=event.total_dkk,
        approved_at=event.approved_at,
    )


def consumption_reviewed(event: ConsumptionReviewed) -> ConsumptionApproved | ConsumptionRejected:
    """Logged consumption approved or rejected; a rejection's reason stays in leverance."""
    reviewed = ConsumptionApproved if event.approved else ConsumptionRejected
    return reviewed(**_part(event), entry_ids=list(event.entry_ids))


def settlement_issued(event: SettlementCreated) -> SettlementIssued:
    """The supplier's monthly settlement."""
    return SettlementIssued(
        supplier_id=event.supplier_id,
        settlement_id=event.settlement_id,
        month=event.month,
        total_dkk=event.total_dkk,
        entries=event.entries,
        created_at=event.created_at,
    )


def _status(event: DeadlineEvent) -> DeadlineStatus:
    match event:
        case DeadlineSet():
            return "set"
        case DeadlineChanged():
            return "changed"
        case DeadlineMet():
            return "met"
        case DeadlineMissed():
            return "missed"
        case DeadlineCancelled():
            return "cancelled"


def deadline_updated(event: DeadlineEvent) -> DeadlineUpdated | None:
    """A deadline the named supplier's staff must meet; None for anyone else's (a consultant's
    deadline on the supplier's case is VISO's own business)."""
    if not event.supplier_id or event.responsible_role not in SUPPLIER_ROLES:
        return None
    who = [event.responsible_user_id] if event.responsible_user_id else event.notify_user_ids
    return DeadlineUpdated(
        supplier_id=event.supplier_id,
        case_id=event.case_id,
        deadline_id=event.deadline_id,
        status=_status(event),
        rule=event.rule,
        rule_text=event.rule_text,
        start=event.start,
        due=event.due,
        previous_due=event.previous_due if isinstance(event, DeadlineChanged) else None,
        met_on=event.met_on if isinstance(event, DeadlineMet) else None,
        specialist_ids=list(dict.fromkeys(who)),
    )


@dataclass(frozen=True)
class Rule(Generic[E]):
    """How one internal event type is read and what the feed gets of it."""

    reads: type[E]
    curate: Callable[[E], FeedEvent | None]

    def apply(self, payload: dict[str, Any]) -> FeedEvent | None:
        """The feed event an internal event's payload makes, or None."""
        return self.curate(self.reads.model_validate(payload))


RULES: dict[str, Rule[Any]] = {
    "SupplierOffered": Rule(SupplierOffered, offer_received),
    "CaseHandedToLeverance": Rule(CaseHandedToLeverance, case_handed_over),
    "DeliveryAgreementReturned": Rule(DeliveryAgreementReturned, agreement_returned),
    "DeliveryAgreementApproved": Rule(DeliveryAgreementApproved, agreement_approved),
    "ConsumptionReviewed": Rule(ConsumptionReviewed, consumption_reviewed),
    "SettlementCreated": Rule(SettlementCreated, settlement_issued),
    "DeadlineSet": Rule(DeadlineSet, deadline_updated),
    "DeadlineChanged": Rule(DeadlineChanged, deadline_updated),
    "DeadlineMet": Rule(DeadlineMet, deadline_updated),
    "DeadlineMissed": Rule(DeadlineMissed, deadline_updated),
    "DeadlineCancelled": Rule(DeadlineCancelled, deadline_updated),
}
"""The internal events a feed curates, by type; every other event reaches no feed."""


def curate(event_type: str, payload: dict[str, Any]) -> FeedEvent | None:
    """The feed event an internal event makes, or None."""
    rule = RULES.get(event_type)
    return rule.apply(payload) if rule is not None else None
