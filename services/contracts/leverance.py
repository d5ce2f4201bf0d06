"""Leverance's events; also the Kafka payload schema."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

from services.contracts.channel import Channel
from services.contracts.common import MainArea
from services.kernel.envelope import ContractModel, EventPayload

SupplierKind = str  # "municipal", "regional", "self_owning", "private"


class ContractTerms(ContractModel):
    """One framework contract of a supplier, as visitation needs it for ranking."""

    contract_id: str
    main_area: MainArea
    services: list[str] = Field(description="Advisory service ids the contract covers.")
    min_age: int = Field(ge=0, description="Youngest citizen age covered, in years.")
    max_age: int = Field(le=130, description="Oldest citizen age covered, in years.")
    target_groups: list[str] = Field(description="Reference-data target-group ids covered.")
    competences: list[str] = Field(default_factory=list)
    hourly_rate_dkk: Decimal = Field(ge=0, description="Price of one hour, DKK.")
    transport_rate_dkk_per_km: Decimal = Field(ge=0)
    transport_hourly_rate_dkk: Decimal = Field(ge=0, description="Price of transport time.")
    valid_from: date
    valid_to: date


CHANNELS = (Channel.events_of("leverance"),)


class SupplierProfileChanged(EventPayload):
    """A supplier's full profile after any change (snapshot, newest wins by `revision`).

    Contract: visitation keeps its own read model of eligible suppliers from these.
    """

    event_type = "SupplierProfileChanged"

    supplier_id: str
    revision: int = Field(ge=1, description="Increases with every change of the supplier.")
    name: str
    kind: SupplierKind
    kas: bool = Field(description="Whether it is one of the KaS suppliers.")
    active: bool
    municipality_code: str | None = Field(default=None, description="Where it is located.")
    free_capacity: int = Field(ge=0, description="New courses it can take now.")
    contracts: list[ContractTerms]
    changed_at: datetime
    specialists_trained: int | None = Field(
        default=None, ge=0, description="Specialists who completed every VISO training module."
    )
    specialist_ids: list[str] = Field(
        default_factory=list,
        description="User ids of the supplier's specialists (role specialist); visitation "
        "notifies them of an offer when the consultant names none.",
    )

    def subject(self) -> str:
        return self.supplier_id


# --- courses and delivery agreements (subject: the case id) -------------------------------------

Dkk = Annotated[Decimal, PlainSerializer(str, return_type=str)]
"""An amount in DKK, exact to the øre, sent as text."""

HoursText = Annotated[Decimal, PlainSerializer(str, return_type=str)]
"""A number of hours (quarter hours are 0.25), sent as text."""

CENTRAL_UNIT = "central_unit"
"""`delivered_by` of a course the central unit runs itself, without a supplier."""


class _CaseEvent(EventPayload):
    case_id: str

    def subject(self) -> str:
        return self.case_id


class _DeliveryEvent(_CaseEvent):
    delivery_id: str = Field(description="One supplier's part of the course.")
    supplier_id: str


class CourseOpened(_DeliveryEvent):
    """A supplier's part of a course was opened; its specialist may propose the agreement."""

    event_type = "CourseOpened"

    inquiry_id: str
    specialist_id: str
    consultant_id: str
    service: str
    main_area: MainArea
    opened_at: datetime


class DeliveryAgreementProposed(_DeliveryEvent):
    """The specialist proposed an agreement version (the first one or a change)."""

    event_type = "DeliveryAgreementProposed"

    version: int = Field(ge=1, description="The agreement version proposed.")
    change: bool = Field(description="Whether it changes a running agreement.")
    total_dkk: Dkk
    consultant_id: str
    proposed_by: str
    high_price: bool = Field(
        default=False,
        description="Above the high-price threshold (added): the manager must approve it too.",
    )


class DeliveryAgreementReturned(_DeliveryEvent):
    """The consultant asked for renegotiation, or the manager rejected a high-price version."""

    event_type = "DeliveryAgreementReturned"

    version: int
    objections: str
    returned_by: str
    by_role: str = Field(examples=["consultant", "manager"])
    specialist_id: str


class HighPriceApprovalRequested(_DeliveryEvent):
    """The consultant approved a version above the price threshold; the manager must decide."""

    event_type = "HighPriceApprovalRequested"

    version: int
    total_dkk: Dkk
    threshold_dkk: Dkk
    consultant_id: str
    manager_id: str


class HighPriceDecided(_DeliveryEvent):
    """The manager approved or rejected a high-price version; the consultant gets a hot notice."""

    event_type = "HighPriceDecided"

    version: int
    approved: bool
    objections: str = ""
    total_dkk: Dkk
    consultant_id: str
    manager_id: str
    decided_at: datetime


class DeliveryAgreementApproved(_DeliveryEvent):
    """An agreement version is fully approved and in force."""

    event_type = "DeliveryAgreementApproved"

    version: int
    change: bool
    total_dkk: Dkk
    approved_at: datetime
    specialist_id: str | None = Field(
        default=None, description="The part's specialist (notified of the change in force)."
    )
    consultant_id: str | None = Field(default=None, description="The case's consultant.")


class CoordinatorNamed(_CaseEvent):
    """The consultant named the coordinating supplier of a course with several suppliers."""

    event_type = "CoordinatorNamed"

    supplier_id: str


class CentralCourseOpened(_CaseEvent):
    """The central unit runs the course itself (H 3.2, 3.11, 3.12): no supplier's part; the
    consultant, or the named VISO colleague, delivers it."""

    event_type = "CentralCourseOpened"

    inquiry_id: str
    consultant_id: str
    delivered_by: str = Field(description="The VISO user who delivers the advice.")
    service: str
    main_area: MainArea
    opened_at: datetime


class CourseStarted(_CaseEvent):
    """Every supplier's part is approved, or the consultant planned a central-unit course: the
    course runs."""

    event_type = "CourseStarted"

    inquiry_id: str
    service: str
    supplier_ids: list[str] = Field(description="Empty for a central-unit course.")
    coordinator_supplier_id: str = Field(description="Empty for a central-unit course.")
    started_at: datetime
    delivered_by: str | None = Field(
        default=None,
        description='"central_unit" when the central unit runs the course itself; else unset.',
    )
    deliverer_id: str | None = Field(
        default=None, description="The VISO user delivering a central-unit course."
    )
    planned_hours: HoursText | None = Field(
        default=None, description="The hours a central-unit course is planned to take."
    )


class CentralHoursLogged(_CaseEvent):
    """Hours the central unit spent on a course it runs itself (no price, no settlement)."""

    event_type = "CentralHoursLogged"

    entry_id: str
    main_area: MainArea
    activity_kind: str = Field(examples=["visitation", "special_advice", "closing"])
    worked_on: date
    hours: HoursText
    logged_by: str


class ConsumptionLogged(_DeliveryEvent):
    """The specialist logged hours or an expense on an activity."""

    event_type = "ConsumptionLogged"

    entry_id: str
    activity_id: str
    worked_on: date
    amount_dkk: Dkk


class ConsumptionReviewed(_DeliveryEvent):
    """The consultant approved or rejected logged consumption."""

    event_type = "ConsumptionReviewed"

    entry_ids: list[str]
    approved: bool
    reason: str = ""


class CourseInterrupted(_CaseEvent):
    """The course was stopped before its end (H 5.2.10)."""

    event_type = "CourseInterrupted"

    reason: str = Field(examples=["citizen_died", "inquirer_stopped"])
    note: str
    interrupted_by: str
    interrupted_at: datetime


class EvaluatedGoal(ContractModel):
    """One goal of the agreement and how far the closing meeting found it reached."""

    delivery_id: str = Field(
        default="", description="The part whose agreement states it; empty: a central course."
    )
    goal: str
    result: str = Field(examples=["reached", "partly_reached", "not_reached"])
    comment: str


class ClosingMeetingHeld(_CaseEvent):
    """The closing meeting was held."""

    event_type = "ClosingMeetingHeld"

    held_on: date
    goal_evaluations: list[EvaluatedGoal] = Field(
        default_factory=list,
        description="Every goal of the agreement in force, evaluated (H 5.1.3, 5.3.2).",
    )
    consultant_attended: bool | None = Field(
        default=None, description="Whether the consultant attended the closing meeting."
    )
    consultant_attendance_required: bool | None = Field(
        default=None,
        description="Whether the handbook required the consultant there (group course, "
        "adoption services, high conflict or press attention).",
    )


class ClosingStepConfirmed(_DeliveryEvent):
    """The specialist confirmed a closing step of their part (H 5.3.3)."""

    event_type = "ClosingStepConfirmed"

    step: str = Field(examples=["recipient_registration_checked", "working_papers_destroyed"])
    done_on: date
    confirmed_by: str


class FinancialStatementSubmitted(_DeliveryEvent):
    """The specialist submitted the financial statement (økonomiskema)."""

    event_type = "FinancialStatementSubmitted"

    submitted_on: date
    consumed_dkk: Dkk
    consultant_id: str


class FinancialStatementApproved(_DeliveryEvent):
    """The consultant approved the financial statement; this supplier's part is closed."""

    event_type = "FinancialStatementApproved"

    approved_on: date


class CourseClosed(_CaseEvent):
    """Every part is closed (a central-unit course: the consultant closed it): the course is
    finally closed."""

    event_type = "CourseClosed"

    inquiry_id: str
    service: str
    interrupted: bool
    closed_at: datetime
    delivered_by: str | None = Field(
        default=None,
        description='"central_unit" for a course the central unit ran itself; else unset.',
    )
    central_unit_hours: HoursText | None = Field(
        default=None, description="Hours the central unit logged on a course it ran itself."
    )
    goals_reached: int | None = Field(
        default=None, description="Goals the closing meeting found reached; unset without one."
    )
    goals_partly_reached: int | None = None
    goals_not_reached: int | None = None
    consultant_attended_closing_meeting: bool | None = None


class SatisfactionSurveyRequested(_CaseEvent):
    """A closed course whose service has a satisfaction survey: send it to the recipient."""

    event_type = "SatisfactionSurveyRequested"

    inquiry_id: str
    service: str
    main_area: MainArea
    consultant_id: str
    supplier_ids: list[str]
    closed_at: datetime


class AnchoringActivityBooked(_CaseEvent):
    """An anchoring activity (H 5.4) was booked."""

    event_type = "AnchoringActivityBooked"

    activity_id: str
    kind: str = Field(examples=["anchoring_meeting", "follow_up_meeting", "phone_sparring"])
    on: date


class AnchoringActivityHeld(_CaseEvent):
    """A booked anchoring activity took place."""

    event_type = "AnchoringActivityHeld"

    activity_id: str
    kind: str
    on: date


class AppropriationSet(EventPayload):
    """The appropriation (bevilling) of a year and main area was set or replaced."""

    event_type = "AppropriationSet"

    year: int
    main_area: MainArea
    amount_dkk: Dkk
    set_at: datetime

    def subject(self) -> str:
        return f"{self.year}:{self.main_area}"


class SettlementCreated(EventPayload):
    """A monthly settlement of approved consumption for one supplier; the agency pays from it."""

    event_type = "SettlementCreated"

    settlement_id: str
    supplier_id: str
    month: str = Field(examples=["2026-10"])
    total_dkk: Dkk
    entries: int
    created_at: datetime

    def subject(self) -> str:
        return self.supplier_id
