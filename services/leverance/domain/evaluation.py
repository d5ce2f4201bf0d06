"""The closing meeting's quality (H 5.1.3, 5.3.2): every goal of the agreement in force is
evaluated (reached, partly reached, not reached, with a comment), and the consultant's
attendance is recorded, and required where the handbook requires it."""

from __future__ import annotations

from collections.abc import Sequence

from services.kernel.errors import FieldViolation, IllegalTransition, InvalidInput
from services.leverance.domain.agreements import Delivery
from services.leverance.domain.course import Course
from services.leverance.domain.goals import CENTRAL_PLAN, GoalEvaluation, GoalResult
from services.leverance.domain.reference import service_rules


def _key(goal: str) -> str:
    return " ".join(goal.split()).casefold()


def goals_in_force(course: Course, deliveries: Sequence[Delivery]) -> list[tuple[str, str]]:
    """(delivery id, goal) of every goal to evaluate: each running part's agreement in force, or
    the central unit's plan."""
    central = course.central_unit
    if central is not None:
        plan = central.description
        return [(CENTRAL_PLAN, g) for g in plan.goals] if plan else []
    return [
        (d.id, goal)
        for d in deliveries
        if d.status == "running" and d.current is not None
        for goal in d.current.description.goals
    ]


def evaluate_goals(
    course: Course, deliveries: Sequence[Delivery], evaluations: Sequence[GoalEvaluation]
) -> tuple[GoalEvaluation, ...]:
    """The evaluations, each tied to its part; every goal in force exactly once.

    A goal evaluated twice in the request is INVALID_ARGUMENT; a goal the agreements do not
    state, or one left unevaluated, is FAILED_PRECONDITION (the agreements decide).
    """
    in_force = goals_in_force(course, deliveries)
    parts_of: dict[str, list[str]] = {}
    for delivery_id, goal in in_force:
        parts_of.setdefault(_key(goal), []).append(delivery_id)
    resolved: list[GoalEvaluation] = []
    seen: set[tuple[str, str]] = set()
    twice: list[FieldViolation] = []
    unknown: list[str] = []
    ambiguous: list[str] = []
    for i, evaluation in enumerate(evaluations):
        parts = parts_of.get(_key(evaluation.goal), [])
        delivery_id = evaluation.delivery_id
        if not delivery_id and len(parts) == 1:
            delivery_id = parts[0]
        if not delivery_id and len(parts) > 1:
            ambiguous.append(evaluation.goal)
            continue
        if delivery_id not in parts:
            unknown.append(evaluation.goal)
            continue
        key = (delivery_id, _key(evaluation.goal))
        if key in seen:
            twice.append(FieldViolation(f"goal_evaluations.{i}.goal", "evaluated twice"))
        seen.add(key)
        resolved.append(evaluation.model_copy(update={"delivery_id": delivery_id}))
    if twice:
        raise InvalidInput(twice)
    missing = [goal for delivery_id, goal in in_force if (delivery_id, _key(goal)) not in seen]
    problems = []
    if unknown:
        problems.append("not a goal of the agreement in force: " + "; ".join(unknown))
    if ambiguous:
        problems.append("stated by several parts, name the delivery: " + "; ".join(ambiguous))
    if missing:
        problems.append("goals not evaluated: " + "; ".join(missing))
    if problems:
        raise IllegalTransition(
            "every goal of the agreement is evaluated at the closing meeting (H 5.1.3): "
            + "; ".join(problems)
        )
    return tuple(resolved)


def attendance_reasons(course: Course) -> list[str]:
    """Why the consultant must attend the closing meeting; empty when it is their choice."""
    reasons = []
    if service_rules(course.service).consultant_at_closing_meeting:
        reasons.append(f"the consultant takes part in a {course.service}")
    if course.high_conflict:
        reasons.append("the case has a high level of conflict")
    if course.press_attention:
        reasons.append("the press follows the case")
    return reasons


def require_attendance(course: Course, consultant_attended: bool) -> bool:
    """Whether attendance was required; FAILED_PRECONDITION when required and missed."""
    reasons = attendance_reasons(course)
    if reasons and not consultant_attended:
        raise IllegalTransition(
            "the consultant must attend the closing meeting: "
            + "; ".join(reasons)
            + " (H 3.6, 3.9, 3.10, 5.1.3, 5.3.2)"
        )
    return bool(reasons)


def counts(evaluations: Sequence[GoalEvaluation]) -> dict[GoalResult, int]:
    """How many goals were reached, partly reached and not reached."""
    found: dict[GoalResult, int] = {"reached": 0, "partly_reached": 0, "not_reached": 0}
    for evaluation in evaluations:
        found[evaluation.result] += 1
    return found
