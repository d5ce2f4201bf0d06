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
from services.notifications import texts
from services.notifications.domain import Notice, NoticeKind, notice
from services.notifications.handlers import notices


def approval_requested_notice(
    event: HighPriceApprovalRequested, *, event_id: str, now: datetime
) -> Notice:
    """Tells the manager a high-price delivery awaits their approval."""
    text = (
        f"Højprisleverance på sag {event.case_id} afventer din godkendelse: leveranceaftale "
        f"{event.delivery_id} (version {event.version}, {texts.kroner(event.total_dkk)}, over "
        f"grænsen på {texts.kroner(event.threshold_dkk)}) er godkendt af fagkonsulent "
        f"{event.consultant_id}."
    )
    kind: NoticeKind = "high_price_approval_requested"
    return notice(event.manager_id, kind, event.case_id, text, event_id=event_id, now=now)


def decision_notice(event: HighPriceDecided, *, event_id: str, now: datetime) -> Notice:
    """The consultant's hot notice (hot-advis) when the manager approved or rejected."""
    verdict = "godkendt" if event.approved else "afvist"
    text = (
        f"Hot-advis: Leder {event.manager_id} har {verdict} højprisleverancen på sag "
        f"{event.case_id}: leveranceaftale {event.delivery_id} (version {event.version}, "
        f"{texts.kroner(event.total_dkk)})."
    )
    if not event.approved and event.objections.strip():
        text += f" Begrundelse: {texts.sentence(event.objections)}"
    return notice(
        event.consultant_id,
        "high_price_decided",
        event.case_id,
        text,
        event_id=event_id,
        now=now,
        urgent=True,
    )


def proposed_notice(event: DeliveryAgreementProposed, *, event_id: str, now: datetime) -> Notice:
    """Tells the consultant an agreement (or a change of it) awaits their decision."""
    what = (
        "Forslag til ændring af leveranceaftale" if event.change else "Forslag til leveranceaftale"
    )
    text = (
        f"{what} {event.delivery_id} (version {event.version}, {texts.kroner(event.total_dkk)}) "
        f"fra leverandør {event.supplier_id} på sag {event.case_id} afventer din godkendelse."
    )
    kind: NoticeKind = "agreement_proposed"
    return notice(event.consultant_id, kind, event.case_id, text, event_id=event_id, now=now)


def returned_notice(event: DeliveryAgreementReturned, *, event_id: str, now: datetime) -> Notice:
    """Tells the specialist the agreement came back for renegotiation, with the objections."""
    text = (
        f"Leveranceaftale {event.delivery_id} version {event.version} på sag {event.case_id} er "
        f"sendt tilbage til genforhandling af {texts.role(event.by_role)}. "
        f"Indvendinger: {texts.sentence(event.objections)}"
    )
    kind: NoticeKind = "agreement_returned"
    return notice(event.specialist_id, kind, event.case_id, text, event_id=event_id, now=now)


def _notifier(payload: type[EventPayload], build: Callable[..., Notice]) -> EventHandler:
    """A handler adding, once, the notice `build` makes of the event (its id comes from the
    event, so an event delivered again after the inbox purge does not notify twice)."""

    async def notify(tx: Transaction, envelope: Envelope) -> None:
        made = build(envelope.payload_as(payload), event_id=envelope.event_id, now=utcnow())
        notices.add_if_absent(tx, made)

    return notify


HANDLERS: dict[str, EventHandler] = {
    "DeliveryAgreementProposed": _notifier(DeliveryAgreementProposed, proposed_notice),
    "DeliveryAgreementReturned": _notifier(DeliveryAgreementReturned, returned_notice),
    "HighPriceApprovalRequested": _notifier(HighPriceApprovalRequested, approval_requested_notice),
    "HighPriceDecided": _notifier(HighPriceDecided, decision_notice),
}
