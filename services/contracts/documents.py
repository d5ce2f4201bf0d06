"""Documents' events (the Kafka payload schema) and the types its commands share."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

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
