"""Reference data leverance's rules read: the advisory services and the budget's activity kinds."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


class ClosingDocument(BaseModel):
    """A document the closing checklist of a service asks for (H ch. 3 "Afrapportering")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(description="The document kind journaled in documents.")
    sent: bool = Field(description="Whether it must have been sent, not only journaled.")
    description: str = Field(description="The item in Danish, with the handbook section.")

    @property
    def item(self) -> str:
        """The checklist item's name, e.g. advisory_report_sent_and_journaled."""
        return f"{self.kind}_sent_and_journaled" if self.sent else f"{self.kind}_journaled"


class AdvisoryService(BaseModel):
    """The rules of one advisory service that leverance needs (DOMAIN §2, H ch. 3)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    description: str = ""
    max_months: int | None
    satisfaction_survey: bool
    anchoring: bool
    consultant_at_closing_meeting: bool = Field(
        default=False, description="The consultant attends (and leads) the closing meeting."
    )
    closing_documents: tuple[ClosingDocument, ...]


class ServiceRules(BaseModel):
    """Leverance's reference data: every service's rules and the checklist's wording."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = ""
    general_closing_documents: tuple[ClosingDocument, ...]
    services: tuple[AdvisoryService, ...]
    closing_steps: dict[str, str]
    consultant_attendance_flags: dict[str, str]

    @model_validator(mode="after")
    def _unique_ids(self) -> ServiceRules:
        ids = [s.id for s in self.services]
        if len(set(ids)) != len(ids):
            raise ValueError("service ids must be unique")
        return self

    def service(self, service_id: str) -> AdvisoryService:
        """The rules of a service; an unknown id gets no limits, no survey, no anchoring and
        the general closing documents (H 5.3.3)."""
        found = next((s for s in self.services if s.id == service_id), None)
        if found is not None:
            return found
        return AdvisoryService(
            id=service_id,
            max_months=None,
            satisfaction_survey=False,
            anchoring=False,
            closing_documents=self.general_closing_documents,
        )


REFERENCE_FILE = "advisory_services.json"


@cache
def reference() -> ServiceRules:
    """The reference data shipped with leverance (read once, at first use)."""
    text = (resources.files("services.leverance") / "reference" / REFERENCE_FILE).read_text(
        encoding="utf-8"
    )
    return ServiceRules.model_validate_json(text)


def is_known_service(service_id: str) -> bool:
    """Whether the reference data names the service."""
    return any(s.id == service_id for s in reference().services)


def service_rules(service_id: str) -> AdvisoryService:
    """The rules of a service (see ServiceRules.service)."""
    return reference().service(service_id)


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


# The agenda and anchoring-plan template reach the coordinator at least a week before (H 5.4).
ANCHORING_AGENDA_DAYS_BEFORE = 7

# What the specialist confirms before the financial statement (H 5.3.3): the recipient of the
# advice is registered correctly, and the working papers are destroyed.
ClosingStepKind = Literal["recipient_registration_checked", "working_papers_destroyed"]
CLOSING_STEPS: tuple[str, ...] = get_args(ClosingStepKind)
