"""Offers to suppliers: choice with justification, yes/no, clarifying meeting and handover."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from services.kernel.context import Principal
from services.kernel.errors import IllegalTransition, InvalidInput, NotFound
from services.visitation.catalog import AdvisoryService, Catalog
from services.visitation.catalog import Estimate as PriceEstimate
from services.visitation.domain import deadlines
from services.visitation.domain.case import Events, not_after_today, not_before, require_statuses
from services.visitation.domain.model import Decision, Offer, VisitationCase
from services.visitation.domain.suppliers import Need, Ranking
from services.visitation.messages import (
    AnswerOffer,
    CaseHandedToLeverance,
    Estimate,
    NextSupplierNeeded,
    OfferAnswered,
    OfferToSupplier,
    RecordClarifyingMeeting,
    RecordInquirerContact,
    RecordSummaryNote,
    SupplierOffered,
    VisitationDecided,
)
from services.workdays import WorkingDayCalendar

OFFERING_STATUSES = ("proceeding", "handed_over")


def price_estimate(estimate: Estimate, catalog: Catalog) -> PriceEstimate:
    """The consultant's estimate, completed with the reference data's defaults."""
    default = catalog.default_estimate
    return PriceEstimate(
        hours=default.hours if estimate.hours is None else estimate.hours,
        transport_km=default.transport_km
        if estimate.transport_km is None
        else estimate.transport_km,
        transport_hours=default.transport_hours
        if estimate.transport_hours is None
        else estimate.transport_hours,
    )


def chosen_service(case: VisitationCase, catalog: Catalog) -> AdvisoryService:
    """The service the case proceeds with; suppliers only for services that involve one."""
    service = catalog.service(case.service_id or "")
    if case.status not in OFFERING_STATUSES or service is None:
        raise IllegalTransition(
            f"case {case.id} is {case.status}; suppliers are chosen after proceeding with a service"
        )
    if service.supplier == "none":
        raise IllegalTransition(f"{service.id} is delivered by VISO's consultant, not a supplier")
    return service


def need_of(case: VisitationCase, service: AdvisoryService, today: date) -> Need:
    """What a supplier must meet for this case."""
    return Need(
        main_area=case.main_area,
        service_id=service.id,
        citizen_age_years=case.citizen_age_years,
        target_groups=tuple(case.target_groups),
        on=today,
    )


def offered_statuses(case: VisitationCase) -> dict[str, str]:
    """The latest offer status per supplier on the case."""
    return {o.supplier_id: o.status for o in case.offers}


def offer_to_supplier(
    case: VisitationCase,
    command: OfferToSupplier,
    *,
    ranking: Ranking,
    offer_id: str,
    by: str,
    today: date,
    calendar: WorkingDayCalendar,
    catalog: Catalog,
) -> tuple[VisitationCase, Events]:
    """Send the case to an eligible supplier, recording the justification and its rank."""
    service = chosen_service(case, catalog)
    if command.supplier_id in offered_statuses(case):
        raise IllegalTransition(f"the case was already offered to supplier {command.supplier_id}")
    candidate = ranking.candidate(command.supplier_id)
    if candidate is None:
        excluded = next((e for e in ranking.excluded if e.supplier_id == command.supplier_id), None)
        if excluded is None:
            raise NotFound("supplier", command.supplier_id)
        raise IllegalTransition(
            f"supplier {command.supplier_id} is not eligible: {'; '.join(excluded.reasons)}"
        )
    top = ranking.first_not_offered()
    assert top is not None
    rank = 1 + sum(
        1 for c in ranking.candidates if c.offer_status is None and c.rank < candidate.rank
    )
    changed = require_statuses(case, OFFERING_STATUSES, "offering to a supplier")
    changed.offers.append(
        Offer(
            offer_id=offer_id,
            supplier_id=candidate.supplier_id,
            supplier_name=candidate.name,
            status="offered",
            rank=rank,
            top_ranked_supplier_id=top.supplier_id,
            justification=command.justification,
            estimated_price_dkk=str(candidate.estimated_price_dkk),
            offered_on=today,
            offered_by=by,
            contact_specialist_id=command.specialist_id.strip() or None,
        )
    )
    deadline_set = deadlines.set_deadline(
        changed,
        deadlines.SUPPLIER_ANSWER,
        today,
        calendar,
        offer_id=offer_id,
        supplier_id=candidate.supplier_id,
        responsible_user_id=command.specialist_id.strip() or None,
    )
    offered = SupplierOffered(
        case_id=case.id,
        offer_id=offer_id,
        supplier_id=candidate.supplier_id,
        service_id=service.id,
        rank=rank,
        justification=command.justification,
        answer_due=deadline_set.due,
    )
    return changed, [offered, deadline_set]


def _offer(case: VisitationCase, offer_id: str) -> Offer:
    offer = case.offer(offer_id)
    if offer is None:
        raise NotFound("offer", offer_id)
    return offer


def _require_offer(offer: Offer, *statuses: str, step: str) -> None:
    if offer.status not in statuses:
        raise IllegalTransition(
            f"offer {offer.offer_id} is {offer.status}; {step} needs it to be "
            + " or ".join(statuses)
        )


def _next_supplier(
    case: VisitationCase,
    offer: Offer,
    ranking: Ranking,
    why: Literal["declined", "expired"],
    reason: str | None,
) -> NextSupplierNeeded:
    following = ranking.first_not_offered()
    return NextSupplierNeeded(
        case_id=case.id,
        offer_id=offer.offer_id,
        consultant_id=case.consultant_id,
        previous_supplier_id=offer.supplier_id,
        why=why,
        reason=reason,
        next_supplier_id=following.supplier_id if following else None,
        next_supplier_name=following.name if following else None,
    )


def answer_offer(
    case: VisitationCase,
    command: AnswerOffer,
    *,
    principal: Principal,
    ranking: Ranking,
    today: date,
    calendar: WorkingDayCalendar,
    catalog: Catalog,
) -> tuple[VisitationCase, Events]:
    """The supplier's yes (with its specialist) or no (with a concrete reason)."""
    if not command.accept and not command.reason.strip():
        raise InvalidInput.single("reason", "a no must be concretely justified")
    specialist = command.specialist_id.strip() or (
        principal.user_id if principal.role == "specialist" else ""
    )
    if command.accept and not specialist:
        raise InvalidInput.single("specialist_id", "name the specialist who takes the task")
    changed = require_statuses(case, OFFERING_STATUSES, "answering an offer")
    offer = _offer(changed, command.offer_id)
    _require_offer(offer, "offered", step="answering")
    offer.answered_on = today
    offer.answered_by = principal.user_id
    events: Events = list(
        deadlines.meet(changed, deadlines.SUPPLIER_ANSWER.id, today, offer_id=offer.offer_id)
    )
    answered = OfferAnswered(
        case_id=case.id,
        offer_id=offer.offer_id,
        supplier_id=offer.supplier_id,
        accepted=command.accept,
        reason=command.reason.strip() or None,
        specialist_id=specialist or None,
        answered_on=today,
    )
    if not command.accept:
        offer.status = "declined"
        offer.decline_reason = command.reason.strip()
        next_needed = _next_supplier(changed, offer, ranking, "declined", offer.decline_reason)
        return changed, [answered, *events, next_needed]
    offer.status = "accepted"
    offer.specialist_id = specialist
    scope = {"offer_id": offer.offer_id, "supplier_id": offer.supplier_id}
    events.append(
        deadlines.set_deadline(
            changed,
            deadlines.SPECIALIST_CONTACTS_INQUIRER,
            today,
            calendar,
            responsible_user_id=specialist,
            **scope,
        )
    )
    events.append(
        deadlines.set_deadline(
            changed,
            deadlines.CLARIFYING_MEETING_OFFERED,
            today,
            calendar,
            responsible_user_id=specialist,
            **scope,
        )
    )
    service = catalog.service(changed.service_id or "")
    if service is not None and service.clarifying_meeting_within_days is not None:
        rule = deadlines.preferred_meeting_rule(service.clarifying_meeting_within_days)
        events.append(
            deadlines.set_deadline(
                changed, rule, today, calendar, responsible_user_id=specialist, **scope
            )
        )
    return changed, [answered, *events]


def expire_offer(
    case: VisitationCase, offer_id: str, ranking: Ranking
) -> tuple[VisitationCase, Events]:
    """An offer whose answer deadline was missed expires; the consultant picks the next one.

    Works on (and mutates) a working copy the caller already made.
    """
    offer = _offer(case, offer_id)
    if offer.status != "offered":
        return case, []
    offer.status = "expired"
    return case, [_next_supplier(case, offer, ranking, "expired", "no answer in time")]


def record_inquirer_contact(
    case: VisitationCase, command: RecordInquirerContact, *, today: date
) -> tuple[VisitationCase, Events]:
    """The specialist contacted the inquirer and booked the clarifying meeting."""
    changed = require_statuses(case, OFFERING_STATUSES, "booking the clarifying meeting")
    offer = _offer(changed, command.offer_id)
    _require_offer(offer, "accepted", step="booking the clarifying meeting")
    not_after_today("contacted_on", command.contacted_on, today)
    not_before("contacted_on", command.contacted_on, offer.answered_on, "the acceptance")
    not_before("meeting_on", command.meeting_on, command.contacted_on, "the contact")
    offer.status = "meeting_booked"
    offer.inquirer_contacted_on = command.contacted_on
    offer.meeting_on = command.meeting_on
    events: Events = [
        *deadlines.meet(
            changed,
            deadlines.SPECIALIST_CONTACTS_INQUIRER.id,
            command.contacted_on,
            offer_id=offer.offer_id,
        ),
        *deadlines.meet(
            changed,
            deadlines.CLARIFYING_MEETING_OFFERED.id,
            command.contacted_on,
            offer_id=offer.offer_id,
        ),
    ]
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
    offer = _offer(changed, command.offer_id)
    _require_offer(offer, "meeting_booked", step="recording the clarifying meeting")
    not_after_today("held_on", command.held_on, today)
    not_before("held_on", command.held_on, offer.inquirer_contacted_on, "the booking contact")
    if not command.citizen_attended and not command.citizen_absence_reason.strip():
        raise InvalidInput.single(
            "citizen_absence_reason", "record why the citizen did not take part"
        )
    offer.meeting_held_on = command.held_on
    offer.citizen_attended = command.citizen_attended
    offer.citizen_absence_reason = command.citizen_absence_reason.strip() or None
    events: Events = list(
        deadlines.meet(
            changed, deadlines.PREFERRED_MEETING_RULE_ID, command.held_on, offer_id=offer.offer_id
        )
    )
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
        if other.status in ("offered", "accepted", "meeting_booked"):
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


def record_summary_note(
    case: VisitationCase, command: RecordSummaryNote, *, today: date
) -> tuple[VisitationCase, Events]:
    """The specialist sent the summary note; meets its 5-working-day deadline."""
    changed = require_statuses(case, ("handed_over",), "recording the summary note")
    offer = _offer(changed, command.offer_id)
    _require_offer(offer, "handed_over", step="recording the summary note")
    if offer.summary_note_sent_on is not None:
        raise IllegalTransition(f"the summary note of offer {offer.offer_id} is already recorded")
    not_after_today("sent_on", command.sent_on, today)
    not_before("sent_on", command.sent_on, offer.meeting_held_on, "the clarifying meeting")
    offer.summary_note_sent_on = command.sent_on
    offer.summary_note = command.note
    events: Events = list(
        deadlines.meet(changed, deadlines.SUMMARY_NOTE.id, command.sent_on, offer_id=offer.offer_id)
    )
    return changed, events


def visible_to(case: VisitationCase, principal: Principal) -> bool:
    """VISO staff see every case; supplier staff only cases offered to their supplier."""
    if not principal.is_supplier:
        return True
    return principal.supplier_id is not None and any(
        o.supplier_id == principal.supplier_id for o in case.offers
    )


def view_for(case: VisitationCase, principal: Principal) -> VisitationCase:
    """The case as the caller may see it: a supplier sees only its own offers and deadlines."""
    if not principal.is_supplier:
        return case
    mine = {o.offer_id for o in case.offers if o.supplier_id == principal.supplier_id}
    return case.model_copy(
        update={
            "offers": [o for o in case.offers if o.offer_id in mine],
            "deadlines": [d for d in case.deadlines if d.offer_id in mine],
            "decision": None,
        }
    )
