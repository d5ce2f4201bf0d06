"""Suppliers: profile changes and their event, contracts, specialists, the CSV import."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.kernel.errors import IllegalTransition, InvalidInput
from services.leverance.domain import suppliers as rules
from services.leverance.domain.supplier_csv import COLUMNS, parse_suppliers
from services.leverance.domain.suppliers import Specialist, SupplierProfile, TrainingModule
from tests.unit.test_leverance_builders import contract

NOW = datetime(2026, 3, 2, tzinfo=UTC)
PROFILE = SupplierProfile(name="Center for Autisme", kind="self_owning", free_capacity=3)


def test_the_profile_event_carries_every_contract_and_the_revision() -> None:
    fresh = rules.new_supplier("s-1", PROFILE, now=NOW)
    supplier = rules.with_contract(fresh, contract(), now=NOW)
    assert supplier is not None
    event = supplier.model_copy(update={"version": 4}).profile_changed()
    assert event.revision == 4 and event.kind == "self_owning" and event.free_capacity == 3
    assert [c.contract_id for c in event.contracts] == ["c-1"]
    assert str(event.contracts[0].hourly_rate_dkk) == "950.00"


def test_an_unchanged_profile_or_contract_is_no_change() -> None:
    supplier = rules.new_supplier("s-1", PROFILE, now=NOW)
    assert rules.with_profile(supplier, PROFILE, now=NOW) is None
    with_contract = rules.with_contract(supplier, contract(), now=NOW)
    assert with_contract is not None
    assert rules.with_contract(with_contract, contract(), now=NOW) is None


def test_a_contract_is_replaced_by_its_id_and_removed_only_if_present() -> None:
    supplier = rules.new_supplier("s-1", PROFILE, now=NOW)
    supplier = rules.with_contract(supplier, contract(), now=NOW) or supplier
    supplier = (
        rules.with_contract(supplier, contract(hourly_rate_dkk="990.00"), now=NOW) or supplier
    )
    assert [str(c.hourly_rate_dkk) for c in supplier.contracts] == ["990.00"]
    assert rules.without_contract(supplier, "c-1", now=NOW).contracts == ()
    with pytest.raises(IllegalTransition):
        rules.without_contract(supplier, "c-9", now=NOW)


def test_specialists_count_as_trained_when_every_module_is_completed() -> None:
    done = TrainingModule(module="VISO intro", status="completed")
    busy = TrainingModule(module="Reports", status="in_progress")
    supplier = rules.new_supplier("s-1", PROFILE, now=NOW)
    for specialist in (
        Specialist(specialist_id="a", name="A", training=(done,)),
        Specialist(specialist_id="b", name="B", training=(done, busy)),
    ):
        supplier = rules.with_specialist(supplier, specialist, now=NOW) or supplier
    event = supplier.model_copy(update={"version": 2}).profile_changed()
    assert event.specialists_trained == 1


HEADER = ",".join(COLUMNS)
ROW = (
    "s-1,Center for Autisme,self_owning,ja,true,Vej 1,5000,Odense,461,3,{cid},children_youth,"
    "single_case;mini_single_case,2020-08-01,2025-07-31,0,25,autism;anxiety,ASD,{rate},3.79,475.00"
)


def test_the_csv_groups_contracts_by_supplier() -> None:
    text = "\n".join(
        [HEADER, ROW.format(cid="c-1", rate="950.00"), ROW.format(cid="c-2", rate='"1,5"')]
    )
    [imported] = parse_suppliers(text)
    assert imported.supplier_id == "s-1" and imported.profile.kas
    assert imported.profile.address.municipality_code == "461"
    assert [c.contract_id for c in imported.contracts] == ["c-1", "c-2"]
    assert imported.contracts[0].services == ("single_case", "mini_single_case")
    assert str(imported.contracts[1].hourly_rate_dkk) == "1.50"


def test_every_bad_csv_cell_is_named_by_line_and_column() -> None:
    bad = ROW.format(cid="c-1", rate="-5").replace("self_owning", "cooperative")
    twice = ROW.format(cid="c-1", rate="950.00")
    with pytest.raises(InvalidInput) as raised:
        parse_suppliers("\n".join([HEADER, bad, twice, twice]))
    assert {v.field for v in raised.value.violations} == {
        "csv_text.line2.kind",
        "csv_text.line2.hourly_rate_dkk",
        "csv_text.line4.contract_id",
    }


def test_a_bad_address_is_named_by_its_columns_with_the_rest_of_the_row() -> None:
    bad = (
        ROW.format(cid="c-1", rate="950.00")
        .replace(",5000,", ",DK-5000,")
        .replace(",461,", ",4610,")
        .replace("self_owning", "cooperative")
    )
    with pytest.raises(InvalidInput) as raised:
        parse_suppliers("\n".join([HEADER, bad]))
    assert {v.field for v in raised.value.violations} == {
        "csv_text.line2.postcode",
        "csv_text.line2.municipality_code",
        "csv_text.line2.kind",
    }


def test_a_row_with_more_cells_than_the_header_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_suppliers("\n".join([HEADER, ROW.format(cid="c-1", rate="1,5")]))
    assert {v.field for v in raised.value.violations} == {"csv_text.line2"}


@pytest.mark.parametrize("end", ["\r\n", "\r", "\n"], ids=["CRLF", "CR", "LF"])
def test_lines_may_end_in_crlf_a_lone_cr_or_lf(end: str) -> None:
    text = end.join([HEADER, ROW.format(cid="c-1", rate="950.00"), ROW.format(cid="c-2", rate="9")])
    [imported] = parse_suppliers(text + end)
    assert [c.contract_id for c in imported.contracts] == ["c-1", "c-2"]
    assert imported.profile.address.city == "Odense"


def test_a_quoted_cell_may_hold_a_line_break_and_lines_are_counted_in_the_file() -> None:
    first, bad = (
        ROW.format(cid=cid, rate=rate).replace("Vej 1", '"Vej 1\r\nBagindgang"')
        for cid, rate in (("c-1", "950.00"), ("c-2", "-5"))
    )
    with pytest.raises(InvalidInput) as raised:
        parse_suppliers("\r\n".join([HEADER, first, bad]))
    assert {v.field for v in raised.value.violations} == {"csv_text.line4.hourly_rate_dkk"}


def test_a_stray_carriage_return_in_a_cell_ends_its_line_and_is_named() -> None:
    broken = ROW.format(cid="c-1", rate="950.00").replace("Odense", "Oden\rse")
    with pytest.raises(InvalidInput) as raised:
        parse_suppliers("\n".join([HEADER, broken]))
    assert {v.field.split(".")[1] for v in raised.value.violations} == {"line2", "line3"}


def test_text_the_csv_module_cannot_read_is_named_not_an_internal_error() -> None:
    huge = ROW.format(cid="c-1", rate="950.00").replace("Odense", '"' + "x" * 200_000 + '"')
    with pytest.raises(InvalidInput) as raised:
        parse_suppliers("\n".join([HEADER, huge]))
    [violation] = raised.value.violations
    assert violation.field == "csv_text"
    assert violation.description.startswith("not readable as CSV after line 1: field larger")


def test_a_csv_without_the_required_columns_is_refused() -> None:
    with pytest.raises(InvalidInput, match="csv"):
        parse_suppliers("supplier_id,name\ns-1,X")


def test_every_inconsistent_contract_field_is_named_with_the_other_bad_fields() -> None:
    with pytest.raises(ValidationError) as raised:
        contract(
            services=("single_case", "knitting"),
            valid_from="2026-02-01",
            valid_to="2025-01-31",
            min_age=18,
            max_age=6,
            hourly_rate_dkk="-1",
        )
    assert {e["loc"] for e in raised.value.errors()} == {
        ("services",),
        ("valid_to",),
        ("max_age",),
        ("hourly_rate_dkk",),
    }
