"""Leverance's commands: what a gRPC request asks for, validated field by field."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.contracts.common import MainArea
from services.kernel.bounds import Day, Month, Version, Year
from services.leverance.domain.anchoring import AnchoringKind
from services.leverance.domain.goals import GoalResult
from services.leverance.domain.reference import (
    ClosingStepKind,
    ExpenseCategory,
    InterruptionReason,
    SupplierKind,
)
from services.leverance.domain.suppliers import Address, Contract, Specialist
from services.leverance.domain.types import ZERO, Amount, Hours, Money, RequestDay

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
ExpectedVersion = Version


def _empty_as_zero(value: object) -> object:
    return "0" if value == "" else value


def _empty_as_none(value: object) -> object:
    return None if value == "" else value


class Command(BaseModel):
    """Base of leverance's commands: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SaveSupplier(Command):
    """Create or update a supplier's profile."""

    supplier_id: Id
    expected_version: ExpectedVersion = 0
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    kind: SupplierKind
    kas: bool = False
    active: bool = True
    address: Address = Address()
    free_capacity: int = Field(default=0, ge=0, le=10_000)

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, value: object) -> object:
        if isinstance(value, dict) and value.get("municipality_code") == "":
            return {**value, "municipality_code": None}
        return value


class SetContract(Command):
    """Add or replace a framework contract."""

    supplier_id: Id
    expected_version: ExpectedVersion = 0
    contract: Contract


class RemoveContract(Command):
    """Remove a framework contract."""

    supplier_id: Id
    expected_version: ExpectedVersion = 0
    contract_id: Id


class SetSpecialist(Command):
    """Add or replace a specialist."""

    supplier_id: Id
    expected_version: ExpectedVersion = 0
    specialist: Specialist


class ImportSuppliers(Command):
    """Import a supplier list."""

    csv_text: Annotated[str, StringConstraints(min_length=1, max_length=3_000_000)]


class ProposeAgreement(Command):
    """Propose an agreement version (the first, again after renegotiation, or a change).

    The lines and the description are read by the domain line by line (`read_proposal`), so
    every bad field of every line is named together with the rule violations.
    """

    delivery_id: Id
    expected_version: ExpectedVersion = 0
    activities: list[dict[str, Any]] = Field(max_length=200)
    description: dict[str, Any] | None = None
    justification: Text = ""
    duration_justification: Text = ""


class DecideAgreement(Command):
    """Approve the pending version."""

    delivery_id: Id
    expected_version: ExpectedVersion = 0


class ReturnAgreement(Command):
    """Ask for renegotiation (consultant) or reject (manager)."""

    delivery_id: Id
    expected_version: ExpectedVersion = 0
    objections: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)
    ]


class LogConsumption(Command):
    """Log hours or one expense on an activity."""

    delivery_id: Id
    activity_id: Id
    worked_on: RequestDay
    hours: Hours = ZERO
    expense_category: ExpenseCategory | None = None
    expense_amount_dkk: Annotated[Money, Field(gt=0)] | None = None
    note: Text = ""

    @field_validator("hours", mode="before")
    @classmethod
    def _zero(cls, value: object) -> object:
        return _empty_as_zero(value)

    @field_validator("expense_category", "expense_amount_dkk", mode="before")
    @classmethod
    def _none(cls, value: object) -> object:
        return _empty_as_none(value)


class ReviewConsumption(Command):
    """Approve or reject entries."""

    delivery_id: Id
    entry_ids: list[Id] = Field(min_length=1, max_length=500)
    approve: bool
    reason: Text = ""


class DeliveryStep(Command):
    """A step on a delivery with no further fields (submit or approve the statement)."""

    delivery_id: Id
    expected_version: ExpectedVersion = 0


class ConfirmClosingStep(Command):
    """The specialist confirms a closing step of their part."""

    delivery_id: Id
    expected_version: ExpectedVersion = 0
    step: ClosingStepKind


class NameCoordinator(Command):
    """Name the coordinating supplier."""

    case_id: Id
    expected_version: ExpectedVersion = 0
    supplier_id: Id


class InterruptCourse(Command):
    """Stop a course."""

    case_id: Id
    expected_version: ExpectedVersion = 0
    reason: InterruptionReason
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


class GoalEvaluationInput(Command):
    """How far one goal of the agreement was reached, and why."""

    delivery_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    goal: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
    result: GoalResult
    comment: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)
    ]


class RecordClosingMeeting(Command):
    """Record the closing meeting: every goal evaluated, the consultant's attendance."""

    case_id: Id
    expected_version: ExpectedVersion = 0
    held_on: RequestDay
    goal_evaluations: list[GoalEvaluationInput] = Field(default_factory=list, max_length=200)
    consultant_attended: bool | None = None


class BookAnchoringActivity(Command):
    """Book an anchoring activity."""

    case_id: Id
    expected_version: ExpectedVersion = 0
    kind: AnchoringKind
    on: RequestDay


class RecordAnchoringActivityHeld(Command):
    """Record that an anchoring activity took place."""

    case_id: Id
    expected_version: ExpectedVersion = 0
    activity_id: Id


class RecordAnchoringAgendaSent(Command):
    """Record that the anchoring meeting's agenda and plan template were sent."""

    case_id: Id
    expected_version: ExpectedVersion = 0
    activity_id: Id


class StartCentralCourse(Command):
    """The consultant plans a course the central unit runs itself: it starts."""

    case_id: Id
    expected_version: ExpectedVersion = 0
    description: dict[str, Any] | None = None
    planned_hours: Hours = ZERO

    @field_validator("planned_hours", mode="before")
    @classmethod
    def _zero(cls, value: object) -> object:
        return _empty_as_zero(value)


class LogCentralHours(Command):
    """Hours the central unit spent on a course it runs itself."""

    case_id: Id
    activity_kind: Id
    worked_on: RequestDay
    hours: Hours = ZERO
    note: Text = ""

    @field_validator("hours", mode="before")
    @classmethod
    def _zero(cls, value: object) -> object:
        return _empty_as_zero(value)


class CloseCentralCourse(Command):
    """The consultant closes a course the central unit ran, once its checklist holds."""

    case_id: Id
    expected_version: ExpectedVersion = 0


class CreateMonthlySettlement(Command):
    """Settle a supplier's month."""

    supplier_id: Id
    month: Month


class SetAppropriation(Command):
    """Set the appropriation of a year and main area."""

    year: Year
    main_area: MainArea
    amount_dkk: Amount


class CheckDeadlines(Command):
    """Report overdue deadlines now, optionally as of another day and for one case."""

    as_of: Day | None = None
    case_id: str = Field(default="", max_length=100)
