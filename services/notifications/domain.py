"""Notification rules; no I/O."""

from __future__ import annotations

from datetime import datetime

from services.contracts.visitation import VisitationCaseOpened
from services.kernel.store import Aggregate


class Notice(Aggregate):
    """A message to one user about something that needs their attention."""

    recipient_id: str
    kind: str
    subject_id: str
    text: str
    created_at: datetime
    source_event_id: str
    urgent: bool = False


def case_assigned_notice(
    opened: VisitationCaseOpened, *, notice_id: str, source_event_id: str, now: datetime
) -> Notice:
    """The notice telling a consultant a case is theirs."""
    return Notice(
        id=notice_id,
        recipient_id=opened.consultant_id,
        kind="case_assigned",
        subject_id=opened.case_id,
        text=f"Visitation case {opened.case_id} (inquiry {opened.inquiry_id}, "
        f"{opened.main_area}) has been assigned to you.",
        created_at=now,
        source_event_id=source_event_id,
    )
