"""Intake's commands: what a gRPC request becomes before a handler runs it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.contracts.common import MainArea
from services.contracts.intake import (
    ConsentBasis,
    ContactChannel,
    ContactOutcome,
    CourseDecision,
    Description,
    EmptyIsNone,
    Id,
    InternalKind,
    LongText,
    Name,
    Text,
)
from services.intake.cpr import Cpr
from services.kernel.bounds import Day, ReadVersion


def _unused(value: str) -> str:
    if value:
        raise ValueError("no longer used: give the citizen in `citizens`")
    return value


class Command(BaseModel):
    """Base of intake's commands: immutable, unknown fields refused, inputs never in errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class Person(Command):
    """A person named on the form: custody holder, guardian, attorney, representative."""

    name: Name
    email: Text = ""
    phone: Text = ""
    address: Text = ""


class InquirerInput(Command):
    """Who asks: their type, organisation, municipality and contact details."""

    type: Id
    organisation: Text = ""
    job_title: Text = ""
    municipality_code: Text = ""
    email: Text = ""
    phone: Text = ""
    address: Text = ""


class DocumentRef(Command):
    """An attachment already stored in the document archive."""

    document_id: Id
    title: Name
    media_type: Text = ""


class ConsentInput(Command):
    """What the form says about consent for one citizen."""

    basis: Annotated[ConsentBasis | None, EmptyIsNone] = None
    citizen_consented: bool = False
    custody_holder_consented: bool = False
    young_person_consented: bool = False
    guardian_consented: bool = False
    attorney_consented: bool = False
    power_of_attorney_in_force: bool = False
    consent_attempted: bool = False
    justification: LongText = ""


class CitizenInput(Command):
    """One citizen the inquiry is about; the CPR is validated and never shown in errors."""

    name: Name
    cpr: Cpr
    under_guardianship: bool = False
    custody_holders: list[Person] = Field(default_factory=list, max_length=4)
    guardian: Person | None = None
    attorney: Person | None = None
    consent: ConsentInput
    details: LongText = ""


class RegisterInquiry(Command):
    """Register an inquiry from the digital form; several children become one case each."""

    inquirer_name: Name
    main_area: MainArea
    description: Description
    citizen_name: Annotated[str, AfterValidator(_unused)] = ""
    inquirer: InquirerInput
    requested_service: Id
    citizens: list[CitizenInput] = Field(default_factory=list, max_length=12)
    party_representative: Person | None = None
    target_groups: list[Id] = Field(default_factory=list, max_length=60)
    attachments: list[DocumentRef] = Field(default_factory=list, max_length=100)
    shared_information: LongText = ""
    management_approved: bool = False
    purpose: Text = Field(default="", description="Why, for the audit trail; default the call.")


class UpdateInquiryDescription(Command):
    """Replace an inquiry's description, if it is still at the version the caller read."""

    inquiry_id: Id
    expected_version: ReadVersion
    description: Description
    purpose: Text = Field(default="", description="Why, for the audit trail; default the call.")


class AssignInquiry(Command):
    """Record the consultant a distribution list gave an inquiry."""

    inquiry_id: Id
    consultant_id: Id
    consultant_name: Text = ""
    distributed_on: Day
    purpose: Text = Field(default="", description="Why, for the audit trail; default the call.")


class RegisterContactInquiry(Command):
    """A phone or e-mail inquiry without a form; closed at once when the outcome is given."""

    channel: ContactChannel
    main_area: MainArea
    inquirer_type: Id
    inquirer_name: Text = ""
    municipality_code: Text = ""
    summary: Description
    outcome: Annotated[ContactOutcome | None, EmptyIsNone] = None
    referred_to: Text = ""


class CloseContactInquiry(Command):
    """Close a phone or e-mail inquiry with its outcome."""

    inquiry_id: Id
    outcome: ContactOutcome
    referred_to: Text = ""


class CreateInternalCase(Command):
    """Support creates a case by internal procedure (H 4.4) and assigns it to the consultant."""

    kind: InternalKind
    consultant_id: Id
    main_area: MainArea
    inquirer_type: Id
    inquirer_name: Name
    municipality_code: Text = ""
    description: Description
    origin_inquiry_id: Text = ""
    supplier_id: Text = ""
    theme_id: Text = ""


class AddSupplementaryMaterial(Command):
    """Material received for an ongoing course: journaled on it, its consultant told."""

    inquiry_id: Id
    documents: list[DocumentRef] = Field(min_length=1, max_length=100)
    received_via: Literal["post", "email", "form"]
    note: LongText = ""
    purpose: Text = Field(default="", description="Why, for the audit trail; default the call.")


class DecideOngoingCourse(Command):
    """The ongoing course's consultant decides what a held inquiry becomes."""

    inquiry_id: Id
    decision: CourseDecision
    purpose: Text = Field(default="", description="Why, for the audit trail; default the call.")


class WithdrawConsent(Command):
    """A citizen withdrew consent: the course stops, journaled material is kept."""

    inquiry_id: Id
    reason: LongText = ""
    purpose: Text = Field(default="", description="Why, for the audit trail; default the call.")


class ProduceDistributionList(Command):
    """The list of waiting inquiries for a distribution day."""

    list_date: Day
    purpose: Text = Field(default="", description="Why, for the audit trail; default the call.")


class CheckDeadlines(BaseModel):
    """Report overdue form deadlines now, optionally as of another day and for one inquiry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    as_of: Day | None = None
    case_id: str = Field(default="", max_length=100)
