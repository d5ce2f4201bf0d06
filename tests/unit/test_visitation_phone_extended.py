"""Extended phone advice (H 4.4.1): the consultant contacts a supplier within two days of the
assignment; calendar days, moved to the next working day when the second day is closed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.contracts.deadlines import DeadlineMet, DeadlineSet
from services.kernel.context import Principal
from services.kernel.errors import IllegalTransition, InvalidInput, OutsideWindow
from services.visitation.commands import (
    CloseWithAdvice,
    Estimate,
    OfferToSupplier,
    RecordFirstContact,
    RecordSupplierContact,
)
from services.visitation.domain import case as transitions
from services.visitation.domain import offers as steps
from services.visitation.domain import visibility
from services.visitation.domain.model import VisitationCase
from services.visitation.domain.suppliers import rank_suppliers
from tests.unit.visitation_fixtures import (
    CAL,
    CATALOG,
    assigned,
    proceed_command,
    supplier,
    terms,
)

RULE = "visitation.phone_extended_supplier_contact"


def phone_case(assigned_on: date, **fields: object) -> tuple[VisitationCase, list[DeadlineSet]]:
    values: dict[str, object] = {
        "requested_service": "phone_extended",
        "kind": "internal",
        "case_type": "udvidet telefonrådgivning",
        "distributed_on": assigned_on,
        "assigned_at": datetime(
            assigned_on.year, assigned_on.month, assigned_on.day, 9, tzinfo=UTC
        ),
    }
    event = assigned(**{**values, **fields})
    case, events = transitions.open_assigned_case(
        event, case_id="k1", now=event.assigned_at, calendar=CAL, assigned_on=assigned_on
    )
    return case, [e for e in events if isinstance(e, DeadlineSet)]


def contact(on: date) -> RecordSupplierContact:
    return RecordSupplierContact(case_id="k1", supplier_id="alpha", contacted_on=on, note="Agreed.")


def test_a_tuesday_assignment_is_due_on_thursday() -> None:
    case, sets = phone_case(date(2026, 6, 2))
    [deadline] = [d for d in sets if d.rule == RULE]
    assert (deadline.start, deadline.due) == (date(2026, 6, 2), date(2026, 6, 4))
    assert (deadline.responsible_role, deadline.responsible_user_id) == ("consultant", "c1")
    assert [d.rule for d in case.deadlines] == ["visitation.first_contact", RULE]


def test_a_thursday_assignment_rolls_from_saturday_to_monday() -> None:
    _, sets = phone_case(date(2026, 6, 11))
    [deadline] = [d for d in sets if d.rule == RULE]
    assert deadline.due == date(2026, 6, 15)
    assert "2 calendar days" in deadline.explanation and "rolled to" in deadline.explanation


def test_the_case_type_alone_identifies_extended_phone_advice() -> None:
    _, sets = phone_case(date(2026, 6, 2), requested_service=None)
    assert RULE in [d.rule for d in sets]


def test_other_cases_get_no_supplier_contact_deadline() -> None:
    case, events = transitions.open_assigned_case(
        assigned(), case_id="k1", now=datetime(2026, 5, 8, tzinfo=UTC), calendar=CAL
    )
    assert [d.rule for d in case.deadlines] == ["visitation.first_contact"]
    assert all(getattr(e, "rule", None) != RULE for e in events)


def test_recording_the_supplier_contact_meets_the_deadline() -> None:
    case, _ = phone_case(date(2026, 6, 2))
    contacted, events = transitions.record_supplier_contact(
        case, contact(date(2026, 6, 3)), by="c1", today=date(2026, 6, 3)
    )
    [met] = [e for e in events if isinstance(e, DeadlineMet)]
    assert (met.rule, met.met_on, met.due) == (RULE, date(2026, 6, 3), date(2026, 6, 4))
    [recorded] = contacted.supplier_contacts
    assert (recorded.supplier_id, recorded.recorded_by, recorded.note) == ("alpha", "c1", "Agreed.")
    other = Principal("spec-b", "specialist", "bravo")
    assert visibility.view_for(contacted, other).supplier_contacts == []


def test_a_supplier_contact_cannot_be_in_the_future_before_assignment_or_on_a_closed_case() -> None:
    case, _ = phone_case(date(2026, 6, 2))
    with pytest.raises(InvalidInput):
        transitions.record_supplier_contact(
            case, contact(date(2026, 6, 5)), by="c1", today=date(2026, 6, 3)
        )
    with pytest.raises(OutsideWindow):
        transitions.record_supplier_contact(
            case, contact(date(2026, 6, 1)), by="c1", today=date(2026, 6, 3)
        )
    contacted, _ = transitions.record_first_contact(
        case,
        RecordFirstContact(case_id="k1", contacted_on=date(2026, 6, 2)),
        today=date(2026, 6, 3),
    )
    closed, _ = transitions.close_with_advice(
        contacted, CloseWithAdvice(case_id="k1", reasoning="Done."), by="c1", today=date(2026, 6, 3)
    )
    with pytest.raises(IllegalTransition):
        transitions.record_supplier_contact(
            closed, contact(date(2026, 6, 3)), by="c1", today=date(2026, 6, 3)
        )


def test_an_offer_to_a_supplier_meets_the_deadline_too() -> None:
    case, _ = phone_case(date(2026, 6, 2))
    today = date(2026, 6, 3)
    case, _ = transitions.record_first_contact(
        case, RecordFirstContact(case_id="k1", contacted_on=today), today=today
    )
    case, _ = transitions.proceed_with_service(
        case,
        proceed_command(
            service_id="phone_extended",
            inquirer_role="professional",
            subject="anonymous",
            facts={},
        ),
        by="c1",
        today=today,
        catalog=CATALOG,
    )
    service = steps.chosen_service(case, CATALOG)
    alpha = supplier("alpha", [terms(groups=["autism_spectrum"], services=("phone_extended",))])
    ranking = rank_suppliers(
        [alpha], steps.need_of(case, service, today), steps.price_estimate(Estimate(), CATALOG)
    )
    _, events = steps.offer_to_supplier(
        case,
        OfferToSupplier(case_id="k1", supplier_id="alpha", justification="Phone specialist."),
        ranking=ranking,
        offer_id="o1",
        by="c1",
        today=today,
        calendar=CAL,
        catalog=CATALOG,
    )
    [met] = [e for e in events if isinstance(e, DeadlineMet)]
    assert (met.rule, met.met_on) == (RULE, today)
