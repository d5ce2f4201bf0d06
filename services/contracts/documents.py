"""Documents' commands and events; the events are also the Kafka payload schema."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.contracts.channel import Channel
from services.kernel.envelope import EventPayload

CHANNELS = (Channel.events_of("documents"),)

DocumentKind = Literal[
    "advisory_report",
    "assessment_report",
    "closing_summary_note",
    "clarifying_summary_note",
    "midway_summary_note",
    "anchoring_plan",
    "letter",
    "other",
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class JournalDocument(BaseModel):
    """Journal a document on a case."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: Id
    inquiry_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    kind: DocumentKind
    title: Text
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    sent_to: list[Text] = Field(default_factory=list, max_length=50)


class DocumentJournaled(EventPayload):
    """A document was journaled on a case.

    Contract: leverance ticks the closing checklist from `advisory_report` and
    `closing_summary_note` documents that were sent (non-empty `sent_to`).
    """

    event_type = "DocumentJournaled"

    document_id: str
    case_id: str
    inquiry_id: str = ""
    kind: str = Field(examples=["advisory_report", "closing_summary_note"])
    title: str
    reference: str = ""
    sent_to: list[str] = Field(default_factory=list, description="Empty when it was not sent.")
    journaled_by: str
    journaled_by_role: str
    supplier_id: str | None = None
    journaled_at: datetime

    def subject(self) -> str:
        return self.case_id
