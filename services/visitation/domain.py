"""Visitation's rules; no I/O."""

from __future__ import annotations

from datetime import datetime

from services.intake.messages import MainArea
from services.kernel.store import Aggregate
from services.visitation.messages import VisitationCaseOpened


class VisitationCase(Aggregate):
    """A consultant's visitation of one inquiry."""

    inquiry_id: str
    status: str
    main_area: MainArea
    consultant_id: str
    opened_at: datetime


def open_case(
    *, case_id: str, inquiry_id: str, main_area: MainArea, consultant_id: str, now: datetime
) -> tuple[VisitationCase, VisitationCaseOpened]:
    """A new case for an inquiry and the event announcing it."""
    case = VisitationCase(
        id=case_id,
        inquiry_id=inquiry_id,
        status="opened",
        main_area=main_area,
        consultant_id=consultant_id,
        opened_at=now,
    )
    event = VisitationCaseOpened(
        case_id=case_id,
        inquiry_id=inquiry_id,
        main_area=main_area,
        consultant_id=consultant_id,
        opened_at=now,
    )
    return case, event
