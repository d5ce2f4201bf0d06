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
    "analysis_report",
    "closing_note",
    "case_note",
    "materials",
    "summary_paper",
]
"""What a journaled document is. Added for the per-service closing checklist (H ch. 3):
`analysis_report` (sagsanalyse, H 3.11), `closing_note` (afslutningsnotat, H 3.11), `case_note`
(kort notat i sagshistorikken, H 3.2, 3.12), `materials` (slides og materialer, H 3.7, 3.8, 3.10)
and `summary_paper` (opsamlingspapir, H 3.10)."""
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class DocumentJournaled(EventPayload):
    """A document was journaled on a case.

    Contract: leverance ticks the closing checklist of the case's service from the documents of
    the kinds that service asks for (its reference data): most must have been sent (non-empty
    `sent_to`), a note in the case history only journaled; a title with "udkast" or "draft"
    ticks nothing.
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
