"""One supplier's delivery agreement: pricing, validation, proposals, approvals and versions."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, field_validator

from services.intake.messages import MainArea
from services.kernel.envelope import EventPayload
from services.kernel.errors import FieldViolation, Forbidden, IllegalTransition, InvalidInput
from services.kernel.store import Aggregate
from services.leverance.domain import deadlines
from services.leverance.domain.reference import (
    AMOUNT_KINDS,
    ANCHORING_WINDOW_MONTHS,
    HOUR_KINDS,
    KILOMETRE_KINDS,
    TRANSPORT_TIME_KINDS,
    ActivityKind,
    service_rules,
)
from services.leverance.domain.suppliers import Contract
from services.leverance.domain.types import ZERO, Amount, Day, Hours, Money, Value, ore, total
from services.leverance.messages import (
    DeliveryAgreementApproved,
    DeliveryAgreementProposed,
    DeliveryAgreementReturned,
    HighPriceApprovalRequested,
    HighPriceDecided,
)
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
NOT_STARTED: frozenset[str] = frozenset(
    {"awaiting_proposal", "proposed", "renegotiation", "awaiting_manager"}
)


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
    planned_on: Day
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
    statement: Statement | None = None
    opened_at: datetime

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


def validate_activities(
    drafts: Sequence[ActivityDraft | None],
    *,
    service: str,
    clarifying_meeting_on: date,
    allow_beyond_limit: bool,
    field: str = "activities",
) -> list[FieldViolation]:
    """Every rule a budget line breaks, each naming its field."""
    violations: list[FieldViolation] = []
    if not drafts:
        violations.append(FieldViolation(field, "at least one activity is required"))
    limit = course_limit(service, clarifying_meeting_on)
    seen: set[str] = set()
    for i, line in enumerate(drafts):
        at = f"{field}.{i}"
        if line is None:
            continue
        if line.activity_id:
            if line.activity_id in seen:
                violations.append(FieldViolation(f"{at}.activity_id", "appears twice"))
            seen.add(line.activity_id)
        if line.hours and line.kind not in HOUR_KINDS:
            violations.append(FieldViolation(f"{at}.hours", f"{line.kind} is not priced by hours"))
        if line.kilometres and line.kind not in KILOMETRE_KINDS:
            violations.append(FieldViolation(f"{at}.kilometres", "only transport_costs has km"))
        if line.amount_dkk and line.kind not in AMOUNT_KINDS:
            violations.append(
                FieldViolation(f"{at}.amount_dkk", f"{line.kind} is priced by hours, not amount")
            )
        if not (line.hours or line.kilometres or line.amount_dkk):
            violations.append(FieldViolation(f"{at}.hours", "hours, kilometres or amount needed"))
        if line.planned_on < clarifying_meeting_on:
            violations.append(
                FieldViolation(
                    f"{at}.planned_on",
                    f"before the clarifying meeting on {clarifying_meeting_on.isoformat()}",
                )
            )
        if limit is not None:
            last = add_months(limit, ANCHORING_WINDOW_MONTHS) if line.anchoring else limit
            if line.planned_on > last and not allow_beyond_limit:
                violations.append(
                    FieldViolation(
                        f"{at}.planned_on",
                        f"after the course limit of {service} ({last.isoformat()}); "
                        "a change with the consultant's agreement and a justification is needed",
                    )
                )
        if line.anchoring and not service_rules(service).anchoring:
            violations.append(FieldViolation(f"{at}.anchoring", f"{service} has no anchoring"))
    return violations


def validate_description(
    description: Description, field: str = "description"
) -> list[FieldViolation]:
    """Goals are concrete (checked as they are read) and each one is stated once."""
    violations: list[FieldViolation] = []
    seen: set[str] = set()
    for i, goal in enumerate(description.goals):
        if goal.casefold() in seen:
            violations.append(FieldViolation(f"{field}.goals.{i}", "the same goal twice"))
        seen.add(goal.casefold())
    return violations


def read_proposal(
    raw_lines: Sequence[Mapping[str, Any]], raw_description: Mapping[str, Any] | None
) -> tuple[list[ActivityDraft | None], Description | None, list[FieldViolation]]:
    """Read a proposal line by line, so that every bad field is reported, not just the first."""
    violations: list[FieldViolation] = []
    drafts: list[ActivityDraft | None] = []
    for i, raw in enumerate(raw_lines):
        try:
            drafts.append(ActivityDraft.model_validate(raw))
        except ValidationError as error:
            violations += InvalidInput.from_pydantic(error, f"activities.{i}.").violations
            drafts.append(None)
    description = None
    if raw_description is None:
        violations.append(FieldViolation("description", "required"))
    else:
        try:
            description = Description.model_validate(raw_description)
        except ValidationError as error:
            violations += InvalidInput.from_pydantic(error, "description.").violations
    return drafts, description, violations


def _assign_ids(drafts: Sequence[ActivityDraft], delivery: Delivery) -> list[ActivityDraft]:
    used = [a.activity_id for v in delivery.versions for a in v.activities]
    numbers = [int(x[1:]) for x in used if x[1:].isdigit()]
    following = max(numbers, default=0) + 1
    assigned = []
    for draft in drafts:
        if draft.activity_id:
            assigned.append(draft)
        else:
            assigned.append(draft.model_copy(update={"activity_id": f"A{following}"}))
            following += 1
    return assigned


def _require_specialist(delivery: Delivery, actor: Actor) -> None:
    if (
        actor.role not in ("specialist", "kas_supplier")
        or actor.supplier_id != delivery.supplier_id
    ):
        raise Forbidden("only a specialist of the delivery's supplier may do this")


def propose(
    delivery: Delivery,
    *,
    drafts: Sequence[ActivityDraft | None],
    description: Description | None,
    contract: Contract | None,
    actor: Actor,
    now: datetime,
    justification: str = "",
    duration_justification: str = "",
    activities_with_consumption: Collection[str] = (),
    read_violations: Sequence[FieldViolation] = (),
) -> tuple[Delivery, list[EventPayload]]:
    """A version the specialist proposes: the first agreement, or a change of a running one."""
    _require_specialist(delivery, actor)
    change = delivery.status == "running"
    if delivery.status not in ("awaiting_proposal", "renegotiation", "running"):
        raise IllegalTransition(f"no proposal can be made while the delivery is {delivery.status}")
    if change and delivery.pending_version is not None:
        raise IllegalTransition("a change already awaits a decision")
    violations = list(read_violations)
    violations += validate_activities(
        drafts,
        service=delivery.service,
        clarifying_meeting_on=delivery.clarifying_meeting_on,
        allow_beyond_limit=change and bool(duration_justification.strip()),
    )
    if description is not None:
        violations += validate_description(description)
    if change:
        violations += _change_violations(
            delivery, drafts, justification, activities_with_consumption
        )
    if contract is None:
        raise IllegalTransition(
            f"supplier {delivery.supplier_id} has no framework contract for {delivery.service} "
            f"in {delivery.main_area} on {delivery.clarifying_meeting_on.isoformat()}"
        )
    if violations:
        raise InvalidInput(violations)
    read = [d for d in drafts if d is not None]
    assert description is not None and len(read) == len(drafts)
    rates = Rates.of(contract)
    activities = tuple(
        Activity(**d.model_dump(), price_dkk=price(d, rates)) for d in _assign_ids(read, delivery)
    )
    number = len(delivery.versions) + 1
    version = AgreementVersion(
        number=number,
        status="proposed",
        change=change,
        activities=activities,
        description=description,
        rates=rates,
        total_dkk=total(a.price_dkk for a in activities),
        justification=justification.strip(),
        duration_justification=duration_justification.strip(),
        proposed_by=actor.user_id,
        proposed_at=now,
    )
    updated = delivery.model_copy(
        update={
            "versions": (*delivery.versions, version),
            "pending_version": number,
            "status": "running" if change else "proposed",
        }
    )
    event = DeliveryAgreementProposed(
        case_id=delivery.case_id,
        delivery_id=delivery.id,
        supplier_id=delivery.supplier_id,
        version=number,
        change=change,
        total_dkk=version.total_dkk,
        consultant_id=delivery.consultant_id,
        proposed_by=actor.user_id,
    )
    return updated, [event]


def _change_violations(
    delivery: Delivery,
    drafts: Sequence[ActivityDraft | None],
    justification: str,
    activities_with_consumption: Collection[str],
) -> list[FieldViolation]:
    violations = []
    current = delivery.current
    assert current is not None
    if not justification.strip():
        violations.append(FieldViolation("justification", "a change must be justified"))
    known = {a.activity_id for a in current.activities}
    for i, draft in enumerate(drafts):
        if draft is not None and draft.activity_id and draft.activity_id not in known:
            violations.append(
                FieldViolation(f"activities.{i}.activity_id", "no such activity in force")
            )
    kept = {d.activity_id for d in drafts if d is not None}
    for activity_id in sorted(known - kept):
        if activity_id in activities_with_consumption:
            violations.append(
                FieldViolation("activities", f"{activity_id} has logged consumption; keep it")
            )
    return violations


def _replace_version(delivery: Delivery, version: AgreementVersion) -> tuple[AgreementVersion, ...]:
    return tuple(version if v.number == version.number else v for v in delivery.versions)


def needs_manager(
    version: AgreementVersion, current: AgreementVersion | None, threshold: Decimal
) -> bool:
    """High price: above the threshold and, for a change, dearer than the version in force."""
    if version.total_dkk <= threshold:
        return False
    return current is None or version.total_dkk > current.total_dkk


def approve(
    delivery: Delivery,
    *,
    actor: Actor,
    threshold: Decimal,
    manager_of: Callable[[str], str],
    now: datetime,
) -> tuple[Delivery, list[EventPayload]]:
    """The consultant's approval, then the manager's for a high-price version."""
    version = delivery.pending
    if version is None:
        raise IllegalTransition("no agreement version awaits approval")
    if version.status == "proposed":
        _require_consultant(delivery, actor)
        approved = version.model_copy(
            update={"consultant_approved_by": actor.user_id, "consultant_approved_at": now}
        )
        if needs_manager(version, delivery.current, threshold):
            manager = manager_of(delivery.consultant_id)
            waiting = approved.model_copy(
                update={"status": "awaiting_manager", "high_price": True, "manager_id": manager}
            )
            updated = delivery.model_copy(
                update={
                    "versions": _replace_version(delivery, waiting),
                    "status": "running" if delivery.started else "awaiting_manager",
                }
            )
            event = HighPriceApprovalRequested(
                case_id=delivery.case_id,
                delivery_id=delivery.id,
                supplier_id=delivery.supplier_id,
                version=version.number,
                total_dkk=version.total_dkk,
                threshold_dkk=threshold,
                consultant_id=delivery.consultant_id,
                manager_id=manager,
            )
            return updated, [event]
        return _in_force(delivery, approved, now=now, decided=None)
    if version.status == "awaiting_manager":
        _require_manager(version, actor)
        decided = version.model_copy(update={"manager_decided_at": now})
        return _in_force(delivery, decided, now=now, decided=actor)
    raise IllegalTransition(f"version {version.number} is {version.status}")


def _require_consultant(delivery: Delivery, actor: Actor) -> None:
    if actor.role != "consultant" or actor.user_id != delivery.consultant_id:
        raise Forbidden("only the case's consultant may decide this")


def _require_manager(version: AgreementVersion, actor: Actor) -> None:
    if actor.role != "manager" or actor.user_id != version.manager_id:
        raise Forbidden("only the consultant's manager may decide a high-price delivery")


def _in_force(
    delivery: Delivery, version: AgreementVersion, *, now: datetime, decided: Actor | None
) -> tuple[Delivery, list[EventPayload]]:
    previous = delivery.current
    approved = version.model_copy(update={"status": "approved"})
    updated = delivery.model_copy(
        update={
            "versions": _replace_version(delivery, approved),
            "current_version": approved.number,
            "pending_version": None,
            "status": "running",
        }
    )
    events: list[EventPayload] = []
    if decided is not None:
        events.append(
            _decision(delivery, approved, decided, approved_=True, objections="", now=now)
        )
    events.append(
        DeliveryAgreementApproved(
            case_id=delivery.case_id,
            delivery_id=delivery.id,
            supplier_id=delivery.supplier_id,
            version=approved.number,
            change=approved.change,
            total_dkk=approved.total_dkk,
            approved_at=now,
        )
    )
    events += activity_deadlines(updated, previous, approved)
    return updated, events


def _decision(
    delivery: Delivery,
    version: AgreementVersion,
    manager: Actor,
    *,
    approved_: bool,
    objections: str,
    now: datetime,
) -> HighPriceDecided:
    return HighPriceDecided(
        case_id=delivery.case_id,
        delivery_id=delivery.id,
        supplier_id=delivery.supplier_id,
        version=version.number,
        approved=approved_,
        objections=objections,
        total_dkk=version.total_dkk,
        consultant_id=delivery.consultant_id,
        manager_id=manager.user_id,
        decided_at=now,
    )


def return_for_renegotiation(
    delivery: Delivery, *, actor: Actor, objections: str, now: datetime
) -> tuple[Delivery, list[EventPayload]]:
    """The consultant asks for renegotiation, or the manager rejects, with written objections."""
    version = delivery.pending
    if version is None:
        raise IllegalTransition("no agreement version awaits a decision")
    if not objections.strip():
        raise InvalidInput.single("objections", "write the objections")
    events: list[EventPayload] = []
    if version.status == "proposed":
        _require_consultant(delivery, actor)
    elif version.status == "awaiting_manager":
        _require_manager(version, actor)
        events.append(
            _decision(delivery, version, actor, approved_=False, objections=objections, now=now)
        )
    else:
        raise IllegalTransition(f"version {version.number} is {version.status}")
    returned = version.model_copy(
        update={
            "status": "returned",
            "objections": objections.strip(),
            "returned_by": actor.user_id,
            "manager_decided_at": now if actor.role == "manager" else None,
        }
    )
    updated = delivery.model_copy(
        update={
            "versions": _replace_version(delivery, returned),
            "pending_version": None,
            "status": "running" if delivery.started else "renegotiation",
        }
    )
    events.append(
        DeliveryAgreementReturned(
            case_id=delivery.case_id,
            delivery_id=delivery.id,
            supplier_id=delivery.supplier_id,
            version=version.number,
            objections=objections.strip(),
            returned_by=actor.user_id,
            by_role=actor.role,
            specialist_id=delivery.specialist_id,
        )
    )
    return updated, events


def activity_deadlines(
    delivery: Delivery, previous: AgreementVersion | None, version: AgreementVersion
) -> list[EventPayload]:
    """Logging deadlines set, moved or dropped by the version now in force."""

    def spec(activity: Activity) -> deadlines.DeadlineSpec:
        return deadlines.log_consumption(
            case_id=delivery.case_id,
            delivery_id=delivery.id,
            activity_id=activity.activity_id,
            planned_on=activity.planned_on,
            specialist_id=delivery.specialist_id,
            supplier_id=delivery.supplier_id,
        )

    logged = set(delivery.logged_activities)
    before = {a.activity_id: a for a in previous.activities} if previous else {}
    events: list[EventPayload] = []
    for activity in version.activities:
        if activity.activity_id in logged:
            continue
        old = before.get(activity.activity_id)
        if old is None:
            events.append(spec(activity).set())
        elif spec(old).due != spec(activity).due:
            events.append(
                spec(activity).changed(spec(old).due, f"agreement version {version.number}")
            )
    kept = {a.activity_id for a in version.activities}
    for activity_id, old in before.items():
        if activity_id not in kept and activity_id not in logged:
            events.append(spec(old).cancelled(f"removed in agreement version {version.number}"))
    return events


def open_deadlines(delivery: Delivery, reason: str) -> list[EventPayload]:
    """Cancel the logging deadlines of activities never logged (on interruption)."""
    current = delivery.current
    if current is None:
        return []
    return [
        deadlines.log_consumption(
            case_id=delivery.case_id,
            delivery_id=delivery.id,
            activity_id=a.activity_id,
            planned_on=a.planned_on,
            specialist_id=delivery.specialist_id,
            supplier_id=delivery.supplier_id,
        ).cancelled(reason)
        for a in current.activities
        if a.activity_id not in delivery.logged_activities
    ]


def budget_total(delivery: Delivery) -> Decimal:
    """The total price of the version in force (zero before one is)."""
    current = delivery.current
    return Decimal(current.total_dkk) if current else ZERO
