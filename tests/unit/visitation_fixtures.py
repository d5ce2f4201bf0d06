"""Plain builders for the visitation unit tests (no I/O, no pytest fixtures)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from services.contracts.intake import InquiryAssigned
from services.contracts.leverance import ContractTerms
from services.visitation.catalog import Catalog, load_catalog
from services.visitation.commands import ProceedWithService, RecordFirstContact
from services.visitation.domain import case as transitions
from services.visitation.domain.model import VisitationCase
from services.visitation.domain.suppliers import SupplierProfile
from services.workdays import DEFAULT_CALENDAR

CATALOG: Catalog = load_catalog()
CAL = DEFAULT_CALENDAR
NOW = datetime(2026, 5, 8, 9, 0, tzinfo=UTC)
TODAY = date(2026, 6, 1)


def assigned(**overrides: Any) -> InquiryAssigned:
    fields: dict[str, Any] = {
        "inquiry_id": "i1",
        "consultant_id": "c1",
        "distributed_on": date(2026, 5, 8),
        "assigned_at": NOW,
        "assigned_by": "support-1",
        "main_area": "children_youth",
        "citizen_age_years": 9,
        "target_groups": ["autism_spectrum", "anxiety"],
    }
    return InquiryAssigned(**{**fields, **overrides})


def opened_case(**overrides: Any) -> VisitationCase:
    case, _ = transitions.open_assigned_case(
        assigned(**overrides), case_id="k1", now=NOW, calendar=CAL
    )
    return case.model_copy(update={"version": 1})


def contacted_case(**overrides: Any) -> VisitationCase:
    case, _ = transitions.record_first_contact(
        opened_case(**overrides),
        RecordFirstContact(case_id="k1", contacted_on=date(2026, 5, 19)),
        today=TODAY,
    )
    return case


def proceed_command(**overrides: Any) -> ProceedWithService:
    fields: dict[str, Any] = {
        "case_id": "k1",
        "service_id": "single_case",
        "inquirer_role": "authority_caseworker",
        "subject": "individual",
        "facts": {"management_approved": True},
        "complexity_areas": ["complex_problems"],
        "reasoning": "Specialised advice is needed.",
    }
    return ProceedWithService(**{**fields, **overrides})


def proceeding_case(**overrides: Any) -> VisitationCase:
    case, _ = transitions.proceed_with_service(
        contacted_case(), proceed_command(**overrides), by="c1", today=TODAY, catalog=CATALOG
    )
    return case


def terms(
    *,
    groups: list[str],
    rate: str = "700",
    area: str = "children_youth",
    services: tuple[str, ...] = ("single_case",),
    ages: tuple[int, int] = (0, 17),
    valid: tuple[date, date] = (date(2020, 8, 1), date(2099, 7, 31)),
) -> ContractTerms:
    return ContractTerms(
        contract_id=f"k-{rate}-{area}",
        main_area=area,
        services=list(services),
        min_age=ages[0],
        max_age=ages[1],
        target_groups=groups,
        hourly_rate_dkk=Decimal(rate),
        transport_rate_dkk_per_km=Decimal("3.50"),
        transport_hourly_rate_dkk=Decimal("400"),
        valid_from=valid[0],
        valid_to=valid[1],
    )


def supplier(
    supplier_id: str,
    contracts: list[ContractTerms],
    *,
    capacity: int = 2,
    active: bool = True,
) -> SupplierProfile:
    return SupplierProfile(
        id=supplier_id,
        revision=1,
        name=supplier_id.title(),
        kind="private",
        kas=False,
        active=active,
        free_capacity=capacity,
        contracts=contracts,
        changed_at=NOW,
    )
