"""Reference data leverance's rules read: the advisory services and the budget's activity kinds."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

ActivityKind = Literal[
    "visitation",
    "assessment",
    "special_advice",
    "closing",
    "transport_time",
    "transport_costs",
    "other_costs",
    "special_activities",
]
ACTIVITY_KINDS: tuple[str, ...] = get_args(ActivityKind)

# How each kind is priced from the framework contract (H 5.1.3: "honoreres efter punkt
# vedrørende økonomi i rammekontrakten").
HOURLY_KINDS = frozenset({"visitation", "assessment", "special_advice", "closing"})
TRANSPORT_TIME_KINDS = frozenset({"transport_time"})
KILOMETRE_KINDS = frozenset({"transport_costs"})
AMOUNT_KINDS = frozenset({"transport_costs", "other_costs", "special_activities"})
HOUR_KINDS = HOURLY_KINDS | TRANSPORT_TIME_KINDS | {"special_activities"}

ExpenseCategory = Literal["interpreter", "transport", "translation", "other"]

InterruptionReason = Literal["citizen_died", "inquirer_stopped", "consent_withdrawn", "basis_gone"]

SupplierKind = Literal["municipal", "regional", "self_owning", "private"]

TrainingStatus = Literal["not_started", "in_progress", "completed"]


class AdvisoryService(BaseModel):
    """The rules of one advisory service that leverance needs (DOMAIN §2, H ch. 3)."""

    model_config = ConfigDict(frozen=True)

    id: str
    max_months: int | None
    satisfaction_survey: bool
    anchoring: bool


SERVICES: dict[str, AdvisoryService] = {
    s.id: s
    for s in (
        AdvisoryService(
            id="phone_extended", max_months=None, satisfaction_survey=False, anchoring=False
        ),
        AdvisoryService(
            id="citizen_course", max_months=4, satisfaction_survey=False, anchoring=False
        ),
        AdvisoryService(id="single_case", max_months=8, satisfaction_survey=True, anchoring=True),
        AdvisoryService(
            id="mini_single_case", max_months=4, satisfaction_survey=False, anchoring=False
        ),
        AdvisoryService(id="group_course", max_months=8, satisfaction_survey=True, anchoring=True),
        AdvisoryService(
            id="mini_group_course", max_months=4, satisfaction_survey=False, anchoring=False
        ),
        AdvisoryService(
            id="theme_course", max_months=None, satisfaction_survey=False, anchoring=False
        ),
        AdvisoryService(
            id="adoption_course", max_months=None, satisfaction_survey=False, anchoring=False
        ),
        AdvisoryService(
            id="adoption_theme_days", max_months=None, satisfaction_survey=False, anchoring=False
        ),
        AdvisoryService(
            id="casework_course", max_months=8, satisfaction_survey=False, anchoring=False
        ),
        AdvisoryService(
            id="mini_casework_course", max_months=4, satisfaction_survey=False, anchoring=False
        ),
    )
}

UNKNOWN_SERVICE = AdvisoryService(
    id="unknown", max_months=None, satisfaction_survey=False, anchoring=False
)


def service_rules(service_id: str) -> AdvisoryService:
    """The rules of a service; an unknown id gets no limits, no survey and no anchoring."""
    return SERVICES.get(service_id, UNKNOWN_SERVICE)


# Anchoring (H 5.4): limits the handbook fixes.
ANCHORING_WINDOW_MONTHS = 6
MAX_ANCHORING_MEETINGS = 1
MAX_FOLLOW_UP_MEETINGS = 3
MAX_SPARRING_BEFORE_EACH_FOLLOW_UP = 2

# Closure (H 5.3.3): working days the specialist and then the consultant have.
STATEMENT_DUE_WORKING_DAYS = 7
STATEMENT_APPROVAL_WORKING_DAYS = 7

# The specialist proposes the agreement within 5 days of sending the summary note (H 5.1.3).
PROPOSAL_DUE_DAYS = 5
CLARIFYING_SUMMARY_NOTE = "clarifying_summary_note"

# Document kinds journaled in documents that tick the closing checklist.
CLOSING_SUMMARY_NOTE = "closing_summary_note"
ADVISORY_REPORT = "advisory_report"
DRAFT_MARKERS = ("udkast", "draft")

# The agenda and anchoring-plan template reach the coordinator at least a week before (H 5.4).
ANCHORING_AGENDA_DAYS_BEFORE = 7

# What the specialist confirms before the financial statement (H 5.3.3): the recipient of the
# advice is registered correctly, and the working papers are destroyed.
ClosingStepKind = Literal["recipient_registration_checked", "working_papers_destroyed"]
CLOSING_STEPS: tuple[str, ...] = get_args(ClosingStepKind)
