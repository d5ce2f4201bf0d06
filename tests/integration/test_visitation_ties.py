"""Two suppliers tied on estimated price: the ranking shows the tie, the offer records it."""

from __future__ import annotations

from tests.integration.visitation_helpers import (
    call,
    contract,
    new_world,
    proceeding_case,
    publish_supplier,
    ranking,
    staff,
    supplier_staff,
)
from tests.support import Clients
from vias.visitation.v1 import visitation_pb2 as pb


async def test_a_tie_on_price_is_shown_in_the_ranking_and_recorded_on_the_offer(
    clients: Clients,
) -> None:
    world = new_world()
    both = world.groups
    for name in ("Alpha", "Bravo"):  # the same rates: the same estimated price
        await publish_supplier(
            clients,
            world.sid(name),
            f"{name} {world.suffix}",
            [contract(target_groups=both, rate="700")],
        )
    await publish_supplier(
        clients,
        world.sid("Charlie"),
        f"Charlie {world.suffix}",
        [contract(target_groups=both, rate="900")],
    )
    consultant = f"c-tie-{world.suffix}"
    case = await proceeding_case(clients, world, consultant)
    ranked = await ranking(clients, case.case_id, consultant, expected=3)

    mine = [c for c in ranked.candidates if c.supplier_id in world.suppliers.values()]
    assert [(c.supplier_id, c.rank) for c in mine] == [
        (world.sid("Alpha"), 1),
        (world.sid("Bravo"), 1),
        (world.sid("Charlie"), 3),
    ]
    alpha, bravo, charlie = mine
    assert list(alpha.tied_with_supplier_ids) == [world.sid("Bravo")]
    assert list(bravo.tied_with_supplier_ids) == [world.sid("Alpha")]
    assert list(charlie.tied_with_supplier_ids) == []
    assert alpha.estimated_price_dkk == bravo.estimated_price_dkk
    assert any("tied with Bravo" in r for r in alpha.reasons)
    # The consultant gave no estimate: every figure says it came from the reference data.
    assert {f.name: f.source for f in ranked.estimate_used} == {
        "hours": "reference data",
        "transport_km": "reference data",
        "transport_hours": "reference data",
    }

    offer = await call(
        clients.visitation.OfferToSupplier,
        pb.OfferToSupplierRequest(
            case_id=case.case_id,
            supplier_id=world.sid("Bravo"),
            justification="Bravo knows the school; tied with Alpha on price.",
        ),
        staff(clients, consultant),
    )
    assert offer.rank == 1
    assert list(offer.tie_broken_with_supplier_ids) == [world.sid("Alpha")]
    assert offer.justification.startswith("Bravo knows the school")
    # The supplier sees its offer, never whom it was chosen over.
    seen = await call(
        clients.visitation.GetOffer,
        pb.GetOfferRequest(offer_id=offer.offer_id),
        supplier_staff(clients, "spec-b", world.sid("Bravo")),
    )
    assert list(seen.tie_broken_with_supplier_ids) == [] and seen.justification == ""


async def test_the_estimate_the_consultant_gave_is_shown_as_theirs(clients: Clients) -> None:
    world = new_world()
    await publish_supplier(
        clients,
        world.sid("Alpha"),
        f"Alpha {world.suffix}",
        [contract(target_groups=world.groups, rate="700")],
    )
    consultant = f"c-est-{world.suffix}"
    case = await proceeding_case(clients, world, consultant)
    await ranking(clients, case.case_id, consultant, expected=1)
    ranked = await call(
        clients.visitation.RankSuppliers,
        pb.RankSuppliersRequest(case_id=case.case_id, estimate=pb.Estimate(hours="30")),
        staff(clients, consultant),
    )
    sources = {f.name: (f.value, f.source) for f in ranked.estimate_used}
    assert sources["hours"] == ("30", "consultant")
    assert sources["transport_km"][1] == "reference data"
