"""Courses the central unit runs itself (H 3.2, 3.11, 3.12): no supplier is offered the case;
after the clarifying meeting the course goes to leverance with the consultant, or a named VISO
colleague, delivering it."""

from __future__ import annotations

from datetime import date, datetime

from services.contracts.visitation import CaseHandedToCentralUnit
from services.kernel.errors import IllegalTransition, InvalidInput
from services.visitation.catalog import Catalog
from services.visitation.commands import RecordCentralClarifyingMeeting
from services.visitation.domain import deadlines
from services.visitation.domain.case import Events, not_after_today, not_before, require_statuses
from services.visitation.domain.model import (
    OPEN_OFFER_STATUSES,
    CentralUnitCourse,
    VisitationCase,
)


def record_central_clarifying_meeting(
    case: VisitationCase,
    command: RecordCentralClarifyingMeeting,
    *,
    today: date,
    now: datetime,
    by: str,
    catalog: Catalog,
) -> tuple[VisitationCase, Events]:
    """The clarifying meeting was held: the central unit runs the course, handed to leverance."""
    not_after_today("held_on", command.held_on, today)
    if not command.citizen_attended and not command.citizen_absence_reason.strip():
        raise InvalidInput.single(
            "citizen_absence_reason", "record why the citizen did not take part"
        )
    changed = require_statuses(case, ("proceeding",), "handing the course to the central unit")
    service = catalog.service(changed.service_id or "")
    if service is None or not service.central_unit_course:
        raise IllegalTransition(
            f"{changed.service_id} is delivered by a supplier's specialist; offer it to a supplier"
        )
    still_open = [o.offer_id for o in changed.offers if o.status in OPEN_OFFER_STATUSES]
    if still_open:
        raise IllegalTransition(
            f"offer {', '.join(still_open)} to a supplier is still open; the central unit takes "
            "the course only when no supplier does"
        )
    decided_on = changed.decision.decided_on if changed.decision else None
    not_before("held_on", command.held_on, decided_on, "the decision to proceed")
    delivered_by = command.delivered_by.strip() or changed.consultant_id
    changed.central_unit = CentralUnitCourse(
        delivered_by=delivered_by,
        clarifying_meeting_on=command.held_on,
        citizen_attended=command.citizen_attended,
        citizen_absence_reason=command.citizen_absence_reason.strip() or None,
        recorded_by=by,
        handed_over_at=now,
    )
    changed.status = "handed_over"
    # Extended phone advice the consultant gives: no supplier is to be contacted any more.
    events: Events = list(
        deadlines.cancel_pending(changed, f"the central unit delivers the {service.id} itself")
    )
    handed = CaseHandedToCentralUnit(
        case_id=changed.id,
        inquiry_id=changed.inquiry_id,
        consultant_id=changed.consultant_id,
        delivered_by=delivered_by,
        main_area=changed.main_area,
        service=service.id,
        clarifying_meeting_on=command.held_on,
        handed_at=now,
        course_max_months=service.max_duration_months,
        citizen_attended=command.citizen_attended,
        high_conflict=changed.fact("high_conflict"),
        press_attention=changed.fact("press_attention"),
    )
    return changed, [*events, handed]
