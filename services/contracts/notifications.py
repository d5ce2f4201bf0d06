"""Notifications' events; the payloads carry no personal data."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from services.contracts.channel import Channel
from services.contracts.common import MainArea
from services.kernel.envelope import ContractModel, EventPayload

CHANNELS = (Channel.events_of("notifications"),)


class SurveyAnswer(ContractModel):
    """The option chosen for one question of the satisfaction survey."""

    question_id: str = Field(examples=["overall_satisfaction"])
    answer: str = Field(examples=["very_high"])


class SatisfactionSurveyAnswered(EventPayload):
    """The recipient answered the satisfaction survey of a closed course (AR 6.1).

    Contract: statistics counts the answers per question and main area; the survey's year is
    the year the course closed, as in SatisfactionSurveyRequested.
    """

    event_type = "SatisfactionSurveyAnswered"

    case_id: str
    service: str
    main_area: MainArea
    year: int = Field(description="The year the course closed (Danish time).")
    answers: list[SurveyAnswer]
    answered_at: datetime

    def subject(self) -> str:
        return self.case_id
