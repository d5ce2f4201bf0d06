"""A supplier's delivery agreement: the public surface of its model, proposals and approvals."""

from services.leverance.domain.approvals import (
    activity_deadlines,
    approve,
    needs_manager,
    open_deadlines,
    return_for_renegotiation,
)
from services.leverance.domain.delivery import (
    Activity,
    ActivityDraft,
    Actor,
    AgreementVersion,
    Delivery,
    Description,
    Rates,
    Statement,
    course_limit,
    price,
)
from services.leverance.domain.proposals import (
    expect_proposal,
    propose,
    read_description,
    read_proposal,
    validate_activities,
    validate_description,
)

__all__ = [
    "Activity",
    "ActivityDraft",
    "Actor",
    "AgreementVersion",
    "Delivery",
    "Description",
    "Rates",
    "Statement",
    "activity_deadlines",
    "approve",
    "course_limit",
    "expect_proposal",
    "needs_manager",
    "open_deadlines",
    "price",
    "propose",
    "read_description",
    "read_proposal",
    "return_for_renegotiation",
    "validate_activities",
    "validate_description",
]
