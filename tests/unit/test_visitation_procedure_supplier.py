"""A case an internal procedure assigned to a supplier is offered to that supplier only
(theme course H 4.4.3, combination course H 4.4.2)."""

from __future__ import annotations

from datetime import date

import pytest

from services.kernel.errors import IllegalTransition
from services.visitation.commands import Estimate, OfferToSupplier, RecordFirstContact
from services.visitation.domain import case as transitions
from services.visitation.domain import offers as steps
from services.visitation.domain.model import VisitationCase
from services.visitation.domain.suppliers import rank_suppliers
from tests.unit.visitation_fixtures import (
    CAL,
    CATALOG,
    NOW,
    TODAY,
    assigned,
    proceed_command,
    supplier,
    terms,
)

GROUPS = ["autism_spectrum"]
THEME_SUPPLIERS = [
    supplier(name, [terms(groups=GROUPS, rate=rate, services=("theme_course",))])
    for name, rate in (("tema-nord", "900"), ("cheaper", "500"))
]


def theme_case(supplier_id: str | None = "tema-nord") -> VisitationCase:
    event = assigned(
        requested_service="theme_course",
        case_type="temaforløb",
        supplier_id=supplier_id,
        theme_id="school_refusal" if supplier_id else None,
        target_groups=GROUPS,
    )
    case, _ = transitions.open_assigned_case(event, case_id="k1", now=NOW, calendar=CAL)
    case, _ = transitions.record_first_contact(
        case, RecordFirstContact(case_id="k1", contacted_on=date(2026, 5, 19)), today=TODAY
    )
    command = proceed_command(
        service_id="theme_course",
        inquirer_role="authority_caseworker",
        subject="group",
        facts={},
    )
    case, _ = transitions.proceed_with_service(case, command, by="c1", today=TODAY, catalog=CATALOG)
    return case


def offer(case: VisitationCase, supplier_id: str) -> VisitationCase:
    service = steps.chosen_service(case, CATALOG)
    ranking = rank_suppliers(
        THEME_SUPPLIERS,
        steps.need_of(case, service, TODAY),
        steps.price_estimate(Estimate(), CATALOG),
    )
    changed, _ = steps.offer_to_supplier(
        case,
        OfferToSupplier(case_id=case.id, supplier_id=supplier_id, justification="On the list."),
        ranking=ranking,
        offer_id="o1",
        by="c1",
        today=TODAY,
        calendar=CAL,
        catalog=CATALOG,
    )
    return changed


def test_the_case_keeps_the_supplier_and_theme_the_procedure_named() -> None:
    case = theme_case()
    assert (case.procedure_supplier_id, case.theme_id) == ("tema-nord", "school_refusal")


def test_a_theme_course_is_offered_to_its_supplier_only_even_if_another_ranks_higher() -> None:
    case = theme_case()
    with pytest.raises(IllegalTransition, match="tema-nord"):
        offer(case, "cheaper")
    [made] = offer(case, "tema-nord").offers
    assert (made.supplier_id, made.rank) == ("tema-nord", 2)


def test_a_form_inquiry_may_be_offered_to_any_eligible_supplier() -> None:
    case = theme_case(supplier_id=None)
    assert case.procedure_supplier_id is None
    assert offer(case, "cheaper").offers[0].supplier_id == "cheaper"
