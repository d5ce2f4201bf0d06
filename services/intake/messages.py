"""Intake's commands and events; the events are also the Kafka payload schema."""

from __future__ import annotations

from datetime import datetime
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
