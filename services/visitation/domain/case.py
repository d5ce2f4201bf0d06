"""The visitation case's state machine: each step checks it is allowed, then changes the case.

Every function takes the case and returns a changed copy plus the events to emit; the input is
never modified. Illegal steps raise IllegalTransition (FAILED_PRECONDITION).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from services.contracts.common import MainArea
from services.contracts.intake import InquiryAssigned, InquiryConsentWithdrawn
from services.contracts.visitation import (
    VisitationCaseClosed,
    VisitationCaseOpened,
    VisitationDecided,
)
from services.kernel.envelope import EventPayload
from services.kernel.errors import IllegalTransition, InvalidInput, OutsideWindow
from services.visitation.catalog import Catalog
from services.visitation.commands import (
    CloseCase,
    CloseWithAdvice,
    DeclareOutsideScope,
    MoveDeadline,
    ProceedWithService,
    RecordFirstContact,
    RecordInformation,
    RecordSupplierContact,
    ReferElsewhere,
)
from services.visitation.domain import deadlines
from services.visitation.domain.model import (
    CLOSED_STATUSES,
    OPEN_OFFER_STATUSES,
    Decision,
    InformationEntry,
    SupplierContact,
    VisitationCase,
)
from services.visitation.domain.rules import check_service_choice
from services.workdays import WorkingDayCalendar

Events = list[EventPayload]


def open_case(
    *,
    case_id: str,
    inquiry_id: str,
    main_area: MainArea,
    consultant_id: str,
    now: datetime,
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


STILL_DUE_WHEN_PROCEEDING = frozenset({deadlines.PHONE_EXTENDED_SUPPLIER_CONTACT.id})
PHONE_EXTENDED = "phone_extended"
PHONE_EXTENDED_CASE_TYPE = "udvidet telefonrådgivning"


def is_phone_extended(assigned: InquiryAssigned) -> bool:
    """Whether intake created the case for extended phone advice (H 4.4.1)."""
    case_type = (assigned.case_type or "").strip().casefold()
    return assigned.requested_service == PHONE_EXTENDED or case_type == PHONE_EXTENDED_CASE_TYPE


def open_assigned_case(
    assigned: InquiryAssigned,
    *,
    case_id: str,
    now: datetime,
    calendar: WorkingDayCalendar,
    assigned_on: date | None = None,
) -> tuple[VisitationCase, Events]:
    """The case of an assigned inquiry, with its first-contact deadline (7 working days); for
    extended phone advice also the supplier-contact deadline, two days after `assigned_on`
    (the assignment's local date; default the date of `assigned_at`)."""
    case, opened = open_case(
        case_id=case_id,
        inquiry_id=assigned.inquiry_id,
        main_area=assigned.main_area,
        consultant_id=assigned.consultant_id,
        now=now,
    )
    case = case.model_copy(
        update={
            "distributed_on": assigned.distributed_on,
            "requested_service": assigned.requested_service,
            "inquirer_name": assigned.inquirer_name,
            "inquirer_type": assigned.inquirer_type,
            "municipality_code": assigned.municipality_code,
            "citizen_ref": assigned.citizen_ref,
            "citizen_age_years": assigned.citizen_age_years,
            "target_groups": list(assigned.target_groups),
            "family_group_id": assigned.family_group_id,
            "procedure_supplier_id": assigned.supplier_id or None,
            "theme_id": assigned.theme_id or None,
            "deadlines": [],
        }
    )
    deadline_set = deadlines.set_deadline(
        case,
        deadlines.FIRST_CONTACT,
        assigned.distributed_on,
        calendar,
        responsible_user_id=assigned.consultant_id,
    )
    events: Events = [opened, deadline_set]
    if is_phone_extended(assigned):
        events.append(
            deadlines.set_deadline(
                case,
                deadlines.PHONE_EXTENDED_SUPPLIER_CONTACT,
                assigned_on or assigned.assigned_at.date(),
                calendar,
                responsible_user_id=assigned.consultant_id,
            )
        )
    return case, events


def _require(case: VisitationCase, *statuses: str, step: str) -> VisitationCase:
    """A working copy of the case if it is in one of `statuses`."""
    if case.status not in statuses:
        raise IllegalTransition(
            f"case {case.id} is {case.status}; {step} needs it to be {' or '.join(statuses)}"
        )
    return case.model_copy(deep=True)


def not_after_today(field: str, day: date, today: date) -> None:
    """Refuse a date in the future for something that already happened."""
    if day > today:
        raise InvalidInput.single(field, f"{day.isoformat()} is in the future")


def not_before(field: str, day: date, earliest: date | None, what: str) -> None:
    """Refuse a date before the step of the case's history it follows (FAILED_PRECONDITION:
    the same date may suit another case)."""
    if earliest is not None and day < earliest:
        raise OutsideWindow.single(
            field, f"{day.isoformat()} is before {what} ({earliest.isoformat()})"
        )


def record_first_contact(
    case: VisitationCase, command: RecordFirstContact, *, today: date
) -> tuple[VisitationCase, Events]:
    """The consultant's first contact with the inquirer; meets the 7-working-day deadline."""
    not_after_today("contacted_on", command.contacted_on, today)
    not_before("contacted_on", command.contacted_on, case.distributed_on, "the distribution")
    changed = _require(case, "opened", step="recording the first contact")
    changed.first_contact_on = command.contacted_on
    changed.status = "in_visitation"
    events: Events = list(deadlines.meet(changed, deadlines.FIRST_CONTACT.id, command.contacted_on))
    return changed, events


def record_supplier_contact(
    case: VisitationCase, command: RecordSupplierContact, *, by: str, today: date
) -> tuple[VisitationCase, Events]:
    """The consultant contacted a supplier; meets the extended-phone-advice deadline (H 4.4.1)."""
    not_after_today("contacted_on", command.contacted_on, today)
    not_before("contacted_on", command.contacted_on, case.distributed_on, "the assignment")
    if case.is_closed:
        raise IllegalTransition(f"case {case.id} is {case.status}")
    changed = case.model_copy(deep=True)
    changed.supplier_contacts.append(
        SupplierContact(
            supplier_id=command.supplier_id,
            contacted_on=command.contacted_on,
            recorded_by=by,
            note=command.note.strip(),
        )
    )
    rule = deadlines.PHONE_EXTENDED_SUPPLIER_CONTACT.id
    return changed, list(deadlines.meet(changed, rule, command.contacted_on))


def record_information(
    case: VisitationCase, command: RecordInformation, *, by: str, now: datetime
) -> VisitationCase:
    """The consultant's findings for one area of the information wheel (latest wins)."""
    if case.is_closed:
        raise IllegalTransition(f"case {case.id} is {case.status}")
    changed = case.model_copy(deep=True)
    changed.information[command.area] = InformationEntry(
        text=command.text, recorded_by=by, recorded_at=now
    )
    return changed


def _decided(case: VisitationCase, decision: Decision) -> VisitationDecided:
    return VisitationDecided(
        case_id=case.id,
        inquiry_id=case.inquiry_id,
        outcome=decision.outcome,
        advice_given=decision.advice_given,
        service_id=decision.service_id,
        referred_to=decision.referred_to,
        reasoning=decision.reasoning,
        complaint_guidance=decision.complaint_guidance,
        decided_by=decision.decided_by,
        decided_on=decision.decided_on,
    )


def _conclude(
    case: VisitationCase, decision: Decision, status: str
) -> tuple[VisitationCase, Events]:
    changed = _require(case, "in_visitation", step="deciding the outcome")
    changed.decision = decision
    changed.status = status  # type: ignore[assignment]
    # Proceeding still needs a supplier: the extended-phone-advice contact stays due.
    keep = STILL_DUE_WHEN_PROCEEDING if status == "proceeding" else frozenset()
    events: Events = list(deadlines.cancel_pending(changed, f"case decided: {status}", keep=keep))
    return changed, [_decided(changed, decision), *events]


def close_with_advice(
    case: VisitationCase, command: CloseWithAdvice, *, by: str, today: date
) -> tuple[VisitationCase, Events]:
    """The dialogue helped the inquirer on; closed without a course."""
    decision = Decision(
        outcome="closed_with_advice",
        advice_given=True,
        reasoning=command.reasoning,
        decided_by=by,
        decided_on=today,
    )
    return _conclude(case, decision, "closed_with_advice")


def refer_elsewhere(
    case: VisitationCase, command: ReferElsewhere, *, by: str, today: date, catalog: Catalog
) -> tuple[VisitationCase, Events]:
    """VISO does not advise; the inquirer is referred to another body (a reasoned refusal)."""
    decision = Decision(
        outcome="referred",
        advice_given=False,
        reasoning=command.reasoning,
        referred_to=command.referred_to,
        complaint_guidance=catalog.complaint_guidance,
        decided_by=by,
        decided_on=today,
    )
    return _conclude(case, decision, "referred")


def declare_outside_scope(
    case: VisitationCase, command: DeclareOutsideScope, *, by: str, today: date, catalog: Catalog
) -> tuple[VisitationCase, Events]:
    """Outside VISO's scope: a reasoned refusal with complaint guidance."""
    decision = Decision(
        outcome="outside_scope",
        advice_given=False,
        reasoning=command.reasoning,
        outside_scope_reason=command.reason,
        complaint_guidance=catalog.complaint_guidance,
        decided_by=by,
        decided_on=today,
    )
    return _conclude(case, decision, "outside_scope")


def proceed_with_service(
    case: VisitationCase, command: ProceedWithService, *, by: str, today: date, catalog: Catalog
) -> tuple[VisitationCase, Events]:
    """VISO advises with the chosen service, which must respect the service's rules."""
    _require(case, "in_visitation", step="choosing a service")
    service = check_service_choice(command, catalog, case.main_area)
    decision = Decision(
        outcome="proceed",
        advice_given=True,
        reasoning=command.reasoning,
        service_id=service.id,
        inquirer_role=command.inquirer_role,
        subject=command.subject,
        facts=dict(command.facts),
        complexity_areas=list(command.complexity_areas),
        planned_duration_months=command.planned_duration_months,
        decided_by=by,
        decided_on=today,
    )
    changed, events = _conclude(case, decision, "proceeding")
    changed.service_id = service.id
    if command.target_groups is not None:
        changed.target_groups = list(command.target_groups)
    if command.citizen_age_years is not None:
        changed.citizen_age_years = command.citizen_age_years
    return changed, events


def close_case(
    case: VisitationCase, command: CloseCase, *, today: date
) -> tuple[VisitationCase, Events]:
    """Consent withdrawn or the course interrupted: stop, keeping the record."""
    if case.status in CLOSED_STATUSES:
        raise IllegalTransition(f"case {case.id} is already {case.status}")
    changed = case.model_copy(deep=True)
    changed.status = "consent_withdrawn" if command.kind == "consent_withdrawn" else "interrupted"
    changed.closed_kind = command.kind
    changed.closed_reason = command.reason
    changed.closed_on = today
    for offer in changed.offers:
        if offer.status in OPEN_OFFER_STATUSES:
            offer.status = "withdrawn"
    events: Events = list(deadlines.cancel_pending(changed, f"case stopped: {command.kind}"))
    closed = VisitationCaseClosed(
        case_id=case.id,
        inquiry_id=case.inquiry_id,
        kind=command.kind,
        reason=command.reason,
        closed_on=today,
    )
    return changed, [closed, *events]


CONSENT_WITHDRAWN_REASON = "Samtykket er trukket tilbage (registreret {day})."
"""The closing reason consultants read on the case, in Danish with a Danish date."""


def stop_for_withdrawn_consent(
    case: VisitationCase, withdrawn: InquiryConsentWithdrawn, *, on: date
) -> tuple[VisitationCase, Events]:
    """Intake registered the withdrawal of consent: the case stops, unless it already ended.

    No events (and the case unchanged) when the case is already closed, so a redelivered or
    late withdrawal changes nothing.
    """
    if case.is_closed:
        return case, []
    command = CloseCase(
        case_id=case.id,
        kind="consent_withdrawn",
        reason=CONSENT_WITHDRAWN_REASON.format(day=on.strftime("%d-%m-%Y")),
    )
    return close_case(case, command, today=on)


def require_statuses(case: VisitationCase, statuses: Sequence[str], step: str) -> VisitationCase:
    """A working copy of the case if it is in one of `statuses` (for the offer steps)."""
    return _require(case, *statuses, step=step)


def move_deadline(
    case: VisitationCase,
    command: MoveDeadline,
    *,
    by: str,
    today: date,
    calendar: WorkingDayCalendar,
) -> tuple[VisitationCase, Events]:
    """A pending deadline gets an agreed new due date, with the reason."""
    changed = case.model_copy(deep=True)
    event = deadlines.move(
        changed,
        command.deadline_id,
        command.new_due,
        command.reason,
        by=by,
        today=today,
        calendar=calendar,
    )
    return changed, [event]
