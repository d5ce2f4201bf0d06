"""One supplier's part of a course: its agreement versions, priced from the contract."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator

from services.contracts.common import MainArea
from services.kernel.store import Aggregate
from services.leverance.domain.reference import (
    TRANSPORT_TIME_KINDS,
    ActivityKind,
    ClosingStepKind,
    service_rules,
)
from services.leverance.domain.suppliers import Contract
from services.leverance.domain.types import ZERO, Amount, Day, Hours, Money, RequestDay, Value, ore
from services.workdays import add_months

MIN_GOAL_WORDS = 3

DeliveryStatus = Literal[
    "awaiting_proposal",
    "proposed",
    "renegotiation",
    "awaiting_manager",
    "running",
    "interrupted",
    "statement_submitted",
    "closed",
]
VersionStatus = Literal["proposed", "awaiting_manager", "approved", "returned"]


class Actor(Value):
    """Who does something: user id and role (and supplier for supplier roles)."""

    user_id: str
    role: str
    supplier_id: str | None = None


class ActivityDraft(Value):
    """A budget line as the specialist proposes it."""

    activity_id: str = Field(default="", max_length=50, description="Empty for a new activity.")
    kind: ActivityKind
    label: str = Field(default="", max_length=500)
    hours: Hours = ZERO
    kilometres: Hours = ZERO
    amount_dkk: Amount = ZERO
    planned_on: RequestDay
    anchoring: bool = Field(default=False, description="An anchoring activity (H 5.4).")

    @field_validator("hours", "kilometres", "amount_dkk", mode="before")
    @classmethod
    def _empty_is_zero(cls, value: object) -> object:
        return "0" if value == "" else value


class Activity(ActivityDraft):
    """A priced budget line of an agreement version."""

    price_dkk: Money


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _concrete(goal: str) -> str:
    if len(goal.split()) < MIN_GOAL_WORDS:
        raise ValueError(f"a goal must be concrete: at least {MIN_GOAL_WORDS} words")
    return goal


def _some(goals: tuple[str, ...]) -> tuple[str, ...]:
    if not goals:
        raise ValueError("at least one concrete goal is required")
    return goals


Goal = Annotated[str, BeforeValidator(_stripped), AfterValidator(_concrete)]
"""A concrete goal, evaluated at the closing meeting (reached or not)."""


class Description(Value):
    """The delivery description: purpose, concrete goals, content, course and method."""

    purpose: str = Field(min_length=1, max_length=10_000)
    goals: Annotated[tuple[Goal, ...], AfterValidator(_some)] = Field(max_length=50)
    content: str = Field(min_length=1, max_length=10_000)
    course: str = Field(min_length=1, max_length=10_000)
    method: str = Field(min_length=1, max_length=10_000)

    @field_validator("purpose", "content", "course", "method", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return _stripped(value)


class Rates(Value):
    """The contract prices an agreement version was priced with."""

    contract_id: str
    hourly_rate_dkk: Amount
    transport_hourly_rate_dkk: Amount
    transport_rate_dkk_per_km: Amount

    @classmethod
    def of(cls, contract: Contract) -> Rates:
        """The rates of a framework contract."""
        return cls(
            contract_id=contract.contract_id,
            hourly_rate_dkk=contract.hourly_rate_dkk,
            transport_hourly_rate_dkk=contract.transport_hourly_rate_dkk,
            transport_rate_dkk_per_km=contract.transport_rate_dkk_per_km,
        )

    def hour_rate(self, kind: str) -> Decimal:
        """The price of one hour of an activity kind."""
        if kind in TRANSPORT_TIME_KINDS:
            return Decimal(self.transport_hourly_rate_dkk)
        return Decimal(self.hourly_rate_dkk)


def price(draft: ActivityDraft, rates: Rates) -> Decimal:
    """Hours at the kind's hourly rate, kilometres at the km rate, plus any amount; to the øre."""
    return ore(
        draft.hours * rates.hour_rate(draft.kind)
        + draft.kilometres * rates.transport_rate_dkk_per_km
        + draft.amount_dkk
    )


class AgreementVersion(Value):
    """One version of the agreement; every version stays readable."""

    number: int = Field(ge=1)
    status: VersionStatus
    change: bool
    activities: tuple[Activity, ...]
    description: Description
    rates: Rates
    total_dkk: Money
    justification: str = ""
    duration_justification: str = ""
    high_price: bool = False
    proposed_by: str
    proposed_at: datetime
    consultant_approved_by: str | None = None
    consultant_approved_at: datetime | None = None
    manager_id: str | None = None
    manager_decided_at: datetime | None = None
    objections: str = ""
    returned_by: str | None = None

    @property
    def anchoring(self) -> bool:
        """Whether the version agrees anchoring activities."""
        return any(a.anchoring for a in self.activities)

    def activity(self, activity_id: str) -> Activity | None:
        """One activity by id."""
        return next((a for a in self.activities if a.activity_id == activity_id), None)


class Statement(Value):
    """The financial statement (økonomiskema) of one supplier's part."""

    submitted_on: Day
    submitted_by: str
    consumed_dkk: Money
    approval_due: Day
    approved_on: Day | None = None
    approved_by: str | None = None


class ClosingStep(Value):
    """A closing step the specialist confirmed (H 5.3.3)."""

    step: ClosingStepKind
    done_on: Day
    by: str


class Delivery(Aggregate):
    """One supplier's part of a course: its agreement versions and where it stands."""

    case_id: str
    inquiry_id: str
    supplier_id: str
    specialist_id: str
    consultant_id: str
    main_area: MainArea
    service: str
    clarifying_meeting_on: Day
    status: DeliveryStatus
    versions: tuple[AgreementVersion, ...] = ()
    current_version: int | None = None
    pending_version: int | None = None
    logged_activities: tuple[str, ...] = ()
    summary_note_sent_on: Day | None = Field(
        default=None, description="When the clarifying meeting's summary note went out."
    )
    statement: Statement | None = None
    opened_at: datetime
    closing_steps: tuple[ClosingStep, ...] = Field(
        default=(), description="Closing steps the specialist confirmed."
    )

    def confirmed(self, step: str) -> bool:
        """Whether the specialist confirmed a closing step."""
        return any(s.step == step for s in self.closing_steps)

    @property
    def current(self) -> AgreementVersion | None:
        """The approved version in force."""
        return self.version_numbered(self.current_version)

    @property
    def pending(self) -> AgreementVersion | None:
        """The version awaiting a decision."""
        return self.version_numbered(self.pending_version)

    def version_numbered(self, number: int | None) -> AgreementVersion | None:
        """A version by number."""
        if number is None:
            return None
        return next((v for v in self.versions if v.number == number), None)

    @property
    def started(self) -> bool:
        """Whether an agreement was ever approved."""
        return self.current_version is not None


def course_limit(service: str, clarifying_meeting_on: date) -> date | None:
    """The last day of the course under the service's duration limit, if it has one."""
    months = service_rules(service).max_months
    return None if months is None else add_months(clarifying_meeting_on, months)
