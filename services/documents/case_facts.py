"""What documents keeps of each case from the other services' events (the `cases` collection):
its inquiry, consultant, service, suppliers' specialists, meetings, visitation's decision and
when the inquiry's course ended. Each handler sets only its own fields, so events applied in any
order (or again) give the same record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.contracts.intake import InquiryCourseEnded
from services.contracts.leverance import ClosingMeetingHeld
from services.contracts.visitation import (
    CaseHandedToCentralUnit,
    CaseHandedToLeverance,
    VisitationDecided,
)
from services.documents.case_suppliers import CASES
from services.documents.record import CaseFacts
from services.kernel.envelope import Envelope
from services.kernel.errors import NotFound
from services.kernel.store import Transaction

ENDED = "ended_inquiries"


def _set(tx: Transaction, case_id: str, values: dict[str, Any]) -> None:
    tx.update(CASES, {"_id": case_id}, {"$set": values}, upsert=True)


async def record_decision(tx: Transaction, envelope: Envelope) -> None:
    """Visitation's decision, for the decision letters."""
    decided = envelope.payload_as(VisitationDecided)
    _set(
        tx,
        decided.case_id,
        {
            "inquiry_id": decided.inquiry_id,
            "decision_outcome": decided.outcome,
            "decision_reasoning": decided.reasoning,
            "complaint_guidance": decided.complaint_guidance or "",
            "referred_to": decided.referred_to or "",
            "decided_on": decided.decided_on.isoformat(),
            "service_id": decided.service_id or "",
        },
    )


def _handed(handed: CaseHandedToLeverance | CaseHandedToCentralUnit) -> dict[str, Any]:
    return {
        "inquiry_id": handed.inquiry_id,
        "consultant_id": handed.consultant_id,
        "main_area": handed.main_area,
        "service": handed.service,
        "clarifying_meeting_on": handed.clarifying_meeting_on.isoformat(),
    }


async def record_hand_over(tx: Transaction, envelope: Envelope) -> None:
    """The service, the supplier's specialist and the clarifying meeting."""
    handed = envelope.payload_as(CaseHandedToLeverance)
    values = {**_handed(handed), f"specialists.{handed.supplier_id}": handed.specialist_id}
    _set(tx, handed.case_id, values)


async def record_central_hand_over(tx: Transaction, envelope: Envelope) -> None:
    """A course the central unit runs itself: who delivers it."""
    handed = envelope.payload_as(CaseHandedToCentralUnit)
    _set(tx, handed.case_id, {**_handed(handed), "delivered_by": handed.delivered_by})


async def record_closing_meeting(tx: Transaction, envelope: Envelope) -> None:
    """The closing meeting's day."""
    held = envelope.payload_as(ClosingMeetingHeld)
    _set(tx, held.case_id, {"closing_meeting_on": held.held_on.isoformat()})


async def record_course_ended(tx: Transaction, envelope: Envelope) -> None:
    """When the inquiry's course ended: retention counts from then."""
    ended = envelope.payload_as(InquiryCourseEnded)
    tx.update(
        ENDED,
        {"_id": ended.inquiry_id},
        {"$min": {"ended_at": ended.ended_at}, "$set": {"reason": ended.reason}},
        upsert=True,
    )


def facts_from(doc: dict[str, Any]) -> CaseFacts:
    """The facts a stored case record holds."""
    values = {k: v for k, v in doc.items() if k in CaseFacts.model_fields}
    return CaseFacts.model_validate({**values, "case_id": doc["_id"]})


async def facts(tx: Transaction, case_id: str) -> CaseFacts:
    """The case's facts; NOT_FOUND when documents has not heard of the case."""
    found = await tx.find_one(CASES, {"_id": case_id})
    if found is None:
        raise NotFound("case", case_id)
    return facts_from(found)


async def ended_at(tx: Transaction, inquiry_id: str) -> datetime | None:
    """When the inquiry's course ended, if it has."""
    if not inquiry_id:
        return None
    found = await tx.find_one(ENDED, {"_id": inquiry_id})
    return None if found is None else found["ended_at"]


HANDLERS = {
    "CaseHandedToCentralUnit": record_central_hand_over,
    "ClosingMeetingHeld": record_closing_meeting,
    "InquiryCourseEnded": record_course_ended,
}
"""Handlers of events documents reads only for the case's facts (the hand-over to leverance and
the opening are handled with the journal and the supplier record)."""
