"""What callers ask documents to do: immutable, unknown fields refused."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from services.contracts.documents import DocumentKind, Id, NoteCategory, Text


class JournalDocument(BaseModel):
    """Journal a document on a case."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: Id
    inquiry_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    kind: DocumentKind
    title: Text
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    sent_to: list[Text] = Field(default_factory=list, max_length=50)

    @field_validator("kind")
    @classmethod
    def _made_in_vias(cls, kind: str) -> str:
        if kind == "advisory_report":
            raise ValueError(
                "an advisory report is made in VIAS: render or upload it as a draft and "
                "finalise it with the closing meeting's summary note as its annex"
            )
        return kind


LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
OptionalId = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Version = Annotated[int, Field(ge=0, le=1_000_000)]


class WriteNote(BaseModel):
    """Write a note on a case, or the correction of one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: Id
    inquiry_id: OptionalId = ""
    category: NoteCategory
    occurred_at: AwareDatetime | None = None
    text: LongText
    corrects_note_id: OptionalId = ""

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _empty_is_now(cls, value: object) -> object:
        return None if value == "" else value


class UploadHeader(BaseModel):
    """The first message of an upload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: OptionalId = ""
    inquiry_id: OptionalId = ""
    kind: str = ""
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    document_id: OptionalId = ""
    expected_version: Version = 0
    supersedes_document_id: OptionalId = ""

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        kinds = get_args(DocumentKind)
        if kind and kind not in kinds:
            raise ValueError(f"one of {', '.join(kinds)}")
        return kind

    def missing(self) -> list[str]:
        """The fields a new document needs that are empty (none for a draft's next version)."""
        if self.document_id:
            return []
        return [n for n in ("case_id", "kind", "title") if not getattr(self, n)]


class RenderDocument(BaseModel):
    """Render a template as a draft."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: OptionalId = ""
    template: Id
    fields: dict[Annotated[str, StringConstraints(max_length=100)], str] = Field(
        default_factory=dict, max_length=50
    )
    recommendations: list[Annotated[str, StringConstraints(max_length=5_000)]] = Field(
        default_factory=list, max_length=100
    )
    further_recommendations: Annotated[str, StringConstraints(max_length=20_000)] = ""
    document_id: OptionalId = ""
    expected_version: Version = 0
    supersedes_document_id: OptionalId = ""
    format: Literal["pdf", "docx"] = "pdf"

    @field_validator("format", mode="before")
    @classmethod
    def _default_pdf(cls, value: object) -> object:
        return "pdf" if value == "" else value

    def missing(self) -> list[str]:
        """case_id when neither a case (a new document) nor a draft is named."""
        return [] if self.case_id or self.document_id else ["case_id"]


class FinaliseDocument(BaseModel):
    """Finalise a draft."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document_id: Id
    expected_version: Version
    sent_to: list[Text] = Field(default_factory=list, max_length=50)
    annex_document_ids: list[Id] = Field(default_factory=list, max_length=20)
