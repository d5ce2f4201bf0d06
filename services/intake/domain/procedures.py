"""Inquiries without a form: phone and e-mail (H 4.1) and internal procedures (H 4.4); no I/O."""

from __future__ import annotations

from datetime import datetime

from services.contracts.intake import ContactInquiryClosed, InquiryNoteAdded, InquiryRegistered
from services.intake.commands import (
    CloseContactInquiry,
    CreateInternalCase,
    InquirerInput,
    RegisterContactInquiry,
)
from services.intake.domain import deadlines
from services.intake.domain.model import Inquiry, Note
from services.intake.domain.registration import assigned_event, refuse_if_stopped
from services.intake.domain.screening import cpr_in_text, inquirer_violations
from services.intake.reference import Reference, Theme
from services.kernel.envelope import EventPayload
from services.kernel.errors import FieldViolation, IllegalTransition, InvalidInput
from services.workdays import WorkingDayCalendar

PHONE_EXTENDED_CASE_TYPE = "udvidet telefonrådgivning"
COMBINATION_CASE_TYPE = "gruppesag"
THEME_CASE_TYPE = "temaforløb"
COMBINATION_DELIVERY_TYPE = (
    "Kombinationsforløb: Mini-rådgivningsforløb vedr. flere borgere \u2013 for fagpersoner"
)
COMBINATION_NOTE = (
    "Rådgivningsforløbet i enkeltsagen har givet anledning til igangsættelse af et "
    "mini-rådgivningsforløb vedr. flere borgere."
)
CONTACT_FIELDS = ("inquirer_type", "municipality_code", "inquirer_name")
EXTENDED_ADVICE = "offered_extended_phone_advice"
SERVICE_OF_KIND = {
    "phone_extended": "phone_extended",
    "combination_course": "mini_group_course",
    "theme_course": "theme_course",
}


def _outcome_violations(outcome: str | None, referred_to: str) -> list[FieldViolation]:
    if outcome == "referred_elsewhere" and not referred_to:
        return [FieldViolation("referred_to", "name the body the inquirer was referred to")]
    return []


def register_contact(
    command: RegisterContactInquiry,
    *,
    inquiry_id: str,
    ref: Reference,
    now: datetime,
    by: str,
    calendar: WorkingDayCalendar,
) -> tuple[Inquiry, list[EventPayload]]:
    """A phone or e-mail inquiry, anonymous about the citizen; closed at once with an outcome."""
    bad = inquirer_violations(
        ref,
        type_id=command.inquirer_type,
        municipality_code=command.municipality_code,
        organisation=None,
        fields=CONTACT_FIELDS,
        required=False,
    )
    bad += _outcome_violations(command.outcome, command.referred_to)
    bad += cpr_in_text(
        {
            "summary": command.summary,
            "inquirer_name": command.inquirer_name,
            "referred_to": command.referred_to,
        }
    )
    if bad:
        raise InvalidInput(bad)
    closed = command.outcome is not None
    inquiry = Inquiry(
        id=inquiry_id,
        status="closed" if closed else "open",
        kind=command.channel,
        inquirer_name=command.inquirer_name,
        main_area=command.main_area,
        description=command.summary,
        registered_at=now,
        registered_by=by,
        inquirer=InquirerInput(
            type=command.inquirer_type, municipality_code=command.municipality_code
        ),
        requested_service="phone",
        case_type="telefonhenvendelse",
        outcome=command.outcome,
        referred_to=command.referred_to,
        closed_at=now if closed else None,
        consultant_id=by,
    )
    events: list[EventPayload] = [
        InquiryRegistered(
            inquiry_id=inquiry_id,
            main_area=command.main_area,
            registered_at=now,
            kind=command.channel,
            status=inquiry.status,
            requested_service="phone",
            inquirer_type=command.inquirer_type,
            municipality_code=command.municipality_code or None,
            case_type="telefonhenvendelse",
        )
    ]
    if command.outcome is not None:
        inquiry, closing = _closing(inquiry, now=now, calendar=calendar)
        events += closing
    return inquiry, events


def _closing(
    closed: Inquiry, *, now: datetime, calendar: WorkingDayCalendar
) -> tuple[Inquiry, list[EventPayload]]:
    """The closed event; extended phone advice also starts the form's deadline (H 4.4.1)."""
    events: list[EventPayload] = [_closed_event(closed, now)]
    if closed.outcome != EXTENDED_ADVICE:
        return closed, events
    deadline = deadlines.form_deadline(
        closed.id,
        received_at=closed.registered_at,
        consultant_id=closed.consultant_id or closed.registered_by,
        calendar=calendar,
    )
    events.append(deadlines.deadline_set(closed.id, deadline))
    return closed.model_copy(update={"form_deadline": deadline}), events


def _closed_event(inquiry: Inquiry, now: datetime) -> ContactInquiryClosed:
    assert inquiry.outcome is not None and inquiry.kind in ("phone", "email")
    return ContactInquiryClosed.model_validate(
        {
            "inquiry_id": inquiry.id,
            "channel": inquiry.kind,
            "main_area": inquiry.main_area,
            "outcome": inquiry.outcome,
            "referred_to": inquiry.referred_to,
            "closed_at": now,
        }
    )


def close_contact(
    inquiry: Inquiry, command: CloseContactInquiry, *, now: datetime, calendar: WorkingDayCalendar
) -> tuple[Inquiry, list[EventPayload]]:
    """Close an open phone or e-mail inquiry with its outcome (and any deadline it starts)."""
    if inquiry.kind not in ("phone", "email"):
        raise IllegalTransition(f"inquiry {inquiry.id} is not a phone or e-mail inquiry")
    if inquiry.status != "open":
        raise IllegalTransition(f"inquiry {inquiry.id} is {inquiry.status}, not open")
    bad = _outcome_violations(command.outcome, command.referred_to)
    bad += cpr_in_text({"referred_to": command.referred_to})
    if bad:
        raise InvalidInput(bad)
    closed = inquiry.model_copy(
        update={
            "status": "closed",
            "outcome": command.outcome,
            "referred_to": command.referred_to,
            "closed_at": now,
        }
    )
    return _closing(closed, now=now, calendar=calendar)


def _theme_supplier_violations(theme: Theme | None, supplier_id: str) -> list[FieldViolation]:
    """The supplier must be on the theme's list (H 4.4.3); a theme listing none takes none."""
    if not supplier_id:
        return [FieldViolation("supplier_id", "a supplier from the theme's list")]
    if theme is None or theme.allows(supplier_id):
        return []
    if not theme.eligible_suppliers:
        return [
            FieldViolation(
                "supplier_id",
                f"the theme {theme.id} lists no suppliers yet (VIAS_INTAKE_THEMES_FILE)",
            )
        ]
    return [
        FieldViolation(
            "supplier_id",
            f"not on the list of theme {theme.id}: {', '.join(theme.eligible_suppliers)}",
        )
    ]


def create_internal(
    command: CreateInternalCase,
    *,
    inquiry_id: str,
    origin: Inquiry | None,
    ref: Reference,
    now: datetime,
    by: str,
) -> tuple[Inquiry, Inquiry | None, list[EventPayload]]:
    """The case an internal procedure creates, assigned to the consultant at once.

    Returns the new case, the origin inquiry if it changed (a combination course notes itself
    on the single case, without the new case's number), and the events.
    """
    bad = inquirer_violations(
        ref,
        type_id=command.inquirer_type,
        municipality_code=command.municipality_code,
        organisation=command.inquirer_name,
        fields=CONTACT_FIELDS,
    )
    bad += cpr_in_text({"description": command.description, "inquirer_name": command.inquirer_name})
    kind_of = ref.inquirer_type(command.inquirer_type)
    if kind_of is not None and not kind_of.professional:
        bad.append(FieldViolation("inquirer_type", "internal procedures serve professionals"))
    updates: dict[str, object] = {}
    changed_origin: Inquiry | None = None
    events: list[EventPayload] = []
    if command.kind == "phone_extended":
        municipality = ref.municipality(command.municipality_code)
        if not command.municipality_code:
            bad.append(FieldViolation("municipality_code", "the case is named after it"))
        if origin is not None and origin.outcome != EXTENDED_ADVICE:
            bad.append(
                FieldViolation(
                    "origin_inquiry_id", "the phone inquiry did not offer extended advice"
                )
            )
        place = municipality.name if municipality else ""
        updates = {
            "case_type": PHONE_EXTENDED_CASE_TYPE,
            "case_name": f"Udvidet telefonrådgivning \u2013 {place}",
        }
        form = origin.form_deadline if origin is not None else None
        if origin is not None and form is not None and not bad:
            if form.case_id is not None:
                raise IllegalTransition(
                    f"phone inquiry {origin.id} already has its extended advice case {form.case_id}"
                )
            met = deadlines.met(form, case_id=inquiry_id, now=now)
            changed_origin = origin.model_copy(update={"form_deadline": met})
            events.append(
                deadlines.deadline_met(
                    origin.id, met, met_on=met.met_on or deadlines.danish_date(now)
                )
            )
    elif command.kind == "combination_course":
        if origin is not None:
            refuse_if_stopped(origin)
        if origin is None:
            bad.append(FieldViolation("origin_inquiry_id", "name the single case it generalises"))
        elif origin.requested_service != "single_case" or origin.status != "assigned":
            bad.append(
                FieldViolation("origin_inquiry_id", "must be an assigned single-case course")
            )
        if not command.supplier_id:
            bad.append(FieldViolation("supplier_id", "the single case's supplier"))
        updates = {
            "case_type": COMBINATION_CASE_TYPE,
            "case_name": "Kombinationsforløb",
            "delivery_type": COMBINATION_DELIVERY_TYPE,
            "supplier_id": command.supplier_id,
        }
        if origin is not None and not bad:
            note = Note(text=COMBINATION_NOTE, added_at=now, added_by=by)
            changed_origin = origin.model_copy(update={"notes": [*origin.notes, note]})
            events.append(InquiryNoteAdded(inquiry_id=origin.id, text=note.text, added_at=now))
    else:
        theme = ref.theme(command.theme_id)
        if theme is None:
            bad.append(FieldViolation("theme_id", "unknown theme"))
        bad += _theme_supplier_violations(theme, command.supplier_id)
        updates = {
            "case_type": THEME_CASE_TYPE,
            "case_name": f"Temaforløb \u2013 {theme.name_da if theme else ''}",
            "supplier_id": command.supplier_id,
            "theme_id": command.theme_id,
        }
    if bad:
        raise InvalidInput(bad)
    inquiry = Inquiry(
        id=inquiry_id,
        status="assigned",
        kind="internal",
        inquirer_name=command.inquirer_name,
        main_area=command.main_area,
        description=command.description,
        registered_at=now,
        registered_by=by,
        consultant_id=command.consultant_id,
        distributed_on=deadlines.danish_date(now),
        inquirer=InquirerInput(
            type=command.inquirer_type,
            organisation=command.inquirer_name,
            municipality_code=command.municipality_code,
        ),
        requested_service=SERVICE_OF_KIND[command.kind],
        origin_inquiry_id=command.origin_inquiry_id or None,
    ).model_copy(update=updates)
    registered = InquiryRegistered(
        inquiry_id=inquiry_id,
        main_area=command.main_area,
        registered_at=now,
        kind="internal",
        status="assigned",
        requested_service=inquiry.requested_service,
        inquirer_type=command.inquirer_type,
        municipality_code=command.municipality_code or None,
        case_type=inquiry.case_type,
        case_name=inquiry.case_name,
    )
    events = [registered, assigned_event(inquiry, now=now, by=by), *events]
    return inquiry, changed_origin, events
