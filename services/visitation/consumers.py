"""Visitation's Kafka consumers: intake's and leverance's events become case changes and the
supplier read model, each in the consumer's transaction (idempotent through the inbox)."""

from __future__ import annotations

import logging
from datetime import UTC, tzinfo

from services.contracts.intake import InquiryAssigned, InquiryConsentWithdrawn
from services.contracts.leverance import SupplierProfileChanged
from services.kernel.consumer import EventHandler
from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.store import Transaction
from services.visitation import domain
from services.visitation.domain import case as transitions
from services.visitation.domain.suppliers import is_newer, profile_from_event
from services.visitation.handlers import cases, save_case, suppliers
from services.visitation.settings import VisitationSettings
from services.workdays import WorkingDayCalendar

log = logging.getLogger(__name__)


def open_case_handler(calendar: WorkingDayCalendar, zone: tzinfo = UTC) -> EventHandler:
    """The InquiryAssigned handler: one insert plus its events, no reads (latency path)."""

    async def open_case_for_inquiry(tx: Transaction, envelope: Envelope) -> None:
        """Open the visitation case of an inquiry a consultant was assigned."""
        assigned = envelope.payload_as(InquiryAssigned)
        case, events = domain.open_assigned_case(
            assigned,
            case_id=new_id(),
            now=utcnow(),
            calendar=calendar,
            assigned_on=assigned.assigned_at.astimezone(zone).date(),
        )
        await cases.add(tx, case)
        for event in events:
            tx.emit(event)

    return open_case_for_inquiry


def consent_withdrawn_handler(settings: VisitationSettings) -> EventHandler:
    """The InquiryConsentWithdrawn handler: the inquiry's case stops, if it has one still open."""

    async def stop_case_of_inquiry(tx: Transaction, envelope: Envelope) -> None:
        """Stop the case of an inquiry whose consent was withdrawn (H 2.2.3); keep the record."""
        withdrawn = envelope.payload_as(InquiryConsentWithdrawn)
        doc = await tx.find_one(cases.collection, {"inquiry_id": withdrawn.inquiry_id})
        if doc is None:
            log.info("no visitation case for inquiry %s; nothing to stop", withdrawn.inquiry_id)
            return
        case = cases.from_doc(doc)
        on = withdrawn.withdrawn_at.astimezone(settings.zone()).date()
        changed, events = transitions.stop_for_withdrawn_consent(case, withdrawn, on=on)
        if not events:
            return
        await save_case(tx, case, changed)
        for event in events:
            tx.emit(event)

    return stop_case_of_inquiry


async def apply_supplier_profile(tx: Transaction, envelope: Envelope) -> None:
    """Keep the newest snapshot of a supplier (highest revision wins)."""
    changed = envelope.payload_as(SupplierProfileChanged)
    current = await suppliers.get(tx, changed.supplier_id)
    if not is_newer(current, changed):
        return
    doc = suppliers.to_doc(profile_from_event(changed))
    tx.replace(suppliers.collection, {"_id": changed.supplier_id}, doc, upsert=True)
