"""After a yes: the clarifying meeting is booked and held, the case handed to leverance, and the
summary note sent (H 5.1.2-5.1.3)."""

from __future__ import annotations

from datetime import date, datetime

from services.contracts.visitation import CaseHandedToLeverance, SummaryNoteSent, VisitationDecided
from services.kernel.context import Principal
from services.kernel.errors import IllegalTransition, InvalidInput
from services.visitation.catalog import Catalog
from services.visitation.commands import (
    RecordClarifyingMeeting,
    RecordInquirerContact,
    RecordSummaryNote,
)
from services.visitation.domain import deadlines
from services.visitation.domain.case import Events, not_after_today, not_before, require_statuses
from services.visitation.domain.model import (
    OPEN_OFFER_STATUSES,
    Decision,
    Offer,
    VisitationCase,
)
from services.visitation.domain.offers import OFFERING_STATUSES, find_offer, require_offer
from services.workdays import WorkingDayCalendar


def record_inquirer_contact(
    case: VisitationCase, command: RecordInquirerContact, *, today: date
) -> tuple[VisitationCase, Events]:
    """The specialist contacted the inquirer and booked the clarifying meeting."""
    changed = require_statuses(case, OFFERING_STATUSES, "booking the clarifying meeting")
    offer = find_offer(changed, command.offer_id)
    require_offer(offer, "accepted", step="booking the clarifying meeting")
    not_after_today("contacted_on", command.contacted_on, today)
    if command.meeting_on < command.contacted_on:
        raise InvalidInput.single(
            "meeting_on",
            f"{command.meeting_on.isoformat()} is before the contact "
            f"({command.contacted_on.isoformat()})",
        )
    not_before("contacted_on", command.contacted_on, offer.answered_on, "the acceptance")
    offer.status = "meeting_booked"
    offer.inquirer_contacted_on = command.contacted_on
    offer.meeting_on = command.meeting_on
    events: Events = list(
        deadlines.meet(
            changed,
            deadlines.SPECIALIST_CONTACTS_INQUIRER.id,
            command.contacted_on,
            offer_id=offer.offer_id,
        )
    )
    # The meeting must be offered within 30 days of the acceptance (H 5.1.2): a date after the
    # due date does not meet it. It stays pending (reported missed once due, met when the meeting
    # is held) unless the consultant first moved it to the later day agreed with the inquirer.
    rule = deadlines.CLARIFYING_MEETING_OFFERED.id
    within = deadlines.pending(changed, rule, offer.offer_id)
    if within is not None and command.meeting_on <= within.due:
        events += deadlines.meet(changed, rule, command.contacted_on, offer_id=offer.offer_id)
    return changed, events


def record_clarifying_meeting(
    case: VisitationCase,
    command: RecordClarifyingMeeting,
    *,
    today: date,
    now: datetime,
    by: str,
    calendar: WorkingDayCalendar,
    catalog: Catalog,
) -> tuple[VisitationCase, Events]:
    """The clarifying meeting was held: hand over to leverance, or close if outside scope."""
    changed = require_statuses(case, OFFERING_STATUSES, "recording the clarifying meeting")
    offer = find_offer(changed, command.offer_id)
    require_offer(offer, "meeting_booked", step="recording the clarifying meeting")
    not_after_today("held_on", command.held_on, today)
    if not command.citizen_attended and not command.citizen_absence_reason.strip():
        raise InvalidInput.single(
            "citizen_absence_reason", "record why the citizen did not take part"
        )
    not_before("held_on", command.held_on, offer.inquirer_contacted_on, "the booking contact")
    offer.meeting_held_on = command.held_on
    offer.citizen_attended = command.citizen_attended
    offer.citizen_absence_reason = command.citizen_absence_reason.strip() or None
    events: Events = [
        *deadlines.meet(
            changed, deadlines.PREFERRED_MEETING_RULE_ID, command.held_on, offer_id=offer.offer_id
        ),
        *deadlines.meet(
            changed,
            deadlines.CLARIFYING_MEETING_OFFERED.id,
            command.held_on,
            offer_id=offer.offer_id,
        ),
    ]
    if command.outside_scope_reason.strip():
        return _outside_scope_at_meeting(changed, offer, command, events, by, today, catalog)
    service = catalog.service(changed.service_id or "")
    note_due = deadlines.set_deadline(
        changed,
        deadlines.SUMMARY_NOTE,
        command.held_on,
        calendar,
        offer_id=offer.offer_id,
        supplier_id=offer.supplier_id,
        responsible_user_id=offer.specialist_id,
    )
    offer.status = "handed_over"
    offer.handed_over_at = now
    changed.status = "handed_over"
    handed = CaseHandedToLeverance(
        case_id=changed.id,
        inquiry_id=changed.inquiry_id,
        supplier_id=offer.supplier_id,
        specialist_id=offer.specialist_id or "",
        consultant_id=changed.consultant_id,
        main_area=changed.main_area,
        service=changed.service_id or "",
        clarifying_meeting_on=command.held_on,
        summary_note_due=note_due.due,
        handed_at=now,
        offer_id=offer.offer_id,
        course_max_months=service.max_duration_months if service else None,
        citizen_attended=command.citizen_attended,
        high_conflict=changed.fact("high_conflict"),
        press_attention=changed.fact("press_attention"),
    )
    return changed, [*events, note_due, handed]


def _outside_scope_at_meeting(
    changed: VisitationCase,
    offer: Offer,
    command: RecordClarifyingMeeting,
    events: Events,
    by: str,
    today: date,
    catalog: Catalog,
) -> tuple[VisitationCase, Events]:
    """The meeting showed the inquiry is outside scope: the course and the offers close."""
    reason = command.outside_scope_reason.strip()
    offer.status = "outside_scope"
    offer.outside_scope_reason = reason
    for other in changed.offers:
        if other.status in OPEN_OFFER_STATUSES:
            other.status = "withdrawn"
    events += deadlines.cancel_pending(changed, "outside scope at the clarifying meeting")
    changed.decision = Decision(
        outcome="outside_scope",
        advice_given=False,
        reasoning=reason,
        decided_by=by,
        decided_on=today,
        service_id=changed.service_id,
        outside_scope_reason="found at the clarifying meeting",
        complaint_guidance=catalog.complaint_guidance,
    )
    changed.status = "outside_scope"
    decided = VisitationDecided(
        case_id=changed.id,
        inquiry_id=changed.inquiry_id,
        outcome="outside_scope",
        advice_given=False,
        service_id=changed.service_id,
        reasoning=reason,
        complaint_guidance=catalog.complaint_guidance,
        decided_by=by,
        decided_on=today,
    )
    return changed, [*events, decided]


INQUIRER = "henvender"
"""The note's recipient when the case does not name the inquirer."""


def record_summary_note(
    case: VisitationCase,
    command: RecordSummaryNote,
    *,
    today: date,
    now: datetime,
    by: Principal,
) -> tuple[VisitationCase, Events]:
    """The specialist sent the summary note; meets its 5-working-day deadline and announces it
    for journaling (and so for leverance's agreement-proposal deadline)."""
    changed = require_statuses(case, ("handed_over",), "recording the summary note")
    offer = find_offer(changed, command.offer_id)
    require_offer(offer, "handed_over", step="recording the summary note")
    if offer.summary_note_sent_on is not None:
        raise IllegalTransition(f"the summary note of offer {offer.offer_id} is already recorded")
    not_after_today("sent_on", command.sent_on, today)
    not_before("sent_on", command.sent_on, offer.meeting_held_on, "the clarifying meeting")
    offer.summary_note_sent_on = command.sent_on
    offer.summary_note = command.note
    events: Events = list(
        deadlines.meet(changed, deadlines.SUMMARY_NOTE.id, command.sent_on, offer_id=offer.offer_id)
    )
    sent = SummaryNoteSent(
        case_id=changed.id,
        inquiry_id=changed.inquiry_id,
        offer_id=offer.offer_id,
        supplier_id=offer.supplier_id,
        specialist_id=offer.specialist_id,
        sent_on=command.sent_on,
        sent_to=[changed.inquirer_name.strip() or INQUIRER],
        recorded_by=by.user_id,
        recorded_by_role=by.role,
        recorded_at=now,
    )
    return changed, [*events, sent]
