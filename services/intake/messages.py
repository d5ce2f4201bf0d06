"""Intake's commands and events; the events are also the Kafka payload schema."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.kernel.envelope import EventPayload

MainArea = Literal["adults", "children_youth", "special_education", "other"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)
]


class Command(BaseModel):
    """Base of intake's commands: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class RegisterInquiry(Command):
    """Register a new inquiry."""

    inquirer_name: Name
    main_area: MainArea
    citizen_name: Name
    description: Description


class UpdateInquiryDescription(Command):
    """Replace an inquiry's description, if it is still at the version the caller read."""

    inquiry_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    expected_version: int = Field(ge=1)
    description: Description


class AssignInquiry(Command):
    """Record the consultant a distribution list gave an inquiry."""

    inquiry_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    consultant_id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    distributed_on: date


class InquiryRegistered(EventPayload):
    """An inquiry was registered."""

    event_type = "InquiryRegistered"

    inquiry_id: str = Field(description="Id of the new inquiry.")
    main_area: MainArea = Field(examples=["children_youth"])
    registered_at: datetime

    def subject(self) -> str:
        return self.inquiry_id


class InquiryDescriptionChanged(EventPayload):
    """An inquiry's description was replaced."""

    event_type = "InquiryDescriptionChanged"

    inquiry_id: str
    version: int

    def subject(self) -> str:
        return self.inquiry_id


class InquiryAssigned(EventPayload):
    """Support registered a consultant for an inquiry from a distribution list.

    Contract: visitation opens the visitation case on it; notifications and documents use it
    for the receipt and personal-data letters. It never carries a plain CPR number.
    """

    event_type = "InquiryAssigned"

    inquiry_id: str = Field(description="The inquiry (one per citizen; a family is split).")
    consultant_id: str = Field(description="The consultant now responsible.")
    distributed_on: date = Field(description="Date of the distribution list; deadlines start here.")
    assigned_at: datetime
    assigned_by: str = Field(description="The Support user who registered the assignment.")
    main_area: MainArea
    requested_service: str | None = Field(
        default=None, description="Advisory service id asked for, e.g. single_case."
    )
    inquirer_name: str = Field(default="", description="Who asked (the body or the person).")
    inquirer_type: str | None = Field(
        default=None, description="Reference-data inquirer type, e.g. municipal_administration."
    )
    municipality_code: str | None = Field(
        default=None, description="Danish municipality code (e.g. 461 Odense); None if unknown."
    )
    citizen_ref: str | None = Field(
        default=None,
        description="Opaque citizen reference (keyed CPR hash or random id); never a CPR.",
    )
    citizen_age_years: int | None = Field(default=None, ge=0, le=130)
    target_groups: list[str] = Field(default_factory=list, description="Reference-data ids.")
    family_group_id: str | None = Field(
        default=None, description="Shared by the cases split from one family inquiry."
    )

    def subject(self) -> str:
        return self.inquiry_id
