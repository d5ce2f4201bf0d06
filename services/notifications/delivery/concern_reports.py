"""Concern reports leave VIAS as deliveries: a child's report to the municipality's notification
mailbox by secure e-mail (STARTTLS required), the rendered report attached from documents; an
adult's concern letter has no address in the reference data, so it is Team Support's task at
once (they send it to the offer's management, the authority or Socialtilsynet)."""

from __future__ import annotations

from datetime import timedelta

from services.contracts.documents import ConcernReportReleased
from services.kernel.consumer import EventHandler
from services.kernel.envelope import Envelope, utcnow
from services.kernel.store import Transaction
from services.notifications.delivery import domain
from services.notifications.delivery import handlers as outbound
from services.notifications.delivery.domain import ChannelName

RECIPIENTS = {
    "municipality": "kommunens underretningspostkasse",
    "management": "tilbuddets ledelse",
    "authority": "borgerens myndighedsrådgiver",
    "socialtilsynet": "Socialtilsynet",
}


def deliveries_for(
    event: ConcernReportReleased, *, event_id: str, send_within: timedelta
) -> list[domain.Delivery]:
    """One delivery per recipient of the report, keyed by the event and the recipient's index."""
    now = utcnow()
    made = []
    for index, recipient in enumerate(event.recipients):
        municipal = recipient == "municipality" and bool(event.municipality_code)
        channels: list[ChannelName] = ["secure_email"] if municipal else []
        name = RECIPIENTS.get(recipient, recipient)
        if municipal:
            name = f"Underretningspostkassen i kommune {event.municipality_code}"
        kind = "underretning" if event.subject_kind == "child" else "bekymringsskrivelse"
        made.append(
            domain.queue(
                f"{event_id}:{index}",
                message_kind="concern_report",
                inquiry_id="",
                case_id=event.case_id,
                recipient=domain.Recipient(
                    name=name,
                    role="municipality" if municipal else recipient,
                    municipality_code=event.municipality_code if municipal else "",
                ),
                subject=f"Underretning fra VISO (sag {event.case_id})"
                if event.subject_kind == "child"
                else f"Bekymringsskrivelse fra VISO (sag {event.case_id})",
                body=(
                    f"VISO sender hermed en {kind} vedrørende sag {event.case_id}. "
                    f"{kind.capitalize()}en er vedhæftet som PDF. Bekræft venligst modtagelsen "
                    "til VISO med sagsnummeret."
                ),
                document_id=event.document_id,
                now=now,
                send_within=send_within,
                source_event_id=event_id,
                channels=channels,
            )
        )
    return made


def handlers(send_within: timedelta) -> dict[str, EventHandler]:
    """Queue a released report's deliveries in the transaction that consumes the event."""

    async def queue_report(tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(ConcernReportReleased)
        now = utcnow()
        for made in deliveries_for(event, event_id=envelope.event_id, send_within=send_within):
            await outbound.enqueue(tx, made, now)

    return {"ConcernReportReleased": queue_report}
