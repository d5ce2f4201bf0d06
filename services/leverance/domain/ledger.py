"""The deadline ledger: where each deadline leverance set stands, read from its own events.

Every Deadline* event leverance emits updates the ledger in the same transaction, so the
periodic check can find overdue deadlines and report each missed exactly once.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from services.contracts.deadlines import (
    DeadlineCancelled,
    DeadlineChanged,
    DeadlineMet,
    DeadlineMissed,
    DeadlineSet,
)
from services.kernel.envelope import EventPayload
from services.kernel.store import Aggregate
from services.leverance.domain.types import Day

LedgerStatus = Literal["open", "met", "missed", "cancelled"]
DeadlineEvent = DeadlineSet | DeadlineMet | DeadlineChanged | DeadlineCancelled | DeadlineMissed
_FIELDS = (
    "case_id",
    "rule",
    "rule_text",
    "start",
    "due",
    "explanation",
    "responsible_user_id",
    "responsible_role",
    "supplier_id",
    "consultant_id",
)


class TrackedDeadline(Aggregate):
    """One deadline (id = deadline id) and whether it is open, met, missed or cancelled."""

    case_id: str
    rule: str
    rule_text: str
    start: Day
    due: Day
    explanation: str
    responsible_role: str
    responsible_user_id: str | None = None
    supplier_id: str | None = None
    consultant_id: str | None = None
    status: LedgerStatus = "open"
    met_on: Day | None = None
    missed_reported: bool = False


def is_deadline_event(event: EventPayload) -> bool:
    """Whether an event moves a deadline."""
    return isinstance(
        event, DeadlineSet | DeadlineMet | DeadlineChanged | DeadlineCancelled | DeadlineMissed
    )


def track(found: TrackedDeadline | None, event: DeadlineEvent) -> TrackedDeadline:
    """The ledger entry after a deadline event (a set or a move reopens it)."""
    fields = {name: getattr(event, name) for name in _FIELDS}
    base = (
        TrackedDeadline(id=event.deadline_id, **fields)
        if found is None
        else found.model_copy(update=fields)
    )
    if isinstance(event, DeadlineSet | DeadlineChanged):
        return base.model_copy(update={"status": "open", "missed_reported": False, "met_on": None})
    if isinstance(event, DeadlineMet):
        return base.model_copy(update={"status": "met", "met_on": event.met_on})
    if isinstance(event, DeadlineCancelled):
        return base.model_copy(update={"status": "cancelled"})
    return base.model_copy(update={"status": "missed", "missed_reported": True})


def is_overdue(deadline: TrackedDeadline, today: date) -> bool:
    """Open, past its due date, and not yet reported missed."""
    return deadline.status == "open" and deadline.due < today and not deadline.missed_reported


def report_missed(deadline: TrackedDeadline, today: date) -> list[EventPayload]:
    """The event reporting an overdue deadline missed; nothing when it is not overdue."""
    if not is_overdue(deadline, today):
        return []
    fields = {name: getattr(deadline, name) for name in _FIELDS}
    return [DeadlineMissed(deadline_id=deadline.id, **fields)]
