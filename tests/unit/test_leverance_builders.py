"""Builders for the leverance domain tests (no tests here): a course, a delivery, proposals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from services.contracts.visitation import CaseHandedToLeverance
from services.kernel.envelope import EventPayload
from services.leverance.domain import agreements
from services.leverance.domain import course as course_rules
from services.leverance.domain.agreements import (
    Activity,
    ActivityDraft,
    Actor,
    Delivery,
    Description,
)
from services.leverance.domain.course import Course
from services.leverance.domain.evaluation import goals_in_force
from services.leverance.domain.goals import GoalEvaluation
from services.leverance.domain.suppliers import Contract
from services.workdays import DEFAULT_CALENDAR

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLARIFYING = date(2026, 3, 2)
THRESHOLD = Decimal("100000.00")
SPECIALIST = Actor(user_id="spec-1", role="specialist", supplier_id="s-1")
OTHER_SPECIALIST = Actor(user_id="spec-9", role="specialist", supplier_id="s-9")
CONSULTANT = Actor(user_id="consultant-1", role="consultant")
MANAGER = Actor(user_id="manager-1", role="manager")


def manager_of(consultant_id: str) -> str:
    return "manager-1"


def contract(**changes: Any) -> Contract:
    fields: dict[str, Any] = {
        "contract_id": "c-1",
        "main_area": "children_youth",
        "services": ("single_case", "mini_single_case", "group_course"),
        "valid_from": date(2025, 1, 1),
        "valid_to": date(2027, 12, 31),
        "min_age": 0,
        "max_age": 25,
        "hourly_rate_dkk": "950.00",
        "transport_rate_dkk_per_km": "3.79",
        "transport_hourly_rate_dkk": "475.00",
    }
    return Contract.model_validate({**fields, **changes})


def handed(*, supplier: str = "s-1", service: str = "single_case", case: str = "case-1") -> Any:
    return CaseHandedToLeverance(
        case_id=case,
        inquiry_id="inq-1",
        supplier_id=supplier,
        specialist_id=f"spec-{supplier[2:]}",
        consultant_id="consultant-1",
        main_area="children_youth",
        service=service,
        clarifying_meeting_on=CLARIFYING,
        handed_at=NOW,
    )


def opened(service: str = "single_case") -> tuple[Course, Delivery]:
    result = course_rules.hand_over(None, handed(service=service), delivery_id="d-1", now=NOW)
    assert result is not None
    course, delivery, _ = result
    return course.model_copy(update={"version": 1}), delivery.model_copy(update={"version": 1})


def draft(kind: str = "special_advice", planned_on: date = date(2026, 4, 15), **fields: Any) -> Any:
    if not {"hours", "kilometres", "amount_dkk"} & fields.keys():
        fields["hours"] = "10"
    return ActivityDraft.model_validate({"kind": kind, "planned_on": planned_on, **fields})


def description(**changes: Any) -> Description:
    fields: dict[str, Any] = {
        "purpose": "Support the school staff in their work with the child",
        "goals": [
            "Staff know three ways to prevent conflicts in the classroom",
            "The team has a shared plan for transitions between lessons",
        ],
        "content": "Observation, advice sessions and a report",
        "course": "Four advice sessions over three months",
        "method": "Systemic and dialogical advice",
    }
    return Description.model_validate({**fields, **changes})


def propose(
    delivery: Delivery, drafts: list[Any] | None = None, **kwargs: Any
) -> tuple[Delivery, list[EventPayload]]:
    return agreements.propose(
        delivery,
        drafts=drafts if drafts is not None else [draft("visitation", hours="4"), draft()],
        description=kwargs.pop("description", description()),
        contract=kwargs.pop("contract", contract()),
        actor=kwargs.pop("actor", SPECIALIST),
        now=NOW,
        calendar=DEFAULT_CALENDAR,
        **kwargs,
    )


def approve(delivery: Delivery, actor: Actor = CONSULTANT) -> tuple[Delivery, list[EventPayload]]:
    return agreements.approve(
        delivery, actor=actor, threshold=THRESHOLD, manager_of=manager_of, now=NOW
    )


def running(drafts: list[Any] | None = None, service: str = "single_case") -> Delivery:
    """A delivery whose (below-threshold) agreement is approved."""
    _, delivery = opened(service)
    delivery, _ = propose(delivery, drafts)
    delivery, _ = approve(delivery)
    assert delivery.status == "running"
    return delivery


def activity(delivery: Delivery, index: int = 0) -> Activity:
    assert delivery.current is not None
    return delivery.current.activities[index]


def all_reached(course: Course, deliveries: list[Delivery]) -> list[GoalEvaluation]:
    """Every goal in force evaluated as reached."""
    return [
        GoalEvaluation(delivery_id=d, goal=g, result="reached", comment="Seen in the classroom")
        for d, g in goals_in_force(course, deliveries)
    ]


def types(events: list[EventPayload]) -> list[str]:
    return [e.event_type for e in events]


def keep(delivery_activity: object, **changes: object) -> ActivityDraft:
    """An existing activity as a line of a change."""
    assert isinstance(delivery_activity, ActivityDraft)
    data = delivery_activity.model_dump(exclude={"price_dkk"})
    return ActivityDraft.model_validate({**data, **changes})
