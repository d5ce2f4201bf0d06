"""Visitation's events (the Kafka payload schema) and the types its commands share."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from services.contracts.channel import Channel
from services.contracts.common import MainArea
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
    tie_broken_with: list[str] = Field(
        default_factory=list,
        description="(added) Suppliers tied with this one in the ranking that the consultant "
        "chose it over; VISO's own record, never shown to suppliers.",
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
    high_conflict: bool = Field(
        default=False,
        description="Visitation found a high level of conflict between the parties: the "
        "consultant attends the meetings (H 5.1.3).",
    )
    press_attention: bool = Field(
        default=False,
        description="The press follows or is expected to follow the case: the consultant "
        "attends the meetings (H 5.1.3).",
    )

    def subject(self) -> str:
        return self.case_id


class CaseHandedToCentralUnit(EventPayload):
    """The clarifying meeting of a course the central unit runs itself was held (a service
    without a supplier, H 3.11, 3.12, or extended phone advice the consultant gives, H 3.2).

    Contract: leverance opens the course with no supplier's part: `delivered_by` (the
    consultant or a named VISO colleague) delivers it, logs the hours and closes it with the
    consultant; no price, statement or settlement.
    """

    event_type = "CaseHandedToCentralUnit"

    case_id: str
    inquiry_id: str
    consultant_id: str
    delivered_by: str = Field(description="The VISO user who delivers the advice.")
    main_area: MainArea
    service: str = Field(description="The advisory service id, e.g. casework_course.")
    clarifying_meeting_on: date
    handed_at: datetime
    course_max_months: int | None = Field(
        default=None, description="The service's duration limit, clarifying to closing meeting."
    )
    citizen_attended: bool | None = None
    high_conflict: bool = Field(default=False, description="As in CaseHandedToLeverance.")
    press_attention: bool = Field(default=False, description="As in CaseHandedToLeverance.")

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
