"""Approvals: the consultant, the manager above the price threshold, renegotiation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from services.contracts.leverance import (
    DeliveryAgreementApproved,
    DeliveryAgreementReturned,
    HighPriceApprovalRequested,
    HighPriceDecided,
)
from services.kernel.envelope import EventPayload
from services.kernel.errors import Forbidden, IllegalTransition, InvalidInput
from services.leverance.domain import deadlines
from services.leverance.domain.delivery import (
    Activity,
    Actor,
    AgreementVersion,
    Delivery,
)


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
            specialist_id=delivery.specialist_id,
            consultant_id=delivery.consultant_id,
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
