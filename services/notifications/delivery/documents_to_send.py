"""Documents documents made for someone outside VIAS (visitation's decision letters, an access
request's letters and disclosure package) become deliveries with the document attached: to the
inquirer the receipt letter went to, or to the named recipient by e-mail; without an address,
Team Support's task."""

from __future__ import annotations

from datetime import timedelta
from typing import get_args

from services.contracts.documents import DocumentReadyToSend
from services.kernel.consumer import EventHandler
from services.kernel.envelope import Envelope, utcnow
from services.kernel.store import Transaction
from services.notifications.delivery import domain
from services.notifications.delivery import handlers as outbound
from services.notifications.letters import letters

KINDS = set(get_args(domain.MessageKind))


async def _recipient(tx: Transaction, event: DocumentReadyToSend) -> domain.Recipient:
    if not event.to_inquirer:
        return domain.Recipient(
            name=event.recipient_name or "modtager",
            role="requester",
            email=event.recipient_email,
        )
    query = {"inquiry_id": event.inquiry_id, "letter_kind": "receipt", "recipient.role": "inquirer"}
    found = await tx.find_one(letters.collection, query)
    if found is None:
        return domain.Recipient(name="henvender", role="inquirer")
    letter = letters.from_doc(found)
    return domain.Recipient(
        name=letter.recipient.name, role="inquirer", email=letter.recipient.email
    )


def handlers(send_within: timedelta) -> dict[str, EventHandler]:
    """Queue the delivery in the transaction that consumes the event."""

    async def queue(tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(DocumentReadyToSend)
        recipient = await _recipient(tx, event)
        kind = event.message_kind if event.message_kind in KINDS else "decision_letter"
        now = utcnow()
        made = domain.queue(
            f"{envelope.event_id}:0",
            message_kind=kind,  # type: ignore[arg-type]
            inquiry_id=event.inquiry_id,
            case_id=event.case_id,
            recipient=recipient,
            subject=event.title,
            body=event.body,
            document_id=event.document_id,
            now=now,
            send_within=send_within,
            source_event_id=envelope.event_id,
            channels=["email"] if recipient.email else [],
        )
        await outbound.enqueue(tx, made, now)

    return {"DocumentReadyToSend": queue}
