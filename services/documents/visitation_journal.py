"""Journaling of what visitation records as sent: the clarifying meeting's summary note (H 5.1.3,
duty to journal) becomes a sent `clarifying_summary_note` document of the offer's supplier, and its
DocumentJournaled makes leverance's agreement proposal due."""

from __future__ import annotations

from services.contracts.documents import DocumentJournaled
from services.contracts.visitation import SummaryNoteSent
from services.documents.domain import entry_for_document
from services.documents.handlers import JOURNAL, entry_doc
from services.kernel.envelope import Envelope
from services.kernel.store import Transaction

SUMMARY_NOTE_TITLE = "Opsamlingsnotat fra afklarende møde"


def summary_note_document(event: SummaryNoteSent, *, source_event_id: str) -> DocumentJournaled:
    """The journaled document of a sent summary note; its id follows from the event's."""
    return DocumentJournaled(
        document_id=f"{source_event_id}:clarifying_summary_note",
        case_id=event.case_id,
        inquiry_id=event.inquiry_id,
        kind="clarifying_summary_note",
        title=f"{SUMMARY_NOTE_TITLE} ({event.sent_on.isoformat()})",
        reference=f"offer {event.offer_id}",
        sent_to=list(event.sent_to),
        journaled_by=event.recorded_by,
        journaled_by_role=event.recorded_by_role,
        supplier_id=event.supplier_id,
        journaled_at=event.recorded_at,
    )


async def journal_summary_note(tx: Transaction, envelope: Envelope) -> None:
    """Journal a sent summary note once and announce it (DocumentJournaled)."""
    document = summary_note_document(
        envelope.payload_as(SummaryNoteSent), source_event_id=envelope.event_id
    )
    if await tx.find_one(JOURNAL, {"_id": document.document_id}):
        return
    emitted = tx.emit(document)
    entry = entry_for_document(document, source_event_id=emitted.event_id)
    tx.insert(JOURNAL, entry_doc(entry))


HANDLERS = {"SummaryNoteSent": journal_summary_note}
