"""Visitation's commands and events; the events are also the Kafka payload schema."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.contracts.channel import Channel
from services.contracts.common import MainArea
from services.kernel.bounds import Day, Version
from services.kernel.envelope import EventPayload

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]

CHANNELS = (Channel.events_of("visitation"),)

InformationArea = Literal[
    "basic_facts",
    "problems_perspectives_needs",
    "network_cooperation",
    "tried_current_efforts",
    "desired_goals",
    "summary_next_steps",
]
"""The six areas of the information wheel (H appendix 11)."""

OutsideScopeReason = Literal[
    "operations_like_effort",
    "therapy_or_treatment",
    "health",
    "labour_market",
    "education",
    "other",
]
"""Why an inquiry falls outside VISO's scope (H 5.1.3)."""

ClosingKind = Literal["consent_withdrawn", "citizen_died", "inquirer_stopped", "basis_gone"]
"""Why a case is stopped: consent withdrawn (H 2.2.3) or an interruption (H 5.2.10)."""

Subject = Literal["individual", "group", "anonymous"]


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


class VisitationCaseOpened(EventPayload):
    """A visitation case was opened for an inquiry and given a responsible consultant."""

    event_type = "VisitationCaseOpened"

    case_id: str
    inquiry_id: str
    main_area: MainArea
    consultant_id: str = Field(description="The consultant responsible for the case.")
    opened_at: datetime

    def subject(self) -> str:
        return self.case_id


class VisitationDecided(EventPayload):
    """The administrative decision whether VISO gives advice, with its reasoning."""

    event_type = "VisitationDecided"

    case_id: str
    inquiry_id: str
    outcome: str = Field(description="closed_with_advice, referred, outside_scope or proceed.")
    advice_given: bool = Field(description="Whether VISO gives advice (a course or the dialogue).")
    service_id: str | None = None
    referred_to: str | None = None
    reasoning: str
    complaint_guidance: str | None = Field(default=None, description="Set on a refusal.")
    decided_by: str
    decided_on: date

    def subject(self) -> str:
        return self.case_id


class SupplierOffered(EventPayload):
    """The case was sent to a supplier as a visitation service."""

    event_type = "SupplierOffered"

    case_id: str
    offer_id: str
    supplier_id: str
    service_id: str
    rank: int = Field(description="The supplier's place in the ranking when chosen (1 = top).")
    justification: str
    answer_due: date
    consultant_id: str | None = Field(default=None, description="The case's consultant.")
    notify_user_ids: list[str] = Field(
        default_factory=list,
        description="Who at the supplier is told of the offer: the specialist the consultant "
        "named, else every specialist the supplier lists; empty if it lists none.",
    )

    def subject(self) -> str:
        return self.case_id


class OfferAnswered(EventPayload):
    """The supplier said yes or no to an offer."""

    event_type = "OfferAnswered"

    case_id: str
    offer_id: str
    supplier_id: str
    accepted: bool
    reason: str | None = None
    specialist_id: str | None = None
    answered_on: date

    def subject(self) -> str:
        return self.case_id


class NextSupplierNeeded(EventPayload):
    """A supplier said no or did not answer in time: the consultant picks the next one."""

    event_type = "NextSupplierNeeded"

    case_id: str
    offer_id: str
    consultant_id: str
    previous_supplier_id: str
    why: Literal["declined", "expired"]
    reason: str | None = None
    next_supplier_id: str | None = Field(default=None, description="The next eligible candidate.")
    next_supplier_name: str | None = None

    def subject(self) -> str:
        return self.case_id


class CaseHandedToLeverance(EventPayload):
    """A supplier said yes and held the clarifying meeting; the delivery agreement may start.

    Contract: leverance opens the course for (case_id, supplier_id) on it, so that supplier's
    specialist can propose the delivery agreement. One per supplier on a case.
    """

    event_type = "CaseHandedToLeverance"

    case_id: str
    inquiry_id: str
    supplier_id: str
    specialist_id: str = Field(description="The supplier's specialist who accepted.")
    consultant_id: str
    main_area: MainArea
    service: str = Field(description="The advisory service id chosen, e.g. single_case.")
    clarifying_meeting_on: date
    summary_note_due: date | None = None
    handed_at: datetime
    offer_id: str | None = Field(default=None, description="The visitation offer handed over.")
    course_max_months: int | None = Field(
        default=None, description="The service's duration limit, clarifying to closing meeting."
    )
    citizen_attended: bool | None = Field(
        default=None, description="Whether the citizen took part in the clarifying meeting."
    )

    def subject(self) -> str:
        return self.case_id


class SummaryNoteSent(EventPayload):
    """The specialist sent the summary note of the clarifying meeting (H 5.1.3).

    Contract: documents journals it as a sent `clarifying_summary_note` of the offer's supplier
    (DocumentJournaled), from which leverance makes that supplier's agreement proposal due.
    """

    event_type = "SummaryNoteSent"

    case_id: str
    inquiry_id: str
    offer_id: str
    supplier_id: str
    specialist_id: str | None = None
    sent_on: date
    sent_to: list[str] = Field(description="Who received the note: the inquirer.")
    recorded_by: str
    recorded_by_role: str
    recorded_at: datetime

    def subject(self) -> str:
        return self.case_id


class VisitationCaseClosed(EventPayload):
    """The case was stopped (consent withdrawn or interrupted); the record is kept."""

    event_type = "VisitationCaseClosed"

    case_id: str
    inquiry_id: str
    kind: str
    reason: str
    closed_on: date

    def subject(self) -> str:
        return self.case_id
