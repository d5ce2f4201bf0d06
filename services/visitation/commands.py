"""What callers ask visitation to do: immutable, unknown fields refused."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.contracts.visitation import (
    ClosingKind,
    Id,
    InformationArea,
    OutsideScopeReason,
    ShortText,
    Subject,
    Text,
)
from services.kernel.bounds import Day, Version


class Command(BaseModel):
    """Base of visitation's commands: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseCommand(Command):
    """A command on one case, guarded by the version the caller read."""

    case_id: Id
    expected_version: Version = Field(default=0, description="The version read; 0: no check.")


class RecordFirstContact(CaseCommand):
    """The consultant contacted the inquirer on `contacted_on`."""

    contacted_on: Day


class RecordSupplierContact(CaseCommand):
    """The consultant contacted a supplier about the case, e.g. for extended phone advice."""

    supplier_id: Id
    contacted_on: Day
    note: str = Field(default="", max_length=2_000)


class RecordInformation(CaseCommand):
    """What the consultant learned about one area of the information wheel."""

    area: InformationArea
    text: Text


class CloseWithAdvice(CaseCommand):
    """The dialogue was enough: the inquiry is closed with the advice given."""

    reasoning: Text


class ReferElsewhere(CaseCommand):
    """The inquiry belongs to another body, e.g. the municipality, Ankestyrelsen or DUKH."""

    referred_to: ShortText
    reasoning: Text


class DeclareOutsideScope(CaseCommand):
    """The inquiry is outside VISO's scope; a reasoned refusal with complaint guidance."""

    reason: OutsideScopeReason
    reasoning: Text


class ProceedWithService(CaseCommand):
    """VISO gives advice with the chosen advisory service, if its rules allow."""

    service_id: Id
    inquirer_role: Id
    subject: Subject
    facts: dict[Id, bool] = Field(default_factory=dict, max_length=50)
    complexity_areas: list[Id] = Field(default_factory=list, max_length=20)
    planned_duration_months: int | None = Field(default=None, ge=1, le=60)
    target_groups: list[Id] | None = Field(
        default=None, description="Replaces the case's target groups when given."
    )
    citizen_age_years: int | None = Field(default=None, ge=0, le=130)
    reasoning: Text


class Estimate(Command):
    """The consultant's estimate for pricing suppliers; defaults from reference data."""

    hours: Decimal | None = Field(default=None, ge=0, le=10_000)
    transport_km: Decimal | None = Field(default=None, ge=0, le=100_000)
    transport_hours: Decimal | None = Field(default=None, ge=0, le=10_000)


class OfferToSupplier(CaseCommand):
    """Send the case to a chosen supplier as a visitation service, with the justification."""

    supplier_id: Id
    justification: Text
    estimate: Estimate = Field(default_factory=Estimate)
    specialist_id: str = Field(
        default="",
        max_length=100,
        description="The supplier's specialist the consultant discussed the case with, if any; "
        "reminded of the answer deadline.",
    )


class AnswerOffer(Command):
    """The supplier's yes or no; a no needs a concrete reason."""

    offer_id: Id
    accept: bool
    reason: str = Field(default="", max_length=10_000)
    specialist_id: str = Field(default="", max_length=100)


class RecordInquirerContact(Command):
    """The specialist contacted the inquirer and booked the clarifying meeting."""

    offer_id: Id
    contacted_on: Day
    meeting_on: Day


class RecordClarifyingMeeting(Command):
    """The clarifying meeting was held; whether the citizen took part, or why not."""

    offer_id: Id
    held_on: Day
    citizen_attended: bool
    citizen_absence_reason: str = Field(default="", max_length=2_000)
    outside_scope_reason: str = Field(
        default="", max_length=2_000, description="Set when the meeting showed it is outside scope."
    )


class RecordCentralClarifyingMeeting(CaseCommand):
    """The clarifying meeting of a course the central unit runs itself was held; the course
    goes to leverance with the consultant, or the named VISO colleague, delivering it."""

    held_on: Day
    citizen_attended: bool
    citizen_absence_reason: str = Field(default="", max_length=2_000)
    delivered_by: str = Field(
        default="",
        max_length=100,
        description="The VISO colleague (user id) who delivers the advice; empty: the consultant.",
    )


class RecordSummaryNote(Command):
    """The specialist sent the summary note of the clarifying meeting."""

    offer_id: Id
    sent_on: Day
    note: Text


class MoveDeadline(CaseCommand):
    """Agree a new due date for a pending deadline, with the reason (e.g. the inquirer's wish)."""

    deadline_id: Id
    new_due: Day
    reason: Text


class CloseCase(CaseCommand):
    """Stop the case: consent withdrawn or interrupted; the record is kept."""

    kind: ClosingKind
    reason: Text


class CheckDeadlines(Command):
    """Report overdue deadlines now, optionally as of another day and for one case."""

    as_of: Day | None = None
    case_id: str = Field(default="", max_length=100)
