"""Notices about delivery agreements: proposals, returns, the manager's turn, the hot notice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.contracts.leverance import (
    DeliveryAgreementProposed,
    DeliveryAgreementReturned,
    HighPriceApprovalRequested,
    HighPriceDecided,
)
from services.kernel.consumer import EventHandler
from services.kernel.envelope import Envelope, EventPayload, utcnow
from services.kernel.store import Transaction
from services.notifications.domain import Notice
from services.notifications.handlers import notices


def approval_requested_notice(
    event: HighPriceApprovalRequested, *, notice_id: str, source_event_id: str, now: datetime
) -> Notice:
    """Tells the manager a high-price delivery awaits their approval."""
    return Notice(
        id=notice_id,
        recipient_id=event.manager_id,
        kind="high_price_approval_requested",
        subject_id=event.case_id,
        text=f"High-price delivery agreement {event.delivery_id} (version {event.version}, "
        f"{event.total_dkk} DKK, above {event.threshold_dkk} DKK) approved by consultant "
        f"{event.consultant_id} awaits your approval.",
        created_at=now,
        source_event_id=source_event_id,
    )


def decision_notice(
    event: HighPriceDecided, *, notice_id: str, source_event_id: str, now: datetime
) -> Notice:
    """The consultant's hot notice (hot-advis) when the manager approved or rejected."""
    verdict = "approved" if event.approved else f"rejected: {event.objections}"
    return Notice(
        id=notice_id,
        recipient_id=event.consultant_id,
        kind="high_price_decided",
        subject_id=event.case_id,
        text=f"Manager {event.manager_id} {verdict} - high-price delivery agreement "
        f"{event.delivery_id} (version {event.version}, {event.total_dkk} DKK).",
        created_at=now,
        source_event_id=source_event_id,
        urgent=True,
    )


def proposed_notice(
    event: DeliveryAgreementProposed, *, notice_id: str, source_event_id: str, now: datetime
) -> Notice:
    """Tells the consultant an agreement (or a change of it) awaits their decision."""
    what = "A change of delivery agreement" if event.change else "Delivery agreement"
    return Notice(
        id=notice_id,
        recipient_id=event.consultant_id,
        kind="agreement_proposed",
        subject_id=event.case_id,
        text=f"{what} {event.delivery_id} (version {event.version}, {event.total_dkk} DKK) "
        f"from supplier {event.supplier_id} awaits your approval.",
        created_at=now,
        source_event_id=source_event_id,
    )


def returned_notice(
    event: DeliveryAgreementReturned, *, notice_id: str, source_event_id: str, now: datetime
) -> Notice:
    """Tells the specialist the agreement came back for renegotiation, with the objections."""
    return Notice(
        id=notice_id,
        recipient_id=event.specialist_id,
        kind="agreement_returned",
        subject_id=event.case_id,
        text=f"Delivery agreement {event.delivery_id} version {event.version} was returned by "
        f"the {event.by_role}: {event.objections}",
        created_at=now,
        source_event_id=source_event_id,
    )


def _notifier(payload: type[EventPayload], build: Callable[..., Notice]) -> EventHandler:
    """A handler adding, once, the notice `build` makes of the event: its id comes from the
    event, so an event delivered again after the inbox purge does not notify twice."""

    async def notify(tx: Transaction, envelope: Envelope) -> None:
        notice = build(
            envelope.payload_as(payload),
            notice_id=f"{envelope.event_id}:notice",
            source_event_id=envelope.event_id,
            now=utcnow(),
        )
        notices.add_if_absent(tx, notice)

    return notify


HANDLERS: dict[str, EventHandler] = {
    "DeliveryAgreementProposed": _notifier(DeliveryAgreementProposed, proposed_notice),
    "DeliveryAgreementReturned": _notifier(DeliveryAgreementReturned, returned_notice),
    "HighPriceApprovalRequested": _notifier(HighPriceApprovalRequested, approval_requested_notice),
    "HighPriceDecided": _notifier(HighPriceDecided, decision_notice),
}
