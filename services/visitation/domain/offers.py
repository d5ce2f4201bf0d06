"""Offers to suppliers: choice with justification, yes/no, clarifying meeting and handover."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from services.contracts.visitation import NextSupplierNeeded, OfferAnswered, SupplierOffered
from services.kernel.context import Principal
from services.kernel.errors import IllegalTransition, InvalidInput, NotFound, echo
from services.visitation.catalog import AdvisoryService, Catalog
from services.visitation.catalog import Estimate as PriceEstimate
from services.visitation.commands import AnswerOffer, Estimate, OfferToSupplier
from services.visitation.domain import deadlines
from services.visitation.domain.case import Events, require_statuses
from services.visitation.domain.model import Offer, VisitationCase
from services.visitation.domain.suppliers import Need, Ranking
from services.workdays import WorkingDayCalendar

OFFERING_STATUSES = ("proceeding", "handed_over")


@dataclass(frozen=True)
class EstimateFigure:
    """One figure of the estimate a ranking priced with, and where it came from."""

    name: str
    value: Decimal
    source: str


def estimate_figures(estimate: Estimate, catalog: Catalog) -> list[EstimateFigure]:
    """The estimate used, figure by figure: the consultant's, or the reference data's default
    where the consultant gave none (shown, never applied silently)."""
    used = price_estimate(estimate, catalog)
    return [
        EstimateFigure(
            name,
            getattr(used, name),
            "consultant" if getattr(estimate, name) is not None else "reference data",
        )
        for name in ("hours", "transport_km", "transport_hours")
    ]


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
    if case.central_unit is not None:
        raise IllegalTransition(
            f"the central unit runs the course of case {case.id} itself; no supplier is offered it"
        )
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
    fixed = case.procedure_supplier_id
    if fixed and command.supplier_id != fixed:
        raise IllegalTransition(
            f"the internal procedure assigned the case to supplier {echo(fixed)} "
            "(H 4.4.2, 4.4.3); it is offered to that supplier only"
        )
    if command.supplier_id in offered_statuses(case):
        raise IllegalTransition(
            f"the case was already offered to supplier {echo(command.supplier_id)}"
        )
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
    named = command.specialist_id.strip()
    require_specialist_of(named, candidate.supplier_id, candidate.specialist_ids)
    recipients = [named] if named else list(candidate.specialist_ids)
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
            contact_specialist_id=named or None,
            tie_broken_with=[
                c.supplier_id
                for c in ranking.candidates
                if c.supplier_id in candidate.tied_with and c.offer_status is None
            ],
            notified_specialist_ids=recipients,
        )
    )
    deadline_set = deadlines.set_deadline(
        changed,
        deadlines.SUPPLIER_ANSWER,
        today,
        calendar,
        offer_id=offer_id,
        supplier_id=candidate.supplier_id,
        responsible_user_id=named or None,
        notify_user_ids=[] if named else recipients,
    )
    offered = SupplierOffered(
        case_id=case.id,
        offer_id=offer_id,
        supplier_id=candidate.supplier_id,
        service_id=service.id,
        rank=rank,
        justification=command.justification,
        answer_due=deadline_set.due,
        consultant_id=case.consultant_id,
        notify_user_ids=recipients,
        tie_broken_with=changed.offers[-1].tie_broken_with,
    )
    contacted = deadlines.meet(changed, deadlines.PHONE_EXTENDED_SUPPLIER_CONTACT.id, today)
    return changed, [offered, deadline_set, *contacted]


def find_offer(case: VisitationCase, offer_id: str) -> Offer:
    """The offer on the case; NOT_FOUND otherwise."""
    offer = case.offer(offer_id)
    if offer is None:
        raise NotFound("offer", offer_id)
    return offer


def require_offer(offer: Offer, *statuses: str, step: str) -> None:
    """Refuse a step the offer's status does not allow."""
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


def require_specialist_of(specialist: str, supplier_id: str, staff: Sequence[str]) -> None:
    """A named specialist must be one of the supplier's, when leverance has announced any:
    deadlines and notices go to this user."""
    if specialist and staff and specialist not in staff:
        raise InvalidInput.single(
            "specialist_id", f"{specialist} is not a specialist of supplier {supplier_id}"
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
    specialists: Mapping[str, Sequence[str]],
) -> tuple[VisitationCase, Events]:
    """The supplier's yes (with its specialist) or no (with a concrete reason).

    `specialists`: each supplier's specialists (user ids) as leverance last announced them.
    """
    if not command.accept and not command.reason.strip():
        raise InvalidInput.single("reason", "a no must be concretely justified")
    specialist = command.specialist_id.strip() or (
        principal.user_id if principal.role == "specialist" else ""
    )
    if command.accept and not specialist:
        raise InvalidInput.single("specialist_id", "name the specialist who takes the task")
    changed = require_statuses(case, OFFERING_STATUSES, "answering an offer")
    offer = find_offer(changed, command.offer_id)
    require_offer(offer, "offered", step="answering")
    if command.accept:
        require_specialist_of(specialist, offer.supplier_id, specialists.get(offer.supplier_id, ()))
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
    scope: dict[str, Any] = {"offer_id": offer.offer_id, "supplier_id": offer.supplier_id}
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
    offer = find_offer(case, offer_id)
    if offer.status != "offered":
        return case, []
    offer.status = "expired"
    return case, [_next_supplier(case, offer, ranking, "expired", "no answer in time")]
