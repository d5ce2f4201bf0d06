"""Proposals: the specialist's agreement or change, validated field by field."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from services.contracts.leverance import (
    DeliveryAgreementProposed,
)
from services.kernel.envelope import EventPayload
from services.kernel.errors import (
    FieldViolation,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    OutsideWindow,
)
from services.leverance.domain import deadlines
from services.leverance.domain.approvals import needs_manager
from services.leverance.domain.delivery import (
    Activity,
    ActivityDraft,
    Actor,
    AgreementVersion,
    Delivery,
    Description,
    Rates,
    course_limit,
    price,
)
from services.leverance.domain.reference import (
    AMOUNT_KINDS,
    ANCHORING_WINDOW_MONTHS,
    HOUR_KINDS,
    KILOMETRE_KINDS,
    PROPOSAL_DUE_DAYS,
    service_rules,
)
from services.leverance.domain.suppliers import Contract
from services.leverance.domain.types import danish_day, total
from services.workdays import WorkingDayCalendar, add_months


def validate_activities(
    drafts: Sequence[ActivityDraft | None], *, service: str, field: str = "activities"
) -> list[FieldViolation]:
    """Every rule a budget line breaks whatever the case, each naming its field."""
    violations: list[FieldViolation] = []
    if not drafts:
        violations.append(FieldViolation(field, "at least one activity is required"))
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
        if line.anchoring and not service_rules(service).anchoring:
            violations.append(FieldViolation(f"{at}.anchoring", f"{service} has no anchoring"))
    return violations


def schedule_violations(
    drafts: Sequence[ActivityDraft | None],
    *,
    service: str,
    clarifying_meeting_on: date,
    allow_beyond_limit: bool,
    field: str = "activities",
) -> list[FieldViolation]:
    """Budget lines planned outside the window the case's history sets: before its clarifying
    meeting, or after the service's course limit counted from it (anchoring lines: six months
    more) unless the change is justified."""
    violations: list[FieldViolation] = []
    limit = course_limit(service, clarifying_meeting_on)
    for i, line in enumerate(drafts):
        at = f"{field}.{i}.planned_on"
        if line is None:
            continue
        if line.planned_on < clarifying_meeting_on:
            violations.append(
                FieldViolation(
                    at, f"before the clarifying meeting on {clarifying_meeting_on.isoformat()}"
                )
            )
        if limit is not None:
            last = add_months(limit, ANCHORING_WINDOW_MONTHS) if line.anchoring else limit
            if line.planned_on > last and not allow_beyond_limit:
                violations.append(
                    FieldViolation(
                        at,
                        f"after the course limit of {service} ({last.isoformat()}); "
                        "a change with the consultant's agreement and a justification is needed",
                    )
                )
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
    description, described = read_description(raw_description)
    return drafts, description, violations + described


def read_description(
    raw: Mapping[str, Any] | None, field: str = "description"
) -> tuple[Description | None, list[FieldViolation]]:
    """Read a delivery description (purpose, concrete goals, content, course, method), naming
    every bad field (`validate_description` then checks the goals against each other)."""
    if raw is None:
        return None, [FieldViolation(field, "required")]
    try:
        description = Description.model_validate(raw)
    except ValidationError as error:
        return None, list(InvalidInput.from_pydantic(error, f"{field}.").violations)
    return description, []


def _assign_ids(drafts: Sequence[ActivityDraft], delivery: Delivery) -> list[ActivityDraft]:
    """New activities get ids never used on this delivery, so logged consumption stays attached."""
    used = {a.activity_id for v in delivery.versions for a in v.activities}
    used |= {d.activity_id for d in drafts if d.activity_id}
    following = 1
    assigned = []
    for draft in drafts:
        if draft.activity_id:
            assigned.append(draft)
            continue
        while f"A{following}" in used:
            following += 1
        assigned.append(draft.model_copy(update={"activity_id": f"A{following}"}))
        used.add(f"A{following}")
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
    calendar: WorkingDayCalendar,
    activities_with_consumption: Collection[str] = (),
    read_violations: Sequence[FieldViolation] = (),
    high_price_threshold: Decimal | None = None,
) -> tuple[Delivery, list[EventPayload]]:
    """A version the specialist proposes: the first agreement, or a change of a running one.

    It is marked high-price as soon as it is proposed when its total is above the threshold
    (for a change: and dearer than the version in force), so everyone sees that the manager
    must approve it too."""
    _require_specialist(delivery, actor)
    change = delivery.status == "running"
    if delivery.status not in ("awaiting_proposal", "renegotiation", "running"):
        raise IllegalTransition(f"no proposal can be made while the delivery is {delivery.status}")
    if change and delivery.pending_version is not None:
        raise IllegalTransition("a change already awaits a decision")
    violations = list(read_violations)
    violations += validate_activities(drafts, service=delivery.service)
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
    if outside := schedule_violations(
        drafts,
        service=delivery.service,
        clarifying_meeting_on=delivery.clarifying_meeting_on,
        allow_beyond_limit=change and bool(duration_justification.strip()),
    ):
        raise OutsideWindow(outside)
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
    if high_price_threshold is not None:
        high = needs_manager(version, delivery.current, high_price_threshold)
        version = version.model_copy(update={"high_price": high})
    events: list[EventPayload] = []
    if not delivery.versions and delivery.summary_note_sent_on is not None:
        spec = proposal_deadline(delivery, delivery.summary_note_sent_on, calendar)
        events.append(spec.met(danish_day(now)))
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
        high_price=version.high_price,
    )
    return updated, [event, *events]


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


def proposal_deadline(
    delivery: Delivery, sent_on: date, calendar: WorkingDayCalendar
) -> deadlines.DeadlineSpec:
    """When the agreement proposal is due after the clarifying meeting's summary note."""
    return deadlines.agreement_proposal(
        case_id=delivery.case_id,
        delivery_id=delivery.id,
        summary_note_sent_on=sent_on,
        days=PROPOSAL_DUE_DAYS,
        specialist_id=delivery.specialist_id,
        supplier_id=delivery.supplier_id,
        calendar=calendar,
    )


def expect_proposal(
    delivery: Delivery, *, sent_on: date, calendar: WorkingDayCalendar
) -> tuple[Delivery, list[EventPayload]]:
    """The summary note went out: the proposal is now due (once, before any proposal)."""
    if delivery.versions or delivery.summary_note_sent_on is not None:
        return delivery, []
    spec = proposal_deadline(delivery, sent_on, calendar)
    return delivery.model_copy(update={"summary_note_sent_on": sent_on}), [spec.set()]
