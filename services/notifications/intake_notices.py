"""The notices intake's events put in a consultant's inbox: supplementary material for an
ongoing course (H 4.3) and a new inquiry held for the ongoing course's consultant (H 4.2)."""

from __future__ import annotations

from datetime import datetime

from services.contracts.intake import InquiryHeldForOngoingCourse, SupplementaryMaterialReceived
from services.kernel.consumer import EventHandler
from services.kernel.envelope import Envelope, utcnow
from services.kernel.store import Transaction
from services.notifications.domain import Notice, notice
from services.notifications.handlers import case_of_inquiry, notices


def supplementary_material_notice(
    event: SupplementaryMaterialReceived, *, case_id: str, event_id: str, now: datetime
) -> Notice:
    """Tells the responsible consultant supplementary material arrived on their course."""
    text = f"Supplerende materiale på henvendelse {event.inquiry_id}: {', '.join(event.titles)}."
    return notice(
        event.consultant_id,
        "supplementary_material",
        case_id,
        text,
        event_id=event_id,
        now=now,
        subject_id=event.inquiry_id,
    )


def course_decision_notice(
    event: InquiryHeldForOngoingCourse, *, case_id: str, event_id: str, now: datetime
) -> Notice:
    """Asks the ongoing course's consultant to decide on a new inquiry about its citizen."""
    text = (
        f"Ny henvendelse {event.inquiry_id} om en borger i dit igangværende forløb "
        f"{event.ongoing_inquiry_id}: journalisér den på forløbet, eller opret et nyt forløb."
    )
    return notice(
        event.consultant_id,
        "course_decision",
        case_id,
        text,
        event_id=event_id,
        now=now,
        subject_id=event.inquiry_id,
    )


async def notify_supplementary_material(tx: Transaction, envelope: Envelope) -> None:
    """Put supplementary material in the responsible consultant's inbox."""
    event = envelope.payload_as(SupplementaryMaterialReceived)
    case_id = await case_of_inquiry(tx, event.inquiry_id)
    notices.add_if_absent(
        tx,
        supplementary_material_notice(
            event, case_id=case_id, event_id=envelope.event_id, now=utcnow()
        ),
    )


async def notify_course_decision(tx: Transaction, envelope: Envelope) -> None:
    """Ask the ongoing course's consultant to decide; the notice is about the course's case."""
    event = envelope.payload_as(InquiryHeldForOngoingCourse)
    case_id = await case_of_inquiry(tx, event.ongoing_inquiry_id)
    notices.add_if_absent(
        tx, course_decision_notice(event, case_id=case_id, event_id=envelope.event_id, now=utcnow())
    )


HANDLERS: dict[str, EventHandler] = {
    "SupplementaryMaterialReceived": notify_supplementary_material,
    "InquiryHeldForOngoingCourse": notify_course_decision,
}
