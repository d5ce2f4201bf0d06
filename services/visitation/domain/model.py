"""The visitation case and what it holds; plain data, no I/O."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, get_args

from pydantic import BaseModel, Field

from services.contracts.common import MainArea
from services.kernel.store import Aggregate

CaseStatus = Literal[
    "opened",
    "in_visitation",
    "proceeding",
    "handed_over",
    "closed_with_advice",
    "referred",
    "outside_scope",
    "consent_withdrawn",
    "interrupted",
]
CASE_STATUSES: tuple[str, ...] = get_args(CaseStatus)
CLOSED_STATUSES: frozenset[str] = frozenset(
    {"closed_with_advice", "referred", "outside_scope", "consent_withdrawn", "interrupted"}
)
OfferStatus = Literal[
    "offered",
    "declined",
    "expired",
    "accepted",
    "meeting_booked",
    "handed_over",
    "outside_scope",
    "withdrawn",
]
OFFER_STATUSES: tuple[str, ...] = get_args(OfferStatus)
OPEN_OFFER_STATUSES: frozenset[str] = frozenset({"offered", "accepted", "meeting_booked"})
DeadlineStatus = Literal["open", "missed", "met", "cancelled"]


class InformationEntry(BaseModel):
    """What the consultant recorded for one area of the information wheel."""

    text: str
    recorded_by: str
    recorded_at: datetime


class Decision(BaseModel):
    """The administrative decision whether VISO gives advice (Public Administration Act)."""

    outcome: Literal["closed_with_advice", "referred", "outside_scope", "proceed"]
    advice_given: bool
    reasoning: str
    decided_by: str
    decided_on: date
    service_id: str | None = None
    inquirer_role: str | None = None
    subject: str | None = None
    facts: dict[str, bool] = Field(default_factory=dict)
    complexity_areas: list[str] = Field(default_factory=list)
    planned_duration_months: int | None = None
    referred_to: str | None = None
    outside_scope_reason: str | None = None
    complaint_guidance: str | None = None


class CaseDeadline(BaseModel):
    """One due date on the case, computed with the working-day calendar."""

    deadline_id: str
    rule: str
    rule_text: str
    start: date
    due: date
    explanation: str
    responsible_role: str
    responsible_user_id: str | None = None
    supplier_id: str | None = None
    offer_id: str | None = None
    status: DeadlineStatus = "open"
    met_on: date | None = None
    missed_reported: bool = False
    notify_user_ids: list[str] = Field(
        default_factory=list, description="Reminded instead when no one person is responsible."
    )


class Offer(BaseModel):
    """The case sent to one supplier as a visitation service, and what followed."""

    offer_id: str
    supplier_id: str
    supplier_name: str
    status: OfferStatus
    rank: int
    top_ranked_supplier_id: str
    justification: str
    estimated_price_dkk: str
    offered_on: date
    offered_by: str
    contact_specialist_id: str | None = None
    tie_broken_with: list[str] = Field(
        default_factory=list,
        description="Suppliers tied with this one (same rank: as qualified, same estimated "
        "price) that the consultant chose it over; the justification says why.",
    )
    notified_specialist_ids: list[str] = Field(
        default_factory=list,
        description="Who at the supplier was told of the offer: the named specialist, else "
        "every specialist the supplier lists.",
    )
    answered_on: date | None = None
    answered_by: str | None = None
    specialist_id: str | None = None
    decline_reason: str | None = None
    inquirer_contacted_on: date | None = None
    meeting_on: date | None = None
    meeting_held_on: date | None = None
    citizen_attended: bool | None = None
    citizen_absence_reason: str | None = None
    outside_scope_reason: str | None = None
    summary_note_sent_on: date | None = None
    summary_note: str | None = None
    handed_over_at: datetime | None = None


class SupplierContact(BaseModel):
    """The consultant's contact with a supplier outside an offer (extended phone advice)."""

    supplier_id: str
    contacted_on: date
    recorded_by: str
    note: str = ""


class CentralUnitCourse(BaseModel):
    """The course the central unit runs itself, handed to leverance after its clarifying
    meeting (H 3.2, 3.11, 3.12): the consultant or a named VISO colleague delivers it."""

    delivered_by: str = Field(description="The VISO user who delivers the advice.")
    clarifying_meeting_on: date
    citizen_attended: bool
    citizen_absence_reason: str | None = None
    recorded_by: str
    handed_over_at: datetime


class VisitationCase(Aggregate):
    """A consultant's visitation of one inquiry, until a supplier said yes or it closed."""

    inquiry_id: str
    status: CaseStatus
    main_area: MainArea
    consultant_id: str
    opened_at: datetime
    distributed_on: date | None = None
    requested_service: str | None = None
    inquirer_name: str = ""
    inquirer_type: str | None = None
    municipality_code: str | None = None
    citizen_ref: str | None = None
    citizen_age_years: int | None = None
    target_groups: list[str] = Field(default_factory=list)
    family_group_id: str | None = None
    procedure_supplier_id: str | None = Field(
        default=None,
        description="The supplier an internal procedure assigned the case to: the single case's "
        "for a combination course (H 4.4.2), one from the theme's list for a theme course "
        "(H 4.4.3). Offers go to it only.",
    )
    theme_id: str | None = None
    first_contact_on: date | None = None
    supplier_contacts: list[SupplierContact] = Field(default_factory=list)
    information: dict[str, InformationEntry] = Field(default_factory=dict)
    decision: Decision | None = None
    service_id: str | None = None
    offers: list[Offer] = Field(default_factory=list)
    central_unit: CentralUnitCourse | None = Field(
        default=None, description="Set when the central unit runs the course itself."
    )
    deadlines: list[CaseDeadline] = Field(default_factory=list)
    closed_kind: str | None = None
    closed_reason: str | None = None
    closed_on: date | None = None

    def fact(self, name: str) -> bool:
        """A fact the decision to proceed recorded (false when not stated)."""
        return bool(self.decision and self.decision.facts.get(name, False))

    @property
    def is_closed(self) -> bool:
        """Whether the case reached an end state."""
        return self.status in CLOSED_STATUSES

    def offer(self, offer_id: str) -> Offer | None:
        """The offer with this id on the case."""
        return next((o for o in self.offers if o.offer_id == offer_id), None)

    def deadline(self, deadline_id: str) -> CaseDeadline | None:
        """The deadline with this id on the case."""
        return next((d for d in self.deadlines if d.deadline_id == deadline_id), None)
