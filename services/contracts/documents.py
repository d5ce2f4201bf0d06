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
    "concern_report",
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
    `sent_to`), a note in the case history only journaled; only a `status` "final" counts
    (documents finalises an advisory report only with the closing meeting's summary note as
    its annex).
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
    status: Literal["draft", "final"] = Field(
        default="final",
        description='"final": a finalised document or one journaled by its reference; only a '
        "final ticks the closing checklist.",
    )
    version: int | None = Field(default=None, description="The document's version journaled.")
    sha256: str | None = Field(default=None, description="Hex SHA-256 of the final's bytes.")
    annex_document_ids: list[str] = Field(
        default_factory=list,
        description="Finals attached as annexes (the closing meeting's "
        "summary note on an advisory report).",
    )
    notify_user_ids: list[str] = Field(
        default_factory=list,
        description="The case's consultant and specialists to notify (never the author).",
    )

    def subject(self) -> str:
        return self.case_id


NoteCategory = Literal["phone_call", "meeting", "decision", "email", "observation", "other"]
NOTE_CATEGORY_NAMES: dict[str, str] = {
    "phone_call": "telefonsamtale",
    "meeting": "møde",
    "decision": "beslutning",
    "email": "e-mail",
    "observation": "observation",
    "other": "notat",
}
"""Each note category as Danish readers see it in journals and notices."""


class NoteWritten(EventPayload):
    """A note was written on a case (duty to take notes, offentlighedsloven § 13). The text
    stays in documents (personal data); read it with GetNote."""

    event_type = "NoteWritten"

    note_id: str
    case_id: str
    inquiry_id: str = ""
    category: str = Field(examples=["phone_call", "meeting", "decision"])
    occurred_at: datetime
    written_at: datetime
    author_id: str
    author_role: str
    supplier_id: str | None = None
    version: int = Field(description="1 for a note, n+1 for the correction of version n.")
    corrects_note_id: str | None = None
    notify_user_ids: list[str] = Field(
        default_factory=list,
        description="The other party of the case: the consultant for a specialist's note, the "
        "case's specialists for VISO staff's note; never the author.",
    )

    def subject(self) -> str:
        return self.case_id


class DocumentVersionAdded(EventPayload):
    """A draft document got a version (uploaded or rendered from a template)."""

    event_type = "DocumentVersionAdded"

    document_id: str
    case_id: str
    inquiry_id: str = ""
    kind: str
    title: str
    version: int
    content_type: str
    size: int
    sha256: str
    added_by: str
    added_by_role: str
    supplier_id: str | None = None
    added_at: datetime
    template: str | None = None
    notify_user_ids: list[str] = Field(default_factory=list)

    def subject(self) -> str:
        return self.case_id


class ConcernReportReleased(EventPayload):
    """A concern report was co-signed (or sent by the specialist alone) and goes to its
    recipients: for a child the municipality's notification mailbox (by `municipality_code`).
    Its text stays in documents (read it audited); `document_id` is its rendered final."""

    event_type = "ConcernReportReleased"

    report_id: str
    case_id: str
    subject_kind: str = Field(examples=["child", "adult"])
    recipients: list[str] = Field(examples=[["municipality"]])
    municipality_code: str = ""
    document_id: str
    cosigned: bool
    released_by: str
    released_at: datetime

    def subject(self) -> str:
        return self.case_id


class ConcernReportStepRecorded(EventPayload):
    """A step of a concern report (drafted, released, receipt, Ankestyrelsen), for the other
    party of the case."""

    event_type = "ConcernReportStepRecorded"

    report_id: str
    case_id: str
    step: str = Field(examples=["drafted", "released", "received", "ankestyrelsen"])
    by: str
    by_role: str
    at: datetime
    notify_user_ids: list[str] = Field(default_factory=list)

    def subject(self) -> str:
        return self.case_id


class DocumentReadyToSend(EventPayload):
    """A final document documents made for someone outside VIAS (a decision letter, an access
    request's delay letter, decision or disclosure package): notifications delivers it, the
    document attached. `to_inquirer`: to the inquirer the receipt letter went to; else to the
    named recipient by e-mail, and without an address it is Team Support's task."""

    event_type = "DocumentReadyToSend"

    document_id: str
    case_id: str = ""
    inquiry_id: str = ""
    message_kind: str = Field(examples=["decision_letter", "delay_letter", "access_package"])
    recipient_name: str = ""
    recipient_email: str = ""
    to_inquirer: bool = False
    title: str = Field(description="The message's subject line.")
    body: str

    def subject(self) -> str:
        return self.case_id or self.document_id


class CaseContentDeleted(EventPayload):
    """Retention deleted the personal content of a note or document; a tombstone stays."""

    event_type = "CaseContentDeleted"

    case_id: str
    item: Literal["note", "document"]
    item_id: str
    document_class: str
    rule: str
    deleted_at: datetime

    def subject(self) -> str:
        return self.case_id
