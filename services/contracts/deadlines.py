"""Deadline events: every due date set, met, missed or changed, by any service.

Each service emits them on its own topic with the case as subject; notifications reminds and
escalates from them. `deadline_id` is stable for one deadline across its events.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from services.contracts.channel import Channel
from services.kernel.envelope import EventPayload

CHANNELS = tuple(
    Channel.events_of(service) for service in ("intake", "visitation", "leverance", "documents")
)
"""Each service owning deadlines publishes their events on its own topic."""


class _DeadlineEvent(EventPayload):
    deadline_id: str
    case_id: str
    rule: str = Field(description="Rule id.", examples=["visitation.first_contact"])
    rule_text: str = Field(description="The rule in words, e.g. 'contact the inquirer'.")
    start: date
    due: date
    explanation: str = Field(description="How the due date was computed (the calendar's text).")
    responsible_user_id: str | None = None
    responsible_role: str = Field(description="consultant, specialist, manager, ...")
    supplier_id: str | None = Field(default=None, description="Set when a supplier must act.")
    consultant_id: str | None = Field(
        default=None, description="The case's consultant, also told when the deadline is missed."
    )
    notify_user_ids: list[str] = Field(
        default_factory=list,
        description="Who is reminded when no responsible_user_id is named, e.g. every "
        "specialist of the supplier an offer went to.",
    )

    def subject(self) -> str:
        return self.case_id


class DeadlineSet(_DeadlineEvent):
    """A due date was set."""

    event_type = "DeadlineSet"


class DeadlineMet(_DeadlineEvent):
    """The step was done on `met_on`."""

    event_type = "DeadlineMet"

    met_on: date


class DeadlineMissed(_DeadlineEvent):
    """The due date passed without the step being done."""

    event_type = "DeadlineMissed"


class DeadlineChanged(_DeadlineEvent):
    """The due date moved; `due` is the new one."""

    event_type = "DeadlineChanged"

    previous_due: date
    reason: str


class DeadlineCancelled(_DeadlineEvent):
    """The step is no longer needed (the case closed or moved on another way)."""

    event_type = "DeadlineCancelled"

    reason: str
