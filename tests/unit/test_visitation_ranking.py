"""Supplier ranking (H 5.1.2): eligibility, qualification, price, reported ties and reasons; and the
read model keeping the newest snapshot."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from services.contracts.leverance import SupplierProfileChanged
from services.visitation.catalog import Estimate
from services.visitation.domain.suppliers import (
    Need,
    estimated_price,
    is_newer,
    profile_from_event,
    rank_suppliers,
)
from tests.unit.visitation_fixtures import supplier, terms

GROUPS = ("autism_spectrum", "anxiety")
NEED = Need("children_youth", "single_case", 9, GROUPS, date(2026, 6, 1))
ESTIMATE = Estimate(hours=Decimal(20), transport_km=Decimal(100), transport_hours=Decimal(2))


def ids(ranking: object) -> list[str]:
    return [c.supplier_id for c in ranking.candidates]  # type: ignore[attr-defined]


def test_price_is_hours_times_rate_plus_transport() -> None:
    contract = terms(groups=list(GROUPS), rate="700")
    assert estimated_price(contract, ESTIMATE) == Decimal("15150.00")


def test_the_best_qualified_first_then_the_lowest_price() -> None:
    ranking = rank_suppliers(
        [
            supplier("cheap-partial", [terms(groups=["anxiety"], rate="300")]),
            supplier("dear-full", [terms(groups=list(GROUPS), rate="900")]),
            supplier("cheap-full", [terms(groups=list(GROUPS), rate="600")]),
        ],
        NEED,
        ESTIMATE,
    )
    assert ids(ranking) == ["cheap-full", "dear-full", "cheap-partial"]
    assert [c.rank for c in ranking.candidates] == [1, 2, 3]
    top = ranking.candidates[0]
    assert top.covered == GROUPS and top.missing == ()
    assert any("target groups covered 2 of 2" in r for r in top.reasons)
    assert any(r.startswith("estimated price 13150.00 DKK") for r in top.reasons)
    assert ranking.candidates[2].missing == ("autism_spectrum",)


def test_ineligible_suppliers_are_left_out_with_their_reasons() -> None:
    ranking = rank_suppliers(
        [
            supplier("full", [terms(groups=list(GROUPS))], capacity=0),
            supplier("closed", [terms(groups=list(GROUPS))], active=False),
            supplier("adults", [terms(groups=list(GROUPS), area="adults")]),
            supplier("other-service", [terms(groups=list(GROUPS), services=("group_course",))]),
            supplier("older", [terms(groups=list(GROUPS), ages=(18, 99))]),
            supplier("unrelated", [terms(groups=["dementia"])]),
            supplier(
                "expired", [terms(groups=list(GROUPS), valid=(date(2020, 8, 1), date(2025, 7, 31)))]
            ),
            supplier("fits", [terms(groups=list(GROUPS))]),
        ],
        NEED,
        ESTIMATE,
    )
    assert ids(ranking) == ["fits"]
    reasons = {e.supplier_id: " / ".join(e.reasons) for e in ranking.excluded}
    assert "no free capacity" in reasons["full"]
    assert "not active" in reasons["closed"]
    assert "is for adults" in reasons["adults"]
    assert "does not cover single_case" in reasons["other-service"]
    assert "age 9 outside 18-99" in reasons["older"]
    assert "covers none of the target groups" in reasons["unrelated"]
    assert "not valid on 2026-06-01" in reasons["expired"]


def test_a_supplier_is_ranked_by_its_best_fitting_contract() -> None:
    ranking = rank_suppliers(
        [
            supplier(
                "two-contracts",
                [terms(groups=["anxiety"], rate="400"), terms(groups=list(GROUPS), rate="800")],
            )
        ],
        NEED,
        ESTIMATE,
    )
    [only] = ranking.candidates
    assert only.covered == GROUPS and only.hourly_rate_dkk == Decimal("800")


def test_without_a_known_age_or_target_groups_every_area_and_service_match_is_eligible() -> None:
    need = Need("children_youth", "single_case", None, (), date(2026, 6, 1))
    ranking = rank_suppliers(
        [supplier("a", [terms(groups=["x"], rate="800")]), supplier("b", [terms(groups=["y"])])],
        need,
        ESTIMATE,
    )
    assert ids(ranking) == ["b", "a"]
    assert any("citizen's age not recorded" in r for r in ranking.candidates[0].reasons)


def test_offered_suppliers_are_marked_and_skipped_as_the_next_candidate() -> None:
    ranking = rank_suppliers(
        [
            supplier("first", [terms(groups=list(GROUPS), rate="500")]),
            supplier("second", [terms(groups=list(GROUPS), rate="600")]),
        ],
        NEED,
        ESTIMATE,
        offered={"first": "declined"},
    )
    assert [c.offer_status for c in ranking.candidates] == ["declined", None]
    next_one = ranking.first_not_offered()
    assert next_one is not None and next_one.supplier_id == "second"


def snapshot(revision: int) -> SupplierProfileChanged:
    return SupplierProfileChanged(
        supplier_id="s1",
        revision=revision,
        name="S1",
        kind="municipal",
        kas=False,
        active=True,
        free_capacity=1,
        contracts=[terms(groups=["x"])],
        changed_at=datetime(2026, 6, 1, tzinfo=UTC),
    )


def test_the_read_model_keeps_the_highest_revision() -> None:
    current = profile_from_event(snapshot(3))
    assert current.id == "s1" and current.revision == 3
    assert is_newer(None, snapshot(1))
    assert is_newer(current, snapshot(4))
    assert not is_newer(current, snapshot(3)) and not is_newer(current, snapshot(2))


def test_a_kas_supplier_is_left_out_with_the_reason_however_well_it_fits() -> None:
    kas = supplier("kas-vision", [terms(groups=list(GROUPS), rate="100")])
    ranking = rank_suppliers(
        [kas.model_copy(update={"kas": True}), supplier("full", [terms(groups=list(GROUPS))])],
        NEED,
        ESTIMATE,
    )
    assert ids(ranking) == ["full"]
    [left_out] = ranking.excluded
    assert left_out.supplier_id == "kas-vision"
    assert left_out.reasons == (
        "KaS supplier: registers and visits its own inquiries (KaS), not offered by VISO",
    )


def test_suppliers_equal_on_coverage_and_price_share_a_rank_and_say_so() -> None:
    ranking = rank_suppliers(
        [
            supplier("b-tied", [terms(groups=list(GROUPS), rate="600")]),
            supplier("a-tied", [terms(groups=list(GROUPS), rate="600")]),
            supplier("dearer", [terms(groups=list(GROUPS), rate="900")]),
        ],
        NEED,
        ESTIMATE,
    )
    assert [(c.supplier_id, c.rank) for c in ranking.candidates] == [
        ("a-tied", 1),
        ("b-tied", 1),
        ("dearer", 3),
    ]
    first, second, third = ranking.candidates
    assert first.tied_with == ("b-tied",) and second.tied_with == ("a-tied",)
    assert third.tied_with == ()
    assert any(r.startswith("tied with B-Tied") and "13150.00 DKK" in r for r in first.reasons)
    assert not any("tied" in r for r in third.reasons)
