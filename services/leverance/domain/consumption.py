"""Consumption: hours and expenses logged on activities, reviewed, totalled against the budget."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from services.contracts.common import MainArea
from services.contracts.leverance import ConsumptionLogged, ConsumptionReviewed
from services.kernel.envelope import EventPayload
from services.kernel.errors import (
    FieldViolation,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    OutsideWindow,
)
from services.kernel.store import Aggregate
from services.leverance.domain import deadlines
from services.leverance.domain.agreements import Actor, Delivery
from services.leverance.domain.reference import HOUR_KINDS, ExpenseCategory
from services.leverance.domain.types import ZERO, Day, Hours, Money, Value, ore, total

EntryStatus = Literal["logged", "approved", "rejected"]
# After the statement only anchoring activities may still be logged (H 5.4 comes after closing).
LOGGABLE = frozenset({"running", "interrupted"})
ANCHORING_LOGGABLE = frozenset({"running", "statement_submitted", "closed"})


class Expense(Value):
    """An expense on an activity, e.g. an interpreter or transport (H ch. 9)."""

    category: ExpenseCategory
    amount_dkk: Money = Field(gt=0)


class ConsumptionEntry(Aggregate):
    """Hours or one expense logged on an activity of a delivery."""

    delivery_id: str
    case_id: str
    supplier_id: str
    main_area: MainArea
    activity_id: str
    activity_kind: str
    worked_on: Day
    hours: Hours = ZERO
    expense_category: ExpenseCategory | None = None
    amount_dkk: Money
    note: str = ""
    logged_by: str
    logged_at: datetime
    status: EntryStatus = "logged"
    reviewed_by: str | None = None
    reason: str = ""
    settlement_id: str | None = None


def refuse_outside_history(delivery: Delivery, worked_on: date, expense: Expense | None) -> None:
    """Consumption is logged from the clarifying meeting on, and the interpreter at that meeting
    is the municipality's expense (H ch. 9): the case's own dates decide."""
    meeting = delivery.clarifying_meeting_on
    if worked_on < meeting:
        raise OutsideWindow.single(
            "worked_on",
            f"{worked_on.isoformat()} is before the clarifying meeting ({meeting.isoformat()})",
        )
    if expense is not None and expense.category == "interpreter" and worked_on == meeting:
        raise OutsideWindow.single(
            "expense_category",
            f"the municipality pays the interpreter at the clarifying meeting on "
            f"{meeting.isoformat()} (H ch. 9)",
        )


def log(
    delivery: Delivery,
    *,
    entry_id: str,
    activity_id: str,
    worked_on: date,
    hours: Decimal,
    expense: Expense | None,
    note: str,
    actor: Actor,
    today: date,
    now: datetime,
) -> tuple[Delivery, ConsumptionEntry, list[EventPayload]]:
    """Log hours or an expense; the first entry on an activity meets its logging deadline."""
    if (
        actor.role not in ("specialist", "kas_supplier")
        or actor.supplier_id != delivery.supplier_id
    ):
        raise Forbidden("only a specialist of the delivery's supplier may log consumption")
    current = delivery.current
    if current is None:
        raise IllegalTransition("nothing can be logged before the agreement is approved")
    activity = current.activity(activity_id)
    if activity is None:
        raise InvalidInput.single("activity_id", "no such activity in the agreement in force")
    allowed = ANCHORING_LOGGABLE if activity.anchoring else LOGGABLE
    if delivery.status not in allowed:
        raise IllegalTransition(f"nothing can be logged while the delivery is {delivery.status}")
    violations = []
    if bool(hours) == (expense is not None):
        violations.append(FieldViolation("hours", "log either hours or one expense"))
    if hours and activity.kind not in HOUR_KINDS:
        violations.append(FieldViolation("hours", f"{activity.kind} is not logged in hours"))
    if worked_on > today:
        violations.append(FieldViolation("worked_on", "in the future"))
    if violations:
        raise InvalidInput(violations)
    refuse_outside_history(delivery, worked_on, expense)
    amount = (
        Decimal(expense.amount_dkk)
        if expense is not None
        else ore(hours * current.rates.hour_rate(activity.kind))
    )
    entry = ConsumptionEntry(
        id=entry_id,
        delivery_id=delivery.id,
        case_id=delivery.case_id,
        supplier_id=delivery.supplier_id,
        main_area=delivery.main_area,
        activity_id=activity_id,
        activity_kind=activity.kind,
        worked_on=worked_on,
        hours=hours,
        expense_category=expense.category if expense else None,
        amount_dkk=amount,
        note=note.strip(),
        logged_by=actor.user_id,
        logged_at=now,
    )
    events: list[EventPayload] = [
        ConsumptionLogged(
            case_id=delivery.case_id,
            delivery_id=delivery.id,
            supplier_id=delivery.supplier_id,
            entry_id=entry_id,
            activity_id=activity_id,
            worked_on=worked_on,
            amount_dkk=amount,
        )
    ]
    if activity_id not in delivery.logged_activities:
        delivery = delivery.model_copy(
            update={"logged_activities": (*delivery.logged_activities, activity_id)}
        )
        spec = deadlines.log_consumption(
            case_id=delivery.case_id,
            delivery_id=delivery.id,
            activity_id=activity_id,
            planned_on=activity.planned_on,
            specialist_id=delivery.specialist_id,
            supplier_id=delivery.supplier_id,
        )
        events.append(spec.met(today))
    return delivery, entry, events


def review(
    delivery: Delivery,
    entries: Sequence[ConsumptionEntry],
    *,
    approve: bool,
    reason: str,
    actor: Actor,
) -> tuple[list[ConsumptionEntry], list[EventPayload]]:
    """The consultant approves or rejects logged entries; settled ones are final."""
    if actor.role != "consultant" or actor.user_id != delivery.consultant_id:
        raise Forbidden("only the case's consultant reviews consumption")
    if not approve and not reason.strip():
        raise InvalidInput.single("reason", "say why the consumption is rejected")
    final = [e.id for e in entries if e.settlement_id is not None]
    if final:
        raise IllegalTransition(f"already settled: {', '.join(final)}")
    status: EntryStatus = "approved" if approve else "rejected"
    reviewed = [
        e.model_copy(
            update={"status": status, "reviewed_by": actor.user_id, "reason": reason.strip()}
        )
        for e in entries
    ]
    event = ConsumptionReviewed(
        case_id=delivery.case_id,
        delivery_id=delivery.id,
        supplier_id=delivery.supplier_id,
        entry_ids=[e.id for e in entries],
        approved=approve,
        reason=reason.strip(),
    )
    return reviewed, [event]


class ActivityTotals(Value):
    """Budget against consumption for one activity."""

    activity_id: str
    kind: str
    planned_on: Day
    budget_hours: Hours
    budget_dkk: Money
    logged_hours: Hours
    logged_dkk: Money
    approved_dkk: Money
    remaining_dkk: Money


class Totals(Value):
    """Budget against consumption for a delivery, per activity and in all."""

    activities: tuple[ActivityTotals, ...]
    budget_dkk: Money
    logged_dkk: Money
    approved_dkk: Money
    remaining_dkk: Money


def totals(delivery: Delivery, entries: Sequence[ConsumptionEntry]) -> Totals:
    """Budget of the version in force against what was logged (rejected entries left out)."""
    counted = [e for e in entries if e.status != "rejected"]
    current = delivery.current
    rows = []
    for activity in current.activities if current else ():
        mine = [e for e in counted if e.activity_id == activity.activity_id]
        logged = total(e.amount_dkk for e in mine)
        rows.append(
            ActivityTotals(
                activity_id=activity.activity_id,
                kind=activity.kind,
                planned_on=activity.planned_on,
                budget_hours=activity.hours,
                budget_dkk=activity.price_dkk,
                logged_hours=sum((e.hours for e in mine), ZERO),
                logged_dkk=logged,
                approved_dkk=total(e.amount_dkk for e in mine if e.status == "approved"),
                remaining_dkk=ore(activity.price_dkk - logged),
            )
        )
    budget = total(a.price_dkk for a in current.activities) if current else ZERO
    logged_all = total(e.amount_dkk for e in counted)
    return Totals(
        activities=tuple(rows),
        budget_dkk=budget,
        logged_dkk=logged_all,
        approved_dkk=total(e.amount_dkk for e in counted if e.status == "approved"),
        remaining_dkk=ore(budget - logged_all),
    )
