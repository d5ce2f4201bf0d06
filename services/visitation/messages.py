"""Visitation's events; also the Kafka payload schema."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from services.intake.messages import MainArea
from services.kernel.envelope import EventPayload


class VisitationCaseOpened(EventPayload):
    """A visitation case was opened for an inquiry and given a responsible consultant."""

    event_type = "VisitationCaseOpened"

    case_id: str
    inquiry_id: str
    main_area: MainArea
    consultant_id: str = Field(description="The consultant responsible for the case.")
    opened_at: datetime

    def subject(self) -> str:
        return self.case_id
