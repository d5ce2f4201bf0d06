"""What the central unit asks of access requests: immutable, unknown fields refused."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.documents.access.model import Decision, Relation

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]
Optional = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


def _empty_is_none(value: object) -> object:
    return None if value == "" else value


class RegisterAccessRequest(BaseModel):
    """Register an access request as the central unit received it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Literal["phone", "sms", "letter", "email", "in_person"]
    received_on: date | None = None
    requester_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    requester_contact: Optional = ""
    relation: Relation
    on_behalf_of: Optional = ""
    power_of_attorney: Optional = ""
    case_ids: list[Id] = Field(min_length=1, max_length=50)
    period_from: date | None = None
    period_to: date | None = None
    manager_id: Optional = ""

    _dates = field_validator("received_on", "period_from", "period_to", mode="before")(
        _empty_is_none
    )


class DecideAccessItem(BaseModel):
    """Decide one compiled item."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: Id
    item_id: Id
    decision: Decision
    legal_basis: Optional = ""
    redacted_passages: list[Annotated[str, StringConstraints(max_length=2_000)]] = Field(
        default_factory=list, max_length=100
    )


class SendAccessDelayLetter(BaseModel):
    """Tell the requester an answer will be late."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: Id
    part: Literal["decision", "gdpr", "files_act"]
    reason: Text
    expected_on: date


class ExtendAccessDeadline(BaseModel):
    """Extend the personal-data part."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: Id
    reason: Text
