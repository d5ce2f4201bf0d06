"""Paging (AIP-158) of visitation's SearchCases and ListOffers and leverance's ListSuppliers,
ListDeliveries and ListConsumption: small pages give each item that was there before the first
page exactly once and in the documented order, also while new items arrive between the pages;
a token with other filters and a negative page size are INVALID_ARGUMENT; supplier staff see
only their own supplier's items on every page."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from services.kernel.envelope import new_id
from tests.integration.test_leverance import Case, log, new_supplier
from tests.integration.visitation_helpers import (
    World,
    assigned_case,
    call,
    new_world,
    proceeding_case,
    publish_world,
    ranking,
    refused,
    staff,
    supplier_staff,
)
from tests.support import Clients, bad_fields, vias_command
from vias.leverance.v1 import leverance_pb2 as lpb
from vias.visitation.v1 import visitation_pb2 as pb

Between = Callable[[int], Awaitable[None]]


async def nothing(page: int) -> None:
    """No new items between the pages."""


async def every_page(
    method: Any,
    request: Any,
    metadata: list[tuple[str, str]],
    items: str,
    between: Between = nothing,
) -> tuple[list[Any], list[Any]]:
    """The items of every page in turn (each page at most request.page_size), awaiting
    `between(n)` after the n-th page when another follows; and the replies."""
    seen: list[Any] = []
    replies: list[Any] = []
    while True:
        reply = await call(method, request, metadata)
        assert len(getattr(reply, items)) <= request.page_size
        seen += getattr(reply, items)
        replies.append(reply)
        if not reply.next_page_token:
            return seen, replies
        await between(len(replies))
        request.page_token = reply.next_page_token


def once_in_order(seen: list[str], expected: list[str]) -> None:
    """Every expected id exactly once, in the expected order, and no id twice."""
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in set(expected)] == expected


def vias(clients: Clients, *args: str) -> Any:
    """The JSON `vias ARGS` prints, which must succeed."""
    done = vias_command(clients.platform, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def invalid(method: Any, request: Any, metadata: list[tuple[str, str]]) -> set[str]:
    """The fields an INVALID_ARGUMENT names."""
    error = await refused(method, request, metadata)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    return bad_fields(error)


# --- visitation -------------------------------------------------------------------------------


@dataclass
class Offered:
    """One world's proceeding cases of one consultant: each offered to Alpha, the first three
    also to Bravo."""

    world: World
    consultant: str
    cases: list[Any]
    alpha_offers: list[Any]
    bravo_offers: list[Any]


async def offer(clients: Clients, world: World, consultant: str, case_id: str, name: str) -> Any:
    return await call(
        clients.visitation.OfferToSupplier,
        pb.OfferToSupplierRequest(
            case_id=case_id,
            supplier_id=world.sid(name),
            justification=f"{name} has the right team for this school.",
        ),
        staff(clients, consultant),
    )


async def proceeding_offered_to_alpha(clients: Clients, offered: Offered) -> Any:
    """One more case of the consultant, offered to Alpha."""
    case = await proceeding_case(clients, offered.world, offered.consultant)
    return await offer(clients, offered.world, offered.consultant, case.case_id, "Alpha")


@pytest.fixture(scope="module")
async def offered(clients: Clients) -> Offered:
    world = new_world()
    await publish_world(clients, world)
    consultant = f"consultant-{world.suffix}"
    result = Offered(world, consultant, [], [], [])
    for n in range(7):
        case = await proceeding_case(clients, world, consultant)
        if n == 0:
            await ranking(clients, case.case_id, consultant, expected=3)
        result.alpha_offers.append(await offer(clients, world, consultant, case.case_id, "Alpha"))
        if n < 3:
            result.bravo_offers.append(
                await offer(clients, world, consultant, case.case_id, "Bravo")
            )
        result.cases.append(case)
    return result


def newest_first(cases: list[Any]) -> list[str]:
    """Case ids in SearchCases' order: newest opened first, then by id."""
    ordered = sorted(cases, key=lambda c: (-c.opened_at.ToMilliseconds(), c.case_id))
    return [c.case_id for c in ordered]


def offers_order(offers: list[Any]) -> list[str]:
    """Offer ids in ListOffers' order: newest offer day first, then by id."""
    by_id = sorted(offers, key=lambda o: o.offer_id)
    ordered = sorted(by_id, key=lambda o: o.offered_on, reverse=True)
    return [o.offer_id for o in ordered]


async def test_search_cases_pages_give_each_case_once_in_order_while_cases_open(
    clients: Clients, offered: Offered
) -> None:
    me = staff(clients, offered.consultant)
    arrived: list[str] = []

    async def another_case(page: int) -> None:
        arrived.append((await assigned_case(clients, offered.consultant)).case_id)

    request = pb.SearchCasesRequest(consultant_id=offered.consultant, page_size=3)
    seen, replies = await every_page(
        clients.visitation.SearchCases, request, me, "cases", another_case
    )
    ids = [c.case_id for c in seen]
    # New cases are the newest: opened after the listing began, they come before its cursor.
    assert ids == newest_first(offered.cases)
    assert len(replies) == 3 and len(arrived) == 2
    assert not set(arrived) & set(ids)

    again, _ = await every_page(
        clients.visitation.SearchCases,
        pb.SearchCasesRequest(consultant_id=offered.consultant, page_size=4),
        me,
        "cases",
    )
    assert [c.case_id for c in again][:2] == list(reversed(arrived))
    assert [c.case_id for c in again][2:] == ids


async def test_supplier_staff_page_through_their_own_cases_only(
    clients: Clients, offered: Offered
) -> None:
    world = offered.world
    alpha = supplier_staff(clients, f"a-{world.suffix}", world.sid("Alpha"))
    seen, replies = await every_page(
        clients.visitation.SearchCases, pb.SearchCasesRequest(page_size=3), alpha, "cases"
    )
    assert [c.case_id for c in seen] == newest_first(offered.cases)
    assert len(replies) == 3
    assert {o.supplier_id for c in seen for o in c.offers} == {world.sid("Alpha")}

    # Bravo's staff asking for Alpha's cases still get their own three, on every page.
    bravo = supplier_staff(clients, f"b-{world.suffix}", world.sid("Bravo"))
    request = pb.SearchCasesRequest(supplier_id=world.sid("Alpha"), page_size=2)
    seen, replies = await every_page(clients.visitation.SearchCases, request, bravo, "cases")
    assert [c.case_id for c in seen] == newest_first(offered.cases[:3])
    assert len(replies) == 2
    assert {o.supplier_id for c in seen for o in c.offers} == {world.sid("Bravo")}

    # VISO staff filter on a supplier.
    request = pb.SearchCasesRequest(supplier_id=world.sid("Bravo"), page_size=2)
    me = staff(clients, offered.consultant)
    seen, _ = await every_page(clients.visitation.SearchCases, request, me, "cases")
    assert [c.case_id for c in seen] == newest_first(offered.cases[:3])


async def test_search_cases_refuses_a_token_with_other_filters_and_a_negative_size(
    clients: Clients, offered: Offered
) -> None:
    me = staff(clients, offered.consultant)
    v = clients.visitation
    first = await call(
        v.SearchCases, pb.SearchCasesRequest(consultant_id=offered.consultant, page_size=2), me
    )
    assert len(first.cases) == 2 and first.next_page_token
    other = pb.SearchCasesRequest(
        consultant_id=offered.consultant,
        status="proceeding",
        page_size=2,
        page_token=first.next_page_token,
    )
    assert await invalid(v.SearchCases, other, me) == {"page_token"}
    garbled = pb.SearchCasesRequest(consultant_id=offered.consultant, page_token="not-a-token")
    assert await invalid(v.SearchCases, garbled, me) == {"page_token"}
    negative = pb.SearchCasesRequest(page_size=-1, limit=501)
    assert await invalid(v.SearchCases, negative, me) == {"page_size", "limit"}
    # limit still works, as page_size when that is 0.
    limited = await call(
        v.SearchCases, pb.SearchCasesRequest(consultant_id=offered.consultant, limit=3), me
    )
    assert len(limited.cases) == 3 and limited.next_page_token


async def test_list_offers_pages_give_a_supplier_its_offers_once_in_order_while_offers_come(
    clients: Clients, offered: Offered
) -> None:
    world = offered.world
    alpha = supplier_staff(clients, f"a-{world.suffix}", world.sid("Alpha"))
    arrived: list[str] = []

    async def another_offer(page: int) -> None:
        arrived.append((await proceeding_offered_to_alpha(clients, offered)).offer_id)

    seen, replies = await every_page(
        clients.visitation.ListOffers,
        pb.ListOffersRequest(page_size=3),
        alpha,
        "offers",
        another_offer,
    )
    ids = [o.offer_id for o in seen]
    once_in_order(ids, offers_order(offered.alpha_offers))
    # An offer made meanwhile shows up at most once: where its id falls after the cursor.
    assert set(ids) <= {o.offer_id for o in offered.alpha_offers} | set(arrived)
    assert len(replies) >= 3 and arrived
    assert {o.supplier_id for o in seen} == {world.sid("Alpha")}
    assert ids == offers_order(list(seen))

    bravo = supplier_staff(clients, f"b-{world.suffix}", world.sid("Bravo"))
    seen, replies = await every_page(
        clients.visitation.ListOffers, pb.ListOffersRequest(page_size=2), bravo, "offers"
    )
    assert [o.offer_id for o in seen] == offers_order(offered.bravo_offers)
    assert len(replies) == 2


async def test_list_offers_pages_a_case_and_follows_each_offers_status(
    clients: Clients, offered: Offered
) -> None:
    world = offered.world
    me = staff(clients, offered.consultant)
    v = clients.visitation
    case_id = offered.cases[0].case_id
    request = pb.ListOffersRequest(case_id=case_id, page_size=1)
    seen, replies = await every_page(v.ListOffers, request, me, "offers")
    both = [offered.alpha_offers[0], offered.bravo_offers[0]]
    assert [o.offer_id for o in seen] == offers_order(both)
    assert len(replies) == 2

    other = pb.ListOffersRequest(
        case_id=offered.cases[1].case_id, page_size=1, page_token=replies[0].next_page_token
    )
    assert await invalid(v.ListOffers, other, me) == {"page_token"}
    negative = pb.ListOffersRequest(case_id=case_id, page_size=-5)
    assert await invalid(v.ListOffers, negative, me) == {"page_size"}

    # Bravo says no to one offer: the status filter finds it there, and no longer as offered.
    bravo = supplier_staff(clients, f"b-{world.suffix}", world.sid("Bravo"))
    declined = offered.bravo_offers[1]
    answered = await call(
        v.AnswerOffer,
        pb.AnswerOfferRequest(offer_id=declined.offer_id, accept=False, reason="No capacity."),
        bravo,
    )
    assert answered.status == "declined"
    seen, _ = await every_page(
        v.ListOffers, pb.ListOffersRequest(status="declined", page_size=2), bravo, "offers"
    )
    assert [o.offer_id for o in seen] == [declined.offer_id]
    seen, _ = await every_page(
        v.ListOffers, pb.ListOffersRequest(status="offered", page_size=2), bravo, "offers"
    )
    assert [o.offer_id for o in seen] == offers_order(
        [o for o in offered.bravo_offers if o.offer_id != declined.offer_id]
    )


async def test_the_command_line_follows_every_page_or_stops_at_the_limit(
    clients: Clients, offered: Offered
) -> None:
    world = offered.world
    alpha = ["--as-user", f"a-{world.suffix}", "--as-role", "specialist"]
    alpha += ["--as-supplier", world.sid("Alpha")]
    offers = [*alpha, "visitation", "offers"]
    whole = await asyncio.to_thread(vias, clients, *offers)
    ids = [o["offer_id"] for o in whole["offers"]]
    assert {o.offer_id for o in offered.alpha_offers} <= set(ids)
    assert "next_page_token" not in whole and len(ids) == len(set(ids))
    paged = await asyncio.to_thread(vias, clients, *offers, "--page-size", "2")
    assert [o["offer_id"] for o in paged["offers"]] == ids
    few = await asyncio.to_thread(vias, clients, *offers, "--limit", "3", "--page-size", "2")
    assert [o["offer_id"] for o in few["offers"]] == ids[:3]

    me = ["--as-user", offered.consultant, "--as-role", "consultant", "visitation", "search"]
    me += ["--consultant", offered.consultant]
    whole = await asyncio.to_thread(vias, clients, *me)
    found = [c["case_id"] for c in whole["cases"]]
    assert {c.case_id for c in offered.cases} <= set(found) and len(found) == len(set(found))
    paged = await asyncio.to_thread(vias, clients, *me, "--page-size", "4")
    assert [c["case_id"] for c in paged["cases"]] == found
    few = await asyncio.to_thread(vias, clients, *me, "--limit", "3")
    assert [c["case_id"] for c in few["cases"]] == found[:3]


# --- leverance --------------------------------------------------------------------------------


async def save_supplier(clients: Clients, supplier_id: str) -> None:
    await clients.leverance.SaveSupplier(
        lpb.SaveSupplierRequest(
            supplier_id=supplier_id,
            name=f"Paging {supplier_id}",
            kind="municipal",
            active=True,
            free_capacity=1,
            address=lpb.Address(city="Vejle", municipality_code="630"),
        ),
        metadata=clients.auth(),
        timeout=30,
    )


async def test_list_suppliers_pages_by_id_once_each_while_suppliers_are_added(
    clients: Clients,
) -> None:
    prefix = f"paging-{new_id()[:8]}"
    mine = [f"{prefix}-{n}" for n in range(6)]
    for supplier_id in mine:
        await save_supplier(clients, supplier_id)
    added: list[str] = []

    async def more(page: int) -> None:
        # One before every id (never listed: behind the cursor), one after the cursor.
        for supplier_id in (f"0000-{prefix}-{page}", f"{prefix}-{page}-z"):
            await save_supplier(clients, supplier_id)
            added.append(supplier_id)

    request = lpb.ListSuppliersRequest(page_size=5)
    seen, replies = await every_page(
        clients.leverance.ListSuppliers, request, clients.auth(), "suppliers", more
    )
    ids = [s.supplier_id for s in seen]
    once_in_order(ids, mine)
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert len(replies) >= 2 and added
    assert not [i for i in ids if i.startswith(f"0000-{prefix}")]
    assert await invalid(
        clients.leverance.ListSuppliers, lpb.ListSuppliersRequest(page_size=-1), clients.auth()
    ) == {"page_size"}
    limited = await call(
        clients.leverance.ListSuppliers, lpb.ListSuppliersRequest(limit=2), clients.auth()
    )
    assert len(limited.suppliers) == 2 and limited.next_page_token


async def test_list_deliveries_pages_a_suppliers_deliveries_once_each_in_id_order(
    clients: Clients,
) -> None:
    supplier_id = await new_supplier(clients)
    cases = [Case(clients, supplier_id) for _ in range(7)]
    for case in cases:
        await case.hand_over()
    arrived: list[str] = []

    async def another(page: int) -> None:
        case = Case(clients, supplier_id)
        await case.hand_over()
        arrived.append(case.delivery_id)

    specialist = cases[0].as_specialist()
    request = lpb.ListDeliveriesRequest(page_size=3)
    seen, replies = await every_page(
        clients.leverance.ListDeliveries, request, specialist, "deliveries", another
    )
    ids = [d.delivery_id for d in seen]
    once_in_order(ids, sorted(c.delivery_id for c in cases))
    assert ids == sorted(ids)
    assert set(ids) <= {c.delivery_id for c in cases} | set(arrived)
    assert {d.supplier_id for d in seen} == {supplier_id}
    assert len(replies) >= 3

    # VISO staff filter on the supplier; another supplier's staff get nothing on any page.
    request = lpb.ListDeliveriesRequest(supplier_id=supplier_id, page_size=4)
    seen, _ = await every_page(
        clients.leverance.ListDeliveries, request, cases[0].as_consultant(), "deliveries"
    )
    assert [d.delivery_id for d in seen] == sorted({c.delivery_id for c in cases} | set(arrived))
    me = ["--as-role", "consultant", "leverance", "deliveries", "--supplier", supplier_id]
    listed = await asyncio.to_thread(vias, clients, *me, "--page-size", "3")
    assert [d["delivery_id"] for d in listed["deliveries"]] == [d.delivery_id for d in seen]
    other = await new_supplier(clients)
    outsider = clients.auth(user="someone-else", role="specialist", supplier=other)
    request = lpb.ListDeliveriesRequest(supplier_id=supplier_id, page_size=2)
    theirs, replies = await every_page(
        clients.leverance.ListDeliveries, request, outsider, "deliveries"
    )
    assert theirs == [] and len(replies) == 1

    first = await call(
        clients.leverance.ListDeliveries,
        lpb.ListDeliveriesRequest(supplier_id=supplier_id, page_size=2),
        cases[0].as_consultant(),
    )
    moved = lpb.ListDeliveriesRequest(
        supplier_id=supplier_id, status="running", page_token=first.next_page_token
    )
    assert await invalid(clients.leverance.ListDeliveries, moved, cases[0].as_consultant()) == {
        "page_token"
    }


async def test_list_consumption_pages_entries_oldest_first_with_the_totals_of_all(
    clients: Clients,
) -> None:
    case = Case(clients, await new_supplier(clients))
    await case.hand_over()
    running = await case.start()
    advice = next(a for a in running.versions[0].activities if a.kind == "special_advice")
    logged = [(await log(case, advice.activity_id, hours="1")).entry_id for _ in range(7)]
    arrived: list[str] = []

    async def another(page: int) -> None:
        arrived.append((await log(case, advice.activity_id, hours="0.5")).entry_id)

    before = await case.call("GetDelivery", case.as_specialist())
    request = lpb.ListConsumptionRequest(delivery_id=case.delivery_id, page_size=3)
    seen, replies = await every_page(
        clients.leverance.ListConsumption, request, case.as_specialist(), "entries", another
    )
    ids = [e.entry_id for e in seen]
    # Entries logged meanwhile are the newest: they follow, each once.
    assert ids[: len(logged)] == logged
    assert ids[len(logged) :] == arrived[: len(ids) - len(logged)]
    assert len(replies) >= 3
    assert replies[0].totals == before.totals
    assert replies[0].totals.logged_dkk != replies[-1].totals.logged_dkk

    me = ("--as-role", "consultant", "leverance", "consumption", case.delivery_id)
    listed = await asyncio.to_thread(vias, clients, *me, "--page-size", "3")
    assert [e["entry_id"] for e in listed["entries"]] == logged + arrived
    assert listed["totals"] == (await asyncio.to_thread(vias, clients, *me))["totals"]
    few = await asyncio.to_thread(vias, clients, *me, "--limit", "4", "--page-size", "3")
    assert [e["entry_id"] for e in few["entries"]] == logged[:4]

    other = Case(clients, case.supplier_id)
    await other.hand_over()
    moved = lpb.ListConsumptionRequest(
        delivery_id=other.delivery_id, page_token=replies[0].next_page_token
    )
    assert await invalid(clients.leverance.ListConsumption, moved, case.as_consultant()) == {
        "page_token"
    }
