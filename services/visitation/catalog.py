"""The advisory services and their rules, as reference data loaded from a file at start."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.contracts.common import MainArea

ComplexityArea = Literal[
    "complex_problems",
    "complex_support_needs",
    "complex_support_structures",
    "complex_case_handling",
]
About = Literal["any", "individual", "group", "anonymous"]
SupplierInvolvement = Literal["required", "optional", "none"]
ALL_MAIN_AREAS: tuple[MainArea, ...] = ("adults", "children_youth", "special_education", "other")
DEFAULT_FILE = "advisory_services.json"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Condition(_Frozen):
    """A fact about the inquiry that must hold (or not) for a service to be chosen."""

    fact: str
    must_be: bool
    unless: str | None = Field(default=None, description="A fact that waives the condition.")
    roles: tuple[str, ...] | None = Field(
        default=None, description="Applies only to these inquirer roles; None means to all."
    )
    reason: str


class AdvisoryService(_Frozen):
    """One advisory service of VISO (H ch. 3) and the rules for choosing it."""

    id: str
    name: str
    title_en: str
    inquirer_roles: tuple[str, ...]
    inquirer_roles_by_area: dict[MainArea, tuple[str, ...]] = Field(default_factory=dict)
    main_areas: tuple[MainArea, ...] = ALL_MAIN_AREAS
    about: About
    complexity_areas: tuple[ComplexityArea, ...]
    conditions: tuple[Condition, ...] = ()
    supplier: SupplierInvolvement
    delivered_by: str
    max_duration_months: int | None = None
    max_sessions: int | None = None
    clarifying_meeting_within_days: int | None = None
    form_inquiry: bool
    central_unit_course: bool = Field(
        default=False,
        description="The central unit may run the course itself: the consultant (or a named "
        "VISO colleague) delivers it, without a supplier.",
    )
    central_unit_source: str = Field(default="", description="The handbook passage saying so.")

    def roles_for(self, main_area: MainArea) -> tuple[str, ...]:
        """The inquirer roles that may ask for this service in a main area."""
        return self.inquirer_roles_by_area.get(main_area, self.inquirer_roles)


class Estimate(_Frozen):
    """Default estimate used to price suppliers when the consultant gives none."""

    hours: Decimal = Field(ge=0)
    transport_km: Decimal = Field(ge=0)
    transport_hours: Decimal = Field(ge=0)


class Catalog(_Frozen):
    """Every advisory service, the vocabularies their rules use, and the complaint guidance."""

    source: str = ""
    inquirer_roles: dict[str, str]
    facts: dict[str, str]
    complaint_guidance: str
    services: tuple[AdvisoryService, ...]
    default_estimate: Estimate

    @model_validator(mode="after")
    def _vocabularies_are_known(self) -> Catalog:
        """Every role and fact a rule names is defined, and service ids are unique."""
        ids = [s.id for s in self.services]
        if len(set(ids)) != len(ids):
            raise ValueError("service ids must be unique")
        for service in self.services:
            roles = set(service.inquirer_roles)
            for by_area in service.inquirer_roles_by_area.values():
                roles |= set(by_area)
            for condition in service.conditions:
                roles |= set(condition.roles or ())
                facts = {condition.fact} | ({condition.unless} if condition.unless else set())
                if unknown_facts := facts - set(self.facts):
                    raise ValueError(f"{service.id}: unknown facts {sorted(unknown_facts)}")
            if unknown := roles - set(self.inquirer_roles):
                raise ValueError(f"{service.id}: unknown inquirer roles {sorted(unknown)}")
        return self

    def service(self, service_id: str) -> AdvisoryService | None:
        """The service with this id, if there is one."""
        return next((s for s in self.services if s.id == service_id), None)


def load_catalog(path: Path | None = None) -> Catalog:
    """The catalog from `path`, or the one shipped with visitation."""
    if path is not None:
        text = path.read_text(encoding="utf-8")
    else:
        text = (resources.files("services.visitation") / "reference" / DEFAULT_FILE).read_text(
            encoding="utf-8"
        )
    return Catalog.model_validate_json(text)
