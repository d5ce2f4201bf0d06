"""The case journal's rules; no I/O."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from services.intake.messages import InquiryRegistered
from services.visitation.messages import VisitationCaseOpened


class JournalEntry(BaseModel):
    """One journaled record about an inquiry and the case opened from it."""

    id: str
    inquiry_id: str
    kind: str
    text: str
    recorded_at: datetime
    source_event_id: str


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
