"""How far a goal of the agreement was reached, as the closing meeting judged it (H 5.1.3)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from services.leverance.domain.types import Value

GoalResult = Literal["reached", "partly_reached", "not_reached"]
CENTRAL_PLAN = ""
"""The `delivery_id` of a goal of a central-unit course's plan (it has no delivery)."""


class GoalEvaluation(Value):
    """One goal, whether it was reached, partly reached or not, and the meeting's comment."""

    delivery_id: str = Field(
        default=CENTRAL_PLAN,
        description="The part whose agreement states the goal; empty for a central-unit course "
        "or when only one part states it.",
    )
    goal: str
    result: GoalResult
    comment: str
