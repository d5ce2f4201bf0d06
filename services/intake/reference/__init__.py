"""Intake's reference data: the JSON files beside this module, loaded once at start-up."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Item(BaseModel):
    """One entry of a code list."""

    model_config = ConfigDict(frozen=True)

    id: str
    name_da: str


class InquirerType(Item):
    """Who may inquire, and what the form must say about them."""

    professional: bool
    statistics_group: str
    municipality_required: bool
    organisation_required: bool


class AdvisoryService(Item):
    """One of VISO's advisory services with the intake rules attached to it."""

    created_by: Literal["form", "phone_or_email", "internal_procedure"]
    about_individual: bool = Field(description="The inquiry is about one named citizen.")
    citizen_data_allowed: bool
    inquirer_types: tuple[str, ...]
    case_type: str
    max_duration_months: int | None = None
    management_approval_required: bool = False


class Municipality(BaseModel):
    """A Danish municipality by its official code."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str


class Theme(Item):
    """A predefined theme course and the suppliers that may deliver it (H 4.4.3: the overview
    in F2 of who may be assigned each theme). A theme listing no supplier cannot be assigned."""

    eligible_suppliers: tuple[str, ...] = Field(
        default=(), description="Supplier ids (as in leverance) that may deliver the theme."
    )

    def allows(self, supplier_id: str) -> bool:
        """Whether the supplier is on the theme's list."""
        return supplier_id in self.eligible_suppliers


class KasProfile(Item):
    """A KaS inquirer profile and which municipality is registered for it."""

    municipality_rule: Literal["residence", "workplace", "offer_location", "citizen_home"]


class KasHandling(Item):
    """One of the four handling choices on the KaS form."""

    course: bool
    requires: Literal["closed_with", "referred_to"] | None


class KasLists(BaseModel):
    """The KaS form's code lists."""

    model_config = ConfigDict(frozen=True)

    inquirer_profiles: tuple[KasProfile, ...]
    handlings: tuple[KasHandling, ...]
    problem_areas: tuple[Item, ...]
    classifications: tuple[Item, ...]
    closed_with: tuple[Item, ...]
    closing_reasons: tuple[Item, ...]
    course_duration_aim_months: int

    @property
    def course_handlings(self) -> frozenset[str]:
        """The handling choices that expect a course (advice, or assessment and advice)."""
        return frozenset(h.id for h in self.handlings if h.course)


class Reference(BaseModel):
    """Every code list intake validates against."""

    model_config = ConfigDict(frozen=True)

    main_areas: tuple[Item, ...]
    inquirer_types: tuple[InquirerType, ...]
    services: tuple[AdvisoryService, ...]
    target_groups: tuple[Item, ...]
    municipalities: tuple[Municipality, ...]
    municipality_not_stated: Municipality
    channels: tuple[Item, ...]
    legal_areas: tuple[Item, ...]
    themes: tuple[Theme, ...]
    kas: KasLists

    def service(self, service_id: str) -> AdvisoryService | None:
        """The advisory service with this id."""
        return next((s for s in self.services if s.id == service_id), None)

    def inquirer_type(self, type_id: str) -> InquirerType | None:
        """The inquirer type with this id."""
        return next((t for t in self.inquirer_types if t.id == type_id), None)

    def municipality(self, code: str) -> Municipality | None:
        """The municipality with this code (not the "not stated" entry)."""
        return next((m for m in self.municipalities if m.code == code), None)

    def theme(self, theme_id: str) -> Theme | None:
        """The theme course with this id."""
        return next((t for t in self.themes if t.id == theme_id), None)

    @staticmethod
    def ids(items: tuple[Item, ...]) -> frozenset[str]:
        """The ids of a code list."""
        return frozenset(i.id for i in items)


def _read(name: str) -> Any:
    return json.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


def load_reference(themes_file: Path | None = None) -> Reference:
    """Read every code list from the packaged JSON files; the theme courses and their suppliers
    from `themes_file` when given (the F2 overview, `VIAS_INTAKE_THEMES_FILE`)."""
    municipalities = _read("municipalities.json")
    themes = (
        json.loads(themes_file.read_text(encoding="utf-8"))
        if themes_file is not None
        else _read("themes.json")
    )
    return Reference(
        main_areas=_read("main_areas.json"),
        inquirer_types=_read("inquirer_types.json"),
        services=_read("services.json"),
        target_groups=_read("target_groups.json"),
        municipalities=municipalities["municipalities"],
        municipality_not_stated=municipalities["not_stated"],
        channels=_read("channels.json"),
        legal_areas=_read("legal_areas.json"),
        themes=themes,
        kas=_read("kas.json"),
    )
