"""Visitation's events; also the Kafka payload schema."""

from __future__ import annotations

from datetime import date, datetime

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


class CaseHandedToLeverance(EventPayload):
    """A supplier said yes and held the clarifying meeting; the delivery agreement may start.

    Contract: leverance opens the course for (case_id, supplier_id) on it, so that supplier's
    specialist can propose the delivery agreement. One per supplier on a case.
    """

    event_type = "CaseHandedToLeverance"

    case_id: str
    inquiry_id: str
    supplier_id: str
    specialist_id: str = Field(description="The supplier's specialist who accepted.")
    consultant_id: str
    main_area: MainArea
    service: str = Field(description="The advisory service id chosen, e.g. single_case.")
    clarifying_meeting_on: date
    summary_note_due: date | None = None
    handed_at: datetime

    def subject(self) -> str:
        return self.case_id
