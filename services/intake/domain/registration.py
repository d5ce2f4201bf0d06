"""Form inquiries from registration to assignment: split, hold, distribute, letters; no I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from services.contracts.intake import (
    InquiryAssigned,
    InquiryConsentWithdrawn,
    InquiryCourseEnded,
    InquiryDescriptionChanged,
    InquiryHeldForOngoingCourse,
    InquiryLetterRequested,
    InquiryRegistered,
    LetterRecipient,
    OngoingCourseDecided,
    SupplementaryMaterialReceived,
)
from services.intake.commands import (
    AddSupplementaryMaterial,
    AssignInquiry,
    CitizenInput,
    DecideOngoingCourse,
    RegisterInquiry,
    WithdrawConsent,
)
from services.intake.domain.deadlines import danish_date
from services.intake.domain.model import HeldFor, Inquiry, StoredCitizen, Supplement
from services.intake.domain.screening import refuse_cpr_in_text
from services.intake.privacy import ProtectedCpr
from services.intake.reference import Reference
from services.kernel.envelope import EventPayload
from services.kernel.errors import Forbidden, IllegalTransition, InvalidInput, OutsideWindow

Protect = Callable[[CitizenInput], ProtectedCpr]


@dataclass(frozen=True)
class OngoingCourse:
    """An assigned inquiry about a citizen: the course a new inquiry may belong to."""

    inquiry_id: str
    consultant_id: str


def register(
    command: RegisterInquiry,
    *,
    ids: list[str],
    family_group_id: str | None,
    protected: list[ProtectedCpr],
    ongoing: Mapping[str, OngoingCourse],
    ref: Reference,
    now: datetime,
    by: str,
    distribution_date: date,
) -> tuple[list[Inquiry], list[EventPayload]]:
    """One inquiry per citizen (a family shares a group id); held if the citizen has a course."""
    service = ref.service(command.requested_service)
    case_type = service.case_type if service else None
    pairs: list[tuple[CitizenInput, ProtectedCpr] | None] = list(
        zip(command.citizens, protected, strict=True)
    ) or [None]
    all_ids = ids[: len(pairs)]
    inquiries: list[Inquiry] = []
    events: list[EventPayload] = []
    for inquiry_id, pair in zip(all_ids, pairs, strict=True):
        citizen = pair[0] if pair else None
        stored = _stored(*pair) if pair else None
        course = ongoing.get(stored.cpr_hash) if stored else None
        inquiry = Inquiry(
            id=inquiry_id,
            status="awaiting_course_decision" if course else "registered",
            kind="form",
            inquirer_name=command.inquirer_name,
            main_area=command.main_area,
            citizen_name=citizen.name if citizen else "",
            description=command.description,
            registered_at=now,
            registered_by=by,
            inquirer=command.inquirer,
            requested_service=command.requested_service,
            citizen=stored,
            citizen_age_years=stored.age_on(danish_date(now)) if stored else None,
            party_representative=command.party_representative,
            target_groups=list(command.target_groups),
            attachments=list(command.attachments),
            shared_information=command.shared_information,
            management_approved=command.management_approved,
            family_group_id=family_group_id,
            family_inquiry_ids=all_ids if family_group_id else [],
            distribution_date=None if course else distribution_date,
            held_for=HeldFor(
                ongoing_inquiry_id=course.inquiry_id, consultant_id=course.consultant_id
            )
            if course
            else None,
            case_type=case_type,
        )
        inquiries.append(inquiry)
        events.append(
            InquiryRegistered(
                inquiry_id=inquiry_id,
                main_area=command.main_area,
                registered_at=now,
                kind="form",
                status=inquiry.status,
                requested_service=command.requested_service,
                inquirer_type=command.inquirer.type,
                municipality_code=inquiry.municipality_code,
                citizen_ref=inquiry.citizen_ref,
                family_group_id=family_group_id,
                case_type=case_type,
                attachment_ids=[a.document_id for a in command.attachments],
            )
        )
        if course and stored:
            events.append(
                InquiryHeldForOngoingCourse(
                    inquiry_id=inquiry_id,
                    ongoing_inquiry_id=course.inquiry_id,
                    consultant_id=course.consultant_id,
                    citizen_ref=stored.cpr_hash,
                )
            )
    return inquiries, events


def _stored(citizen: CitizenInput, cpr: ProtectedCpr) -> StoredCitizen:
    return StoredCitizen(
        name=citizen.name,
        cpr_token=cpr.token,
        cpr_hash=cpr.hash,
        birth_date=cpr.birth_date,
        under_guardianship=citizen.under_guardianship,
        custody_holders=list(citizen.custody_holders),
        guardian=citizen.guardian,
        attorney=citizen.attorney,
        consent=citizen.consent,
        details=citizen.details,
    )


def refuse_if_stopped(inquiry: Inquiry) -> None:
    """A course stopped by withdrawn consent takes no further changes; what it holds is kept."""
    if inquiry.status == "stopped":
        when = f" on {inquiry.stopped_at:%Y-%m-%d}" if inquiry.stopped_at else ""
        raise IllegalTransition(
            f"inquiry {inquiry.id}: consent was withdrawn{when}; the course is stopped and "
            "takes no further changes"
        )


def change_description(
    inquiry: Inquiry, description: str
) -> tuple[Inquiry, InquiryDescriptionChanged]:
    """The inquiry with a new description, and the event announcing the change."""
    refuse_cpr_in_text({"description": description})
    refuse_if_stopped(inquiry)
    changed = inquiry.model_copy(update={"description": description})
    return changed, InquiryDescriptionChanged(inquiry_id=inquiry.id, version=inquiry.version + 1)


def assign(
    inquiry: Inquiry, command: AssignInquiry, *, now: datetime, by: str
) -> tuple[Inquiry, list[EventPayload]]:
    """The inquiry given to a consultant from the distribution list it is on (never one
    before its registration), with its letters."""
    refuse_if_stopped(inquiry)
    if inquiry.status != "registered":
        raise IllegalTransition(f"inquiry {inquiry.id} is {inquiry.status}, not registered")
    listed_on = inquiry.distribution_date
    if listed_on is None:
        raise IllegalTransition(f"inquiry {inquiry.id} is on no distribution list")
    if command.distributed_on != listed_on:
        raise OutsideWindow.single(
            "distributed_on",
            f"inquiry {inquiry.id} is on the distribution list of {listed_on.isoformat()}, "
            f"not {command.distributed_on.isoformat()}",
        )
    assigned = inquiry.model_copy(
        update={
            "status": "assigned",
            "consultant_id": command.consultant_id,
            "consultant_name": command.consultant_name,
            "distributed_on": command.distributed_on,
        }
    )
    events: list[EventPayload] = [assigned_event(assigned, now=now, by=by)]
    events += letters(assigned, now=now)
    return assigned, events


def put_on_list(inquiry: Inquiry, list_date: date) -> Inquiry:
    """The inquiry as a distribution list of `list_date` shows it: one still waiting since an
    earlier list it was not assigned from is now on this one (the same inquiry when it already
    is)."""
    if inquiry.distribution_date is None or inquiry.distribution_date >= list_date:
        return inquiry
    return inquiry.model_copy(update={"distribution_date": list_date})


def assigned_event(inquiry: Inquiry, *, now: datetime, by: str) -> InquiryAssigned:
    """The contract event visitation opens its case on."""
    assert inquiry.consultant_id is not None and inquiry.distributed_on is not None
    return InquiryAssigned(
        inquiry_id=inquiry.id,
        consultant_id=inquiry.consultant_id,
        distributed_on=inquiry.distributed_on,
        assigned_at=now,
        assigned_by=by,
        main_area=inquiry.main_area,
        requested_service=inquiry.requested_service,
        inquirer_name=inquiry.inquirer_name,
        inquirer_type=inquiry.inquirer.type if inquiry.inquirer else None,
        municipality_code=inquiry.municipality_code,
        citizen_ref=inquiry.citizen_ref,
        citizen_age_years=inquiry.citizen_age_years,
        target_groups=list(inquiry.target_groups),
        family_group_id=inquiry.family_group_id,
        kind=inquiry.kind,
        case_type=inquiry.case_type,
        case_name=inquiry.case_name,
        delivery_type=inquiry.delivery_type,
        supplier_id=inquiry.supplier_id,
        theme_id=inquiry.theme_id,
        origin_inquiry_id=inquiry.origin_inquiry_id,
    )


MUNICIPAL_INQUIRERS = frozenset({"municipal_administration", "municipal_offer", "ppr"})
"""Inquirer types that are a municipality's own bodies."""


def letters(inquiry: Inquiry, *, now: datetime) -> list[InquiryLetterRequested]:
    """The receipt letter to the inquirer and the personal-data letter (GDPR art. 13/14)."""
    if inquiry.kind != "form" or inquiry.inquirer is None or inquiry.consultant_id is None:
        return []
    representative = (
        [_recipient(inquiry.party_representative, "party_representative")]
        if inquiry.party_representative
        else []
    )
    receipt = InquiryLetterRequested(
        inquiry_id=inquiry.id,
        letter_kind="receipt",
        consultant_id=inquiry.consultant_id,
        consultant_name=inquiry.consultant_name,
        recipients=[
            LetterRecipient(
                name=inquiry.inquirer_name,
                role="inquirer",
                email=inquiry.inquirer.email,
                address=inquiry.inquirer.address,
            )
        ],
        citizen_ref=inquiry.citizen_ref,
        requested_at=now,
        inquirer_municipality_code=(
            inquiry.municipality_code if inquiry.inquirer.type in MUNICIPAL_INQUIRERS else None
        ),
    )
    citizen = inquiry.citizen
    if citizen is None:
        return [receipt]
    recipients = [LetterRecipient(name=citizen.name, role="citizen")]
    recipients += [_recipient(p, "custody_holder") for p in citizen.custody_holders]
    if citizen.guardian:
        recipients.append(_recipient(citizen.guardian, "guardian"))
    personal = InquiryLetterRequested(
        inquiry_id=inquiry.id,
        letter_kind="personal_data",
        consultant_id=inquiry.consultant_id,
        consultant_name=inquiry.consultant_name,
        recipients=recipients + representative,
        citizen_ref=inquiry.citizen_ref,
        requested_at=now,
    )
    return [receipt, personal]


def _recipient(person: object, role: str) -> LetterRecipient:
    return LetterRecipient.model_validate(
        {
            "name": getattr(person, "name", ""),
            "role": role,
            "email": getattr(person, "email", ""),
            "address": getattr(person, "address", ""),
        }
    )


def decide_ongoing_course(
    held: Inquiry,
    ongoing: Inquiry,
    command: DecideOngoingCourse,
    *,
    by: str,
    role: str,
    now: datetime,
    distribution_date: date,
) -> tuple[Inquiry, Inquiry, list[EventPayload]]:
    """Journal the held inquiry on the ongoing course, or release it as a new inquiry."""
    refuse_if_stopped(held)
    if command.decision == "journal_on_existing":
        refuse_if_stopped(ongoing)
        if ongoing.status != "assigned":
            raise IllegalTransition(
                f"inquiry {ongoing.id} is {ongoing.status}: its course is no longer ongoing; "
                "open a new one"
            )
    if held.status != "awaiting_course_decision" or held.held_for is None:
        raise IllegalTransition(f"inquiry {held.id} is {held.status}, not awaiting a decision")
    if role != "manager" and by != held.held_for.consultant_id:
        raise Forbidden("only the consultant of the ongoing course decides")
    decided = OngoingCourseDecided(
        inquiry_id=held.id,
        ongoing_inquiry_id=ongoing.id,
        decision=command.decision,
        decided_by=by,
    )
    if command.decision == "open_new":
        released = held.model_copy(
            update={"status": "registered", "distribution_date": distribution_date}
        )
        return released, ongoing, [decided]
    journaled = held.model_copy(
        update={"status": "journaled_on_course", "journaled_on": ongoing.id}
    )
    supplement = Supplement(
        documents=list(held.attachments),
        received_via="form",
        note=held.description,
        received_at=now,
        from_inquiry_id=held.id,
    )
    course = ongoing.model_copy(update={"supplements": [*ongoing.supplements, supplement]})
    received = SupplementaryMaterialReceived(
        inquiry_id=ongoing.id,
        consultant_id=ongoing.consultant_id or held.held_for.consultant_id,
        document_ids=[d.document_id for d in held.attachments],
        titles=[d.title for d in held.attachments],
        received_via="form",
        received_at=now,
    )
    return journaled, course, [decided, received]


def add_supplement(
    inquiry: Inquiry, command: AddSupplementaryMaterial, *, now: datetime
) -> tuple[Inquiry, SupplementaryMaterialReceived]:
    """Material journaled on an ongoing course, announced to its consultant."""
    texts = {"note": command.note}
    texts.update({f"documents.{i}.title": d.title for i, d in enumerate(command.documents)})
    refuse_cpr_in_text(texts)
    refuse_if_stopped(inquiry)
    if inquiry.status != "assigned" or inquiry.consultant_id is None:
        raise IllegalTransition(f"inquiry {inquiry.id} is {inquiry.status}: no ongoing course")
    supplement = Supplement(
        documents=list(command.documents),
        received_via=command.received_via,
        note=command.note,
        received_at=now,
    )
    changed = inquiry.model_copy(update={"supplements": [*inquiry.supplements, supplement]})
    return changed, SupplementaryMaterialReceived(
        inquiry_id=inquiry.id,
        consultant_id=inquiry.consultant_id,
        document_ids=[d.document_id for d in command.documents],
        titles=[d.title for d in command.documents],
        received_via=command.received_via,
        received_at=now,
    )


def withdraw_consent(
    inquiry: Inquiry, command: WithdrawConsent, *, now: datetime
) -> tuple[Inquiry, InquiryConsentWithdrawn]:
    """The course stops; what was registered and journaled stays."""
    refuse_cpr_in_text({"reason": command.reason})
    refuse_if_stopped(inquiry)
    if inquiry.citizen is None:
        raise IllegalTransition(f"inquiry {inquiry.id} holds no citizen consent")
    if inquiry.status not in ("registered", "awaiting_course_decision", "assigned"):
        raise IllegalTransition(f"inquiry {inquiry.id} is {inquiry.status}")
    stopped = inquiry.model_copy(
        update={"status": "stopped", "stopped_at": now, "stop_reason": command.reason}
    )
    return stopped, InquiryConsentWithdrawn(
        inquiry_id=inquiry.id, consultant_id=inquiry.consultant_id, withdrawn_at=now
    )


def end_course(
    inquiry: Inquiry, *, reason: str, now: datetime
) -> tuple[Inquiry, InquiryCourseEnded] | None:
    """The inquiry once the case its assignment opened has ended; None when there is nothing to
    end (never assigned, already ended, stopped by withdrawn consent), so a repeated or late
    report of the end changes nothing."""
    if inquiry.status != "assigned":
        return None
    ended = inquiry.model_copy(
        update={"status": "course_ended", "course_ended_at": now, "course_end_reason": reason}
    )
    return ended, InquiryCourseEnded(
        inquiry_id=inquiry.id, consultant_id=inquiry.consultant_id, reason=reason, ended_at=now
    )


def check_distribution_day(day: date, *, is_distribution_day: bool, field: str) -> None:
    """Raise when a date given as a distribution list's date is not a distribution day."""
    if not is_distribution_day:
        raise InvalidInput.single(field, f"{day.isoformat()} is not a distribution day")
