"""Intake's events (also the Kafka payload schema) and the types its commands share.

No event carries a plain CPR number: citizens are referred to by `citizen_ref`, the keyed hash.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints

from services.contracts.channel import Channel
from services.contracts.common import MainArea
from services.kernel.envelope import ContractModel, EventPayload

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)
]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ConsentBasis = Literal[
    "consent", "guardian", "power_of_attorney", "rsl_11d_without_consent", "sel_82_without_consent"
]
ContactChannel = Literal["phone", "email"]
ContactOutcome = Literal[
    "referred_elsewhere", "advised", "offered_extended_phone_advice", "told_to_send_written_inquiry"
]
InternalKind = Literal["phone_extended", "combination_course", "theme_course"]
CourseDecision = Literal["journal_on_existing", "open_new"]


def _empty_is_none(value: object) -> object:
    return None if value == "" else value


EmptyIsNone = BeforeValidator(_empty_is_none)

CHANNELS = (Channel.events_of("intake"),)


class InquiryRegistered(EventPayload):
    """An inquiry was registered (a family inquiry announces one per child)."""

    event_type = "InquiryRegistered"

    inquiry_id: str = Field(description="Id of the new inquiry.")
    main_area: MainArea = Field(examples=["children_youth"])
    registered_at: datetime
    kind: str | None = Field(default=None, description="form, phone, email or internal.")
    status: str | None = Field(default=None, description="Status right after registration.")
    requested_service: str | None = None
    inquirer_type: str | None = None
    municipality_code: str | None = None
    citizen_ref: str | None = Field(default=None, description="Keyed CPR hash; never a CPR.")
    family_group_id: str | None = None
    case_type: str | None = None
    case_name: str | None = None
    attachment_ids: list[str] = Field(default_factory=list)

    def subject(self) -> str:
        return self.inquiry_id


class InquiryDescriptionChanged(EventPayload):
    """An inquiry's description was replaced."""

    event_type = "InquiryDescriptionChanged"

    inquiry_id: str
    version: int

    def subject(self) -> str:
        return self.inquiry_id


class InquiryAssigned(EventPayload):
    """Support registered a consultant for an inquiry from a distribution list.

    Contract: visitation opens the visitation case on it; notifications and documents use it
    for the receipt and personal-data letters. It never carries a plain CPR number.
    """

    event_type = "InquiryAssigned"

    inquiry_id: str = Field(description="The inquiry (one per citizen; a family is split).")
    consultant_id: str = Field(description="The consultant now responsible.")
    distributed_on: date = Field(description="Date of the distribution list; deadlines start here.")
    assigned_at: datetime
    assigned_by: str = Field(description="The Support user who registered the assignment.")
    main_area: MainArea
    requested_service: str | None = Field(
        default=None, description="Advisory service id asked for, e.g. single_case."
    )
    inquirer_name: str = Field(default="", description="Who asked (the body or the person).")
    inquirer_type: str | None = Field(
        default=None, description="Reference-data inquirer type, e.g. municipal_administration."
    )
    municipality_code: str | None = Field(
        default=None, description="Danish municipality code (e.g. 461 Odense); None if unknown."
    )
    citizen_ref: str | None = Field(
        default=None,
        description="Opaque citizen reference (keyed CPR hash or random id); never a CPR.",
    )
    citizen_age_years: int | None = Field(default=None, ge=0, le=130)
    target_groups: list[str] = Field(default_factory=list, description="Reference-data ids.")
    family_group_id: str | None = Field(
        default=None, description="Shared by the cases split from one family inquiry."
    )
    kind: str | None = Field(default=None, description="form or internal.")
    case_type: str | None = Field(default=None, description='e.g. "gruppesag", "temaforløb".')
    case_name: str | None = None
    delivery_type: str | None = Field(
        default=None, description="Set for a combination course (Kombinationsforløb)."
    )
    supplier_id: str | None = Field(
        default=None, description="Supplier fixed by the procedure (combination, theme course)."
    )
    theme_id: str | None = None
    origin_inquiry_id: str | None = Field(
        default=None, description="The phone inquiry or single case this case came from."
    )

    def subject(self) -> str:
        return self.inquiry_id


class LetterRecipient(ContractModel):
    """Who a letter goes to; names and contact details, never a CPR."""

    name: str
    role: Literal["inquirer", "citizen", "custody_holder", "guardian", "party_representative"]
    email: str = ""
    address: str = ""


def letter_document_id(event_id: str, recipient_index: int) -> str:
    """The id of the document documents renders for the recipient at `recipient_index` of an
    InquiryLetterRequested event (`event_id` is its envelope's); notifications records it beside
    the letter."""
    return f"letter-{event_id}-{recipient_index}"


class InquiryLetterRequested(EventPayload):
    """A letter intake's assignment triggers: the receipt or the personal-data letter (H 4.2).

    Contract: documents renders one final letter per recipient from its Danish template (id
    `letter_document_id(event_id, index)`), journals and archives it.
    """

    event_type = "InquiryLetterRequested"

    inquiry_id: str
    letter_kind: Literal["receipt", "personal_data"]
    consultant_id: str
    consultant_name: str = ""
    recipients: list[LetterRecipient]
    citizen_ref: str | None = None
    requested_at: datetime
    inquirer_municipality_code: str | None = Field(
        default=None,
        description="Set only when the inquirer is a municipal body (administration, offer, "
        "PPR): its municipality, whose notification mailbox takes the inquirer's letters when "
        "its e-mail fails.",
    )

    def subject(self) -> str:
        # The letter is its own record: keyed apart from the inquiry's state changes.
        return f"{self.inquiry_id}/letter/{self.letter_kind}"


class InquiryHeldForOngoingCourse(EventPayload):
    """A new inquiry is about a citizen in an ongoing course; its consultant decides."""

    event_type = "InquiryHeldForOngoingCourse"

    inquiry_id: str
    ongoing_inquiry_id: str
    consultant_id: str
    citizen_ref: str

    def subject(self) -> str:
        return self.inquiry_id


class OngoingCourseDecided(EventPayload):
    """The consultant journaled a held inquiry onto the course, or released it as a new one."""

    event_type = "OngoingCourseDecided"

    inquiry_id: str
    ongoing_inquiry_id: str
    decision: CourseDecision
    decided_by: str

    def subject(self) -> str:
        return self.inquiry_id


class ContactInquiryClosed(EventPayload):
    """A phone or e-mail inquiry was closed with its outcome."""

    event_type = "ContactInquiryClosed"

    inquiry_id: str
    channel: ContactChannel
    main_area: MainArea
    outcome: ContactOutcome
    referred_to: str = ""
    closed_at: datetime

    def subject(self) -> str:
        return self.inquiry_id


class SupplementaryMaterialReceived(EventPayload):
    """Material for an ongoing course to journal and show in the consultant's inbox."""

    event_type = "SupplementaryMaterialReceived"

    inquiry_id: str
    consultant_id: str
    document_ids: list[str]
    titles: list[str]
    received_via: str
    received_at: datetime

    def subject(self) -> str:
        return self.inquiry_id


class InquiryNoteAdded(EventPayload):
    """An internal note on an inquiry's case (e.g. that a combination course was started)."""

    event_type = "InquiryNoteAdded"

    inquiry_id: str
    text: str
    added_at: datetime

    def subject(self) -> str:
        return self.inquiry_id


class InquiryConsentWithdrawn(EventPayload):
    """Consent was withdrawn: the course stops; journaled material is kept."""

    event_type = "InquiryConsentWithdrawn"

    inquiry_id: str
    consultant_id: str | None
    withdrawn_at: datetime

    def subject(self) -> str:
        return self.inquiry_id


class InquiryCourseEnded(EventPayload):
    """The case the inquiry's assignment opened has ended; the citizen's course is no longer
    ongoing, so a new inquiry about them is no longer held for its consultant."""

    event_type = "InquiryCourseEnded"

    inquiry_id: str
    consultant_id: str | None
    reason: str = Field(description="course_closed, course_interrupted, case_closed_<kind>, ...")
    ended_at: datetime

    def subject(self) -> str:
        return self.inquiry_id


class DistributionListProduced(EventPayload):
    """The inquiries waiting for a distribution day."""

    event_type = "DistributionListProduced"

    list_id: str
    list_date: date
    inquiry_ids: list[str]

    def subject(self) -> str:
        return self.list_id
