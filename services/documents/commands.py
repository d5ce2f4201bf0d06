"""What callers ask documents to do: immutable, unknown fields refused."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.contracts.documents import DocumentKind, Id, Text


class JournalDocument(BaseModel):
    """Journal a document on a case."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: Id
    inquiry_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    kind: DocumentKind
    title: Text
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    sent_to: list[Text] = Field(default_factory=list, max_length=50)
