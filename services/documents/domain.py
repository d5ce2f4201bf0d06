"""The case journal's rules; no I/O."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from services.contracts.documents import DocumentJournaled
from services.contracts.intake import InquiryRegistered
from services.contracts.visitation import VisitationCaseOpened
from services.documents.commands import JournalDocument


class JournalEntry(BaseModel):
    """One journaled record about an inquiry and the case opened from it."""

    id: str
    inquiry_id: str
    kind: str
    text: str
    recorded_at: datetime
    source_event_id: str
    case_id: str = ""
    journaled_by: str = ""
    note_id: str = ""
    document_id: str = ""
    content_deleted_at: datetime | None = None
    deleted_by_rule: str = ""


def entry_for_registration(
    event: InquiryRegistered, *, entry_id: str, source_event_id: str, now: datetime
) -> JournalEntry:
    """The journal entry recording that an inquiry was registered."""
    return JournalEntry(
        id=entry_id,
        inquiry_id=event.inquiry_id,
        kind="inquiry_registered",
        text=f"Inquiry registered in main area {event.main_area}.",
        recorded_at=now,
        source_event_id=source_event_id,
    )


def entry_for_opened_case(
    event: VisitationCaseOpened, *, entry_id: str, source_event_id: str, now: datetime
) -> JournalEntry:
    """The journal entry recording that a visitation case was opened."""
    return JournalEntry(
        id=entry_id,
        inquiry_id=event.inquiry_id,
        kind="case_opened",
        text=f"Visitation case {event.case_id} opened; consultant {event.consultant_id}.",
        recorded_at=now,
        source_event_id=source_event_id,
    )


def journal_document(
    command: JournalDocument,
    *,
    document_id: str,
    by: str,
    role: str,
    supplier_id: str | None,
    now: datetime,
) -> DocumentJournaled:
    """The event announcing a journaled document."""
    return DocumentJournaled(
        document_id=document_id,
        case_id=command.case_id,
        inquiry_id=command.inquiry_id,
        kind=command.kind,
        title=command.title,
        reference=command.reference,
        sent_to=list(command.sent_to),
        journaled_by=by,
        journaled_by_role=role,
        supplier_id=supplier_id,
        journaled_at=now,
    )


def entry_for_document(event: DocumentJournaled, *, source_event_id: str) -> JournalEntry:
    """The journal entry of a journaled document."""
    sent = f", sent to {', '.join(event.sent_to)}" if event.sent_to else ", not sent"
    reference = f" ({event.reference})" if event.reference else ""
    return JournalEntry(
        id=event.document_id,
        inquiry_id=event.inquiry_id,
        kind=event.kind,
        text=f"{event.title}{reference}{sent}.",
        recorded_at=event.journaled_at,
        source_event_id=source_event_id,
        case_id=event.case_id,
        journaled_by=event.journaled_by,
    )
