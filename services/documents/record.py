"""The case record's rules: notes that are never changed, documents with draft versions and a
locked final, the advisory report's recommendations, who hears of a change, and retention;
no I/O."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from services.kernel.context import Principal
from services.kernel.errors import ConcurrencyConflict, IllegalTransition, InvalidInput
from services.kernel.store import Aggregate

MAX_NUMBERED_RECOMMENDATIONS = 7
"""The advisory report has at most seven recommendations in priority order; more are written as
prose below them (H 5.3.1)."""
DRAFT_MARK = "udkast"
_DRAFT_WORDS = re.compile(r"[\s\-\u2013:(\[]*\b(udkast|draft)\b[\s)\]]*", re.IGNORECASE)
ADVISORY_REPORT = "advisory_report"
CLOSING_SUMMARY_NOTE = "closing_summary_note"
NOTE_CLASS = "note"

ArchiveStatus = Literal["not_due", "pending", "filed", "failed"]


class ArchiveState(BaseModel):
    """Where the hand-off of a final to the records archive (F2) stands."""

    status: ArchiveStatus = "not_due"
    receipt: str = ""
    reason: str = ""
    filed_at: datetime | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None


class CaseFacts(BaseModel):
    """What documents knows of a case from the other services' events: enough to decide who
    may see its record, who hears of a change, and to fill its templates."""

    case_id: str
    inquiry_id: str = ""
    main_area: str = ""
    consultant_id: str = ""
    service: str = ""
    specialists: dict[str, str] = Field(default_factory=dict)
    """supplier id -> the specialist who accepted the case for that supplier."""
    delivered_by: str = ""
    clarifying_meeting_on: date | None = None
    closing_meeting_on: date | None = None
    decision_outcome: str = ""
    decision_reasoning: str = ""
    complaint_guidance: str = ""
    referred_to: str = ""
    decided_on: date | None = None
    service_id: str = ""

    def notify_for(self, author: Principal) -> list[str]:
        """The other party of the case (H 5.2.4): the consultant for a supplier's change, the
        specialists (and a central-unit deliverer) for VISO staff's; never the author."""
        if author.is_supplier:
            wanted = [self.consultant_id]
        else:
            wanted = [*self.specialists.values(), self.delivered_by, self.consultant_id]
        seen: list[str] = []
        for user in wanted:
            if user and user != author.user_id and user not in seen:
                seen.append(user)
        return seen


class CaseNote(Aggregate):
    """A note on a case. Never edited or deleted: a correction is a new note naming the one it
    corrects (retention may delete the text, leaving a tombstone)."""

    case_id: str
    inquiry_id: str = ""
    category: str
    occurred_at: datetime
    written_at: datetime
    author_id: str
    author_role: str
    supplier_id: str | None = None
    text: str
    note_version: int = 1
    corrects_note_id: str | None = None
    corrected_by_note_id: str | None = None
    archive: ArchiveState = Field(default_factory=lambda: ArchiveState(status="pending"))
    content_deleted_at: datetime | None = None
    deleted_by_rule: str = ""


def write_note(
    *,
    note_id: str,
    case: CaseFacts,
    category: str,
    occurred_at: datetime | None,
    text: str,
    author: Principal,
    now: datetime,
    corrected: CaseNote | None,
) -> CaseNote:
    """A new note, or the correction of `corrected` (the newest version of its chain)."""
    when = occurred_at or now
    if when > now + timedelta(minutes=5):
        raise InvalidInput.single("occurred_at", "a note records what happened, not the future")
    version = 1
    if corrected is not None:
        if corrected.case_id != case.case_id:
            raise InvalidInput.single("corrects_note_id", "not a note of this case")
        if corrected.corrected_by_note_id:
            raise IllegalTransition(
                f"note {corrected.id} is already corrected by note "
                f"{corrected.corrected_by_note_id}; correct that one"
            )
        if corrected.content_deleted_at is not None:
            raise IllegalTransition(f"note {corrected.id} was deleted by retention")
        version = corrected.note_version + 1
    return CaseNote(
        id=note_id,
        case_id=case.case_id,
        inquiry_id=case.inquiry_id,
        category=category,
        occurred_at=when,
        written_at=now,
        author_id=author.user_id,
        author_role=author.role,
        supplier_id=author.supplier_id,
        text=text,
        note_version=version,
        corrects_note_id=corrected.id if corrected else None,
    )


def mark_corrected(corrected: CaseNote, by: CaseNote) -> CaseNote:
    """The corrected note, pointing to its correction (its text is untouched)."""
    return corrected.model_copy(update={"corrected_by_note_id": by.id})


class StoredVersion(BaseModel):
    """One version of a document: its file in GridFS and how it was made."""

    version: int
    file_id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    created_by: str
    template: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)
    recommendations: list[str] = Field(default_factory=list)
    further_recommendations: str = ""
    format: str = "pdf"


class CaseDocument(Aggregate):
    """A document on a case: draft versions, then one locked final."""

    case_id: str
    inquiry_id: str = ""
    kind: str
    title: str
    status: Literal["draft", "final"] = "draft"
    versions: list[StoredVersion] = Field(default_factory=list)
    supersedes_document_id: str | None = None
    superseded_by_document_id: str | None = None
    annex_document_ids: list[str] = Field(default_factory=list)
    sent_to: list[str] = Field(default_factory=list)
    finalised_at: datetime | None = None
    archive: ArchiveState = Field(default_factory=ArchiveState)
    created_by: str
    created_by_role: str
    supplier_id: str | None = None
    created_at: datetime
    content_deleted_at: datetime | None = None
    deleted_by_rule: str = ""
    render_pending: bool = False
    """Waiting for the worker to render it (indexed: the worker polls by equality)."""
    pending_template: str | None = None
    """A letter VIAS renders itself (from an event): its template, until it is rendered."""
    pending_fields: dict[str, str] = Field(default_factory=dict)

    @property
    def content_version(self) -> int:
        """The number of the newest version (0 before the first)."""
        return len(self.versions)

    @property
    def shown_title(self) -> str:
        """The title, marked "(udkast)" while a draft."""
        return f"{self.title} ({DRAFT_MARK})" if self.status == "draft" else self.title

    def newest(self) -> StoredVersion:
        """The newest version; FAILED_PRECONDITION when the content was deleted."""
        if self.content_deleted_at is not None or not self.versions:
            raise IllegalTransition(f"document {self.id} has no content (deleted by retention)")
        return self.versions[-1]

    def version_numbered(self, number: int) -> StoredVersion:
        """Version `number` (0: the newest)."""
        newest = self.newest()
        if number == 0:
            return newest
        for found in self.versions:
            if found.version == number:
                return found
        raise InvalidInput.single("version", f"the document has versions 1 to {newest.version}")


def clean_title(title: str) -> str:
    """The title without a draft word: the status says whether it is a draft."""
    cleaned = _DRAFT_WORDS.sub(" ", title).strip(" -\u2013:")
    return re.sub(r"\s{2,}", " ", cleaned) or title.strip()


def check_recommendations(numbered: list[str]) -> None:
    """At most seven numbered recommendations; more belong in the prose below them."""
    if len(numbered) > MAX_NUMBERED_RECOMMENDATIONS:
        raise InvalidInput.single(
            "recommendations",
            f"at most {MAX_NUMBERED_RECOMMENDATIONS} numbered recommendations in priority "
            f"order, not {len(numbered)}; write the rest as prose in further_recommendations",
        )
    for number, text in enumerate(numbered, start=1):
        if not text.strip():
            raise InvalidInput.single(f"recommendations.{number - 1}", "empty recommendation")


def new_document(
    *,
    document_id: str,
    case: CaseFacts,
    kind: str,
    title: str,
    author: Principal,
    now: datetime,
    supersedes: CaseDocument | None,
) -> CaseDocument:
    """A new draft document (with no version yet)."""
    if supersedes is not None:
        check_supersedable(supersedes, case)
    return CaseDocument(
        id=document_id,
        case_id=case.case_id,
        inquiry_id=case.inquiry_id,
        kind=kind,
        title=clean_title(title),
        created_by=author.user_id,
        created_by_role=author.role,
        supplier_id=author.supplier_id,
        created_at=now,
        supersedes_document_id=supersedes.id if supersedes else None,
    )


def check_supersedable(old: CaseDocument, case: CaseFacts) -> None:
    """A final of the same case, not yet superseded, may be superseded."""
    if old.case_id != case.case_id:
        raise InvalidInput.single("supersedes_document_id", "not a document of this case")
    if old.status != "final":
        raise IllegalTransition(f"document {old.id} is a draft: add a version to it instead")
    if old.superseded_by_document_id:
        raise IllegalTransition(
            f"document {old.id} is already superseded by {old.superseded_by_document_id}"
        )


def check_next_version(document: CaseDocument, expected_version: int) -> None:
    """Only a draft gets a version, and only from the version the caller read."""
    if document.status == "final":
        raise IllegalTransition(
            f"document {document.id} is final and locked; a change is a new document that "
            "supersedes it (supersedes_document_id)"
        )
    if document.content_deleted_at is not None:
        raise IllegalTransition(f"document {document.id} was deleted by retention")
    if expected_version != document.content_version:
        raise ConcurrencyConflict("document", document.id, expected_version)


def with_version(document: CaseDocument, version: StoredVersion) -> CaseDocument:
    """The draft with its next version."""
    return document.model_copy(update={"versions": [*document.versions, version]})


def check_finalisable(
    document: CaseDocument, *, expected_version: int, annexes: list[CaseDocument]
) -> None:
    """A draft with content, at the version the caller read, with annexes that are finals of
    the same case; an advisory report carries the closing meeting's summary note."""
    if document.status == "final":
        raise IllegalTransition(f"document {document.id} is already final")
    if not document.versions or document.content_deleted_at is not None:
        raise IllegalTransition(f"document {document.id} has no version to finalise")
    if expected_version != document.content_version:
        raise ConcurrencyConflict("document", document.id, expected_version)
    for index, annex in enumerate(annexes):
        field = f"annex_document_ids.{index}"
        if annex.case_id != document.case_id or annex.id == document.id:
            raise InvalidInput.single(field, "not another document of this case")
        if annex.status != "final":
            raise IllegalTransition(f"annex {annex.id} is a draft; finalise it first")
    if document.kind == ADVISORY_REPORT and not any(
        a.kind == CLOSING_SUMMARY_NOTE for a in annexes
    ):
        raise IllegalTransition(
            "the final advisory report carries the closing meeting's summary note as an annex "
            "(H 5.3.1): finalise the summary note and name it in annex_document_ids"
        )


def finalised(
    document: CaseDocument,
    *,
    final_version: StoredVersion | None,
    annexes: list[CaseDocument],
    sent_to: list[str],
    now: datetime,
) -> CaseDocument:
    """The locked final, due for the archive; `final_version` is the final's own rendering when
    the draft came from a template (without the draft mark, with its annexes)."""
    versions = document.versions if final_version is None else [*document.versions, final_version]
    return document.model_copy(
        update={
            "status": "final",
            "versions": versions,
            "annex_document_ids": [a.id for a in annexes],
            "sent_to": list(sent_to),
            "finalised_at": now,
            "archive": ArchiveState(status="pending"),
        }
    )


def retention_ends(ended_on: date, days: int) -> date:
    """The first day an item of a case whose course ended on `ended_on` is past retention."""
    return ended_on + timedelta(days=days)


def past_retention(ended_at: datetime | None, days: int, as_of: date) -> bool:
    """Whether an item is past retention on `as_of`: only once its inquiry's course ended (an
    open case keeps everything), `days` after that end."""
    if ended_at is None:
        return False
    return as_of >= retention_ends(ended_at.date(), days)


def document_class(kind: str, retention_days: dict[str, int]) -> str:
    """The retention class of a document: its kind when configured, else "default"."""
    return kind if kind in retention_days else "default"
