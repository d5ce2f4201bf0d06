"""What leverance keeps of a visitation case."""

from __future__ import annotations

from datetime import datetime

from services.contracts.common import MainArea
from services.contracts.visitation import VisitationCaseOpened
from services.kernel.store import Aggregate


class CaseReference(Aggregate):
    """What leverance keeps of a visitation case, to attach delivery agreements to later."""

    inquiry_id: str
    main_area: MainArea
    consultant_id: str
    opened_at: datetime


def reference_case(opened: VisitationCaseOpened) -> CaseReference:
    """The reference kept for an opened case."""
    return CaseReference(
        id=opened.case_id,
        inquiry_id=opened.inquiry_id,
        main_area=opened.main_area,
        consultant_id=opened.consultant_id,
        opened_at=opened.opened_at,
    )
