"""Visitation's aggregates in their gRPC form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from services.kernel.proto import timestamp
from services.visitation.catalog import AdvisoryService
from services.visitation.domain.model import CaseDeadline, Decision, Offer, VisitationCase
from services.visitation.domain.offers import EstimateFigure
from services.visitation.domain.suppliers import Ranking
from vias.visitation.v1 import visitation_pb2 as pb


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def deadline_to_proto(deadline: CaseDeadline) -> pb.Deadline:
    """The wire form of a deadline."""
    return pb.Deadline(
        deadline_id=deadline.deadline_id,
        rule=deadline.rule,
        rule_text=deadline.rule_text,
        start=_day(deadline.start),
        due=_day(deadline.due),
        explanation=deadline.explanation,
        status=deadline.status,
        met_on=_day(deadline.met_on),
        responsible_role=deadline.responsible_role,
        responsible_user_id=deadline.responsible_user_id or "",
        supplier_id=deadline.supplier_id or "",
        offer_id=deadline.offer_id or "",
    )


def _decision(decision: Decision | None) -> pb.Decision | None:
    if decision is None:
        return None
    return pb.Decision(
        outcome=decision.outcome,
        advice_given=decision.advice_given,
        reasoning=decision.reasoning,
        decided_by=decision.decided_by,
        decided_on=_day(decision.decided_on),
        service_id=decision.service_id or "",
        inquirer_role=decision.inquirer_role or "",
        referred_to=decision.referred_to or "",
        outside_scope_reason=decision.outside_scope_reason or "",
        complaint_guidance=decision.complaint_guidance or "",
    )


def offer_to_proto(case: VisitationCase, offer: Offer) -> pb.Offer:
    """The wire form of an offer, with its case's key facts and its deadlines."""
    message = pb.Offer(
        offer_id=offer.offer_id,
        case_id=case.id,
        case_version=case.version,
        supplier_id=offer.supplier_id,
        supplier_name=offer.supplier_name,
        status=offer.status,
        rank=offer.rank,
        top_ranked_supplier_id=offer.top_ranked_supplier_id,
        justification=offer.justification,
        estimated_price_dkk=offer.estimated_price_dkk,
        offered_on=_day(offer.offered_on),
        offered_by=offer.offered_by,
        contact_specialist_id=offer.contact_specialist_id or "",
        notified_specialist_ids=offer.notified_specialist_ids,
        tie_broken_with_supplier_ids=offer.tie_broken_with,
        answered_on=_day(offer.answered_on),
        specialist_id=offer.specialist_id or "",
        decline_reason=offer.decline_reason or "",
        inquirer_contacted_on=_day(offer.inquirer_contacted_on),
        meeting_on=_day(offer.meeting_on),
        meeting_held_on=_day(offer.meeting_held_on),
        citizen_absence_reason=offer.citizen_absence_reason or "",
        summary_note_sent_on=_day(offer.summary_note_sent_on),
        summary_note=offer.summary_note or "",
        deadlines=[deadline_to_proto(d) for d in case.deadlines if d.offer_id == offer.offer_id],
        service_id=case.service_id or "",
        inquiry_id=case.inquiry_id,
        main_area=case.main_area,
        outside_scope_reason=offer.outside_scope_reason or "",
    )
    if offer.citizen_attended is not None:
        message.citizen_attended = offer.citizen_attended
    return message


def case_to_proto(case: VisitationCase) -> pb.VisitationCase:
    """The wire form of a case (already reduced to what the caller may see)."""
    message = pb.VisitationCase(
        case_id=case.id,
        version=case.version,
        inquiry_id=case.inquiry_id,
        status=case.status,
        main_area=case.main_area,
        consultant_id=case.consultant_id,
        opened_at=timestamp(case.opened_at),
        distributed_on=_day(case.distributed_on),
        requested_service=case.requested_service or "",
        inquirer_name=case.inquirer_name,
        inquirer_type=case.inquirer_type or "",
        citizen_ref=case.citizen_ref or "",
        target_groups=case.target_groups,
        first_contact_on=_day(case.first_contact_on),
        information=[
            pb.InformationEntry(
                area=area,
                text=entry.text,
                recorded_by=entry.recorded_by,
                recorded_at=timestamp(entry.recorded_at),
            )
            for area, entry in case.information.items()
        ],
        decision=_decision(case.decision),
        service_id=case.service_id or "",
        offers=[offer_to_proto(case, o) for o in case.offers],
        deadlines=[deadline_to_proto(d) for d in case.deadlines],
        closed_kind=case.closed_kind or "",
        closed_reason=case.closed_reason or "",
        closed_on=_day(case.closed_on),
        municipality_code=case.municipality_code or "",
        family_group_id=case.family_group_id or "",
        procedure_supplier_id=case.procedure_supplier_id or "",
        theme_id=case.theme_id or "",
        supplier_contacts=[
            pb.SupplierContact(
                supplier_id=c.supplier_id,
                contacted_on=_day(c.contacted_on),
                recorded_by=c.recorded_by,
                note=c.note,
            )
            for c in case.supplier_contacts
        ],
    )
    if case.citizen_age_years is not None:
        message.citizen_age_years = case.citizen_age_years
    if case.central_unit is not None:
        central = case.central_unit
        message.central_unit.CopyFrom(
            pb.CentralUnitCourse(
                delivered_by=central.delivered_by,
                clarifying_meeting_on=_day(central.clarifying_meeting_on),
                citizen_attended=central.citizen_attended,
                citizen_absence_reason=central.citizen_absence_reason or "",
                recorded_by=central.recorded_by,
                handed_over_at=timestamp(central.handed_over_at),
            )
        )
    return message


def ranking_to_proto(
    ranking: Ranking, estimate_used: Sequence[EstimateFigure] = ()
) -> pb.RankSuppliersResponse:
    """The wire form of a ranking, with the estimate its prices were computed with."""
    return pb.RankSuppliersResponse(
        estimate_used=[
            pb.EstimateFigure(name=f.name, value=str(f.value), source=f.source)
            for f in estimate_used
        ],
        candidates=[
            pb.RankedSupplier(
                rank=c.rank,
                supplier_id=c.supplier_id,
                name=c.name,
                contract_id=c.contract_id,
                covered_target_groups=c.covered,
                missing_target_groups=c.missing,
                free_capacity=c.free_capacity,
                hourly_rate_dkk=str(c.hourly_rate_dkk),
                estimated_price_dkk=str(c.estimated_price_dkk),
                reasons=c.reasons,
                offer_status=c.offer_status or "",
                specialist_ids=c.specialist_ids,
                tied_with_supplier_ids=c.tied_with,
            )
            for c in ranking.candidates
        ],
        excluded=[
            pb.ExcludedSupplier(supplier_id=e.supplier_id, name=e.name, reasons=e.reasons)
            for e in ranking.excluded
        ],
    )


def service_to_proto(service: AdvisoryService) -> pb.AdvisoryService:
    """The wire form of an advisory service's reference data."""
    return pb.AdvisoryService(
        service_id=service.id,
        name=service.name,
        title_en=service.title_en,
        inquirer_roles=service.inquirer_roles,
        about=service.about,
        complexity_areas=service.complexity_areas,
        supplier=service.supplier,
        delivered_by=service.delivered_by,
        max_duration_months=service.max_duration_months or 0,
        clarifying_meeting_within_days=service.clarifying_meeting_within_days or 0,
        conditions=[c.reason for c in service.conditions],
        main_areas=service.main_areas,
        central_unit_course=service.central_unit_course,
    )
