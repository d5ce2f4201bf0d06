"""KaS events; the payloads carry no personal data."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from services.contracts.channel import Channel
from services.kernel.envelope import EventPayload

CHANNELS = (Channel.events_of("intake"),)


class KasRegistrationSaved(EventPayload):
    """A KaS registration was saved (draft, completed or closed); no personal data."""

    event_type = "KasRegistrationSaved"

    registration_id: str
    kas_number: str
    supplier_id: str
    status: str
    handling: str
    inquiry_date: date | None = None
    course_expected: bool | None = Field(
        default=None,
        description="(added) The handling ticked is one the code list marks as a course "
        "(forløb forventes igangsat); unset in a draft without one.",
    )

    def subject(self) -> str:
        return self.registration_id
