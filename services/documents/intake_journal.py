"""Journaling of intake's letters, supplementary material, notes and consent withdrawals (H 4.2,
4.3): every letter intake's assignment triggers is journaled automatically on the case."""

from __future__ import annotations

from services.contracts.intake import (
    InquiryConsentWithdrawn,
    InquiryLetterRequested,
    InquiryNoteAdded,
    InquiryRegistered,
    SupplementaryMaterialReceived,
)
from services.documents.domain import JournalEntry
from services.documents.handlers import append_entry, journal_registration
from services.kernel.envelope import Envelope, utcnow
from services.kernel.store import Transaction

LETTER_NAMES = {"receipt": "Kvitteringsbrev", "personal_data": "Persondatabrev"}


def letter_entry(event: InquiryLetterRequested, *, source_event_id: str) -> JournalEntry:
    """The journal entry of a letter sent to its recipients."""
    roles = ", ".join(sorted({r.role for r in event.recipients}))
    return JournalEntry(
        id=f"{source_event_id}:letter",
        inquiry_id=event.inquiry_id,
        kind=f"{event.letter_kind}_letter",
        text=f"{LETTER_NAMES[event.letter_kind]} sendt til {len(event.recipients)} modtager(e) "
        f"({roles}); fagkonsulent {event.consultant_name or event.consultant_id}.",
        recorded_at=utcnow(),
        source_event_id=source_event_id,
    )


async def journal_letter(tx: Transaction, envelope: Envelope) -> None:
    """Journal a receipt or personal-data letter."""
    event = envelope.payload_as(InquiryLetterRequested)
    append_entry(tx, letter_entry(event, source_event_id=envelope.event_id))


async def journal_supplement(tx: Transaction, envelope: Envelope) -> None:
    """Journal supplementary material on the ongoing course."""
    event = envelope.payload_as(SupplementaryMaterialReceived)
    text = f"Supplerende materiale ({event.received_via}): {', '.join(event.titles) or '-'}."
    append_entry(tx, _entry(envelope, event.inquiry_id, "supplementary_material", text))


async def journal_note(tx: Transaction, envelope: Envelope) -> None:
    """Journal an internal note."""
    event = envelope.payload_as(InquiryNoteAdded)
    append_entry(tx, _entry(envelope, event.inquiry_id, "internal_note", event.text))


async def journal_consent_withdrawn(tx: Transaction, envelope: Envelope) -> None:
    """Journal that consent was withdrawn; what was journaled before stays."""
    event = envelope.payload_as(InquiryConsentWithdrawn)
    text = "Samtykket er tilbagekaldt; forløbet er stoppet. Journaliseret materiale bevares."
    append_entry(tx, _entry(envelope, event.inquiry_id, "consent_withdrawn", text))


def _entry(envelope: Envelope, inquiry_id: str, kind: str, text: str) -> JournalEntry:
    return JournalEntry(
        id=f"{envelope.event_id}:{kind}",
        inquiry_id=inquiry_id,
        kind=kind,
        text=text,
        recorded_at=utcnow(),
        source_event_id=envelope.event_id,
    )


async def journal_registration_and_attachments(tx: Transaction, envelope: Envelope) -> None:
    """Journal the registered inquiry and then each of its attachments (H 4.2)."""
    await journal_registration(tx, envelope)
    event = envelope.payload_as(InquiryRegistered)
    for document_id in event.attachment_ids:
        entry = _entry(envelope, event.inquiry_id, "attachment", f"Bilag {document_id}.")
        append_entry(tx, entry.model_copy(update={"id": f"{envelope.event_id}:{document_id}"}))


HANDLERS = {
    "InquiryRegistered": journal_registration_and_attachments,
    "InquiryLetterRequested": journal_letter,
    "SupplementaryMaterialReceived": journal_supplement,
    "InquiryNoteAdded": journal_note,
    "InquiryConsentWithdrawn": journal_consent_withdrawn,
}
