"""What callers ask of concern reports: immutable, unknown fields refused."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.documents.concern.model import Recipient, Subject

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2_000)]


class DraftConcernReport(BaseModel):
    """Draft a concern report on a case."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: Id
    subject: Subject
    recipients: list[Recipient] = Field(min_length=1, max_length=4)
    municipality_code: Annotated[str, StringConstraints(pattern=r"^(\d{3})?$")] = ""
    facts: Body
    viso_task: Body
    observations: Body


class RecordAnkestyrelsen(BaseModel):
    """The consultant's Ankestyrelsen step."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    report_id: Id
    notified: bool
    manager_consulted: Short = ""
    what_sent: Short = ""
