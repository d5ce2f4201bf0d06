"""Paging (AIP-158): 1,234 items listed page by page come each exactly once and in order,
also while new items arrive between the pages; a token is bound to its filters; the intake
listing pages through gRPC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from pymongo import ASCENDING, DESCENDING

from services.kernel.errors import InvalidInput
from services.kernel.paging import Paging, page_size
from tests.support import DEADLINE, Clients, adult_form
from vias.intake.v1 import intake_pb2

START = datetime(2024, 1, 1, tzinfo=UTC)


def test_page_sizes_have_a_default_and_a_maximum() -> None:
    assert (page_size(0), page_size(7), page_size(10_000)) == (50, 7, 500)
    with pytest.raises(InvalidInput):
        page_size(-1)


async def test_1234_items_come_once_each_in_order_while_new_ones_arrive(clients: Clients) -> None:
    collection = clients.mongo["vias_paging_test"]["items"]
    await collection.drop()
    # Several items share a moment: the order is made total by the id.
    items: list[dict[str, Any]] = [
        {"_id": f"item-{i:05d}", "at": START + timedelta(minutes=i // 3), "kind": "a"}
        for i in range(1234)
    ]
    await collection.insert_many(items)
    await collection.create_index([("at", DESCENDING), ("_id", ASCENDING)])
    paging = Paging((("at", DESCENDING), ("_id", ASCENDING)), {"kind": "a"})
    expected = sorted(items, key=lambda d: (-d["at"].timestamp(), d["_id"]))

    seen: list[str] = []
    token, pages = "", 0
    while True:
        docs, token = await paging.page(collection, {"kind": "a"}, size=100, token=token)
        seen += [d["_id"] for d in docs]
        pages += 1
        # New items arrive between the pages: newer than any (before the cursor) and as old
        # as the page's last item (the same moment, an id before and after it).
        last = docs[-1]
        await collection.insert_many(
            [
                {"_id": f"new-{pages}-newest", "at": START + timedelta(days=30), "kind": "a"},
                {"_id": f"same-{pages}-after", "at": last["at"], "kind": "a"},
                {"_id": f"before-{pages}", "at": last["at"], "kind": "a"},
                {"_id": f"new-{pages}-other", "at": last["at"], "kind": "b"},
            ]
        )
        if not token:
            break

    original = [d["_id"] for d in expected]
    assert [i for i in seen if i.startswith("item-")] == original
    assert len(seen) == len(set(seen))
    assert not [i for i in seen if i.startswith(("before-", "new-"))]
    assert {i for i in seen if i.startswith("same-")} == {
        f"same-{n}-after" for n in range(1, pages)
    }


async def test_a_token_is_bound_to_its_filters(clients: Clients) -> None:
    collection = clients.mongo["vias_paging_test"]["bound"]
    await collection.drop()
    await collection.insert_many([{"_id": f"x{i}", "kind": "a"} for i in range(5)])
    paging = Paging((("_id", ASCENDING),), {"kind": "a"})
    docs, token = await paging.page(collection, {"kind": "a"}, size=2, token="")
    assert [d["_id"] for d in docs] == ["x0", "x1"] and token
    other = Paging((("_id", ASCENDING),), {"kind": "b"})
    for bad in (token, "not-a-token", "e30"):
        with pytest.raises(InvalidInput):
            await other.page(collection, {"kind": "b"}, size=2, token=bad)


async def test_intake_lists_inquiries_page_by_page(clients: Clients) -> None:
    registered = []
    for _ in range(5):
        reply = await clients.intake.RegisterInquiry(
            adult_form(inquirer_name="Paging Kommune"), metadata=clients.auth(), timeout=DEADLINE
        )
        registered.append(reply.inquiry_id)

    async def page(token: str) -> Any:
        return await clients.intake.ListInquiries(
            intake_pb2.ListInquiriesRequest(
                text="Paging Kommune", page_size=2, page_token=token, purpose="test"
            ),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )

    seen: list[str] = []
    token = ""
    while True:
        reply = await page(token)
        assert len(reply.inquiries) <= 2
        seen += [i.inquiry_id for i in reply.inquiries]
        token = reply.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(registered) and len(seen) == 5
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await clients.intake.ListInquiries(
            intake_pb2.ListInquiriesRequest(text="other", page_size=2, page_token=token or "e30"),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("direction", [ASCENDING, DESCENDING])
async def test_items_without_a_sort_value_come_once_each_in_order(
    clients: Clients, direction: int
) -> None:
    collection = clients.mongo["vias_paging_test"][f"nulls_{direction}"]
    await collection.drop()
    # A draft may have no date yet: null sorts before every date, missing like null.
    items: list[dict[str, Any]] = [
        {"_id": f"d{i:02d}", "day": None if i % 3 == 0 else f"2026-01-{1 + i % 5:02d}"}
        for i in range(20)
    ]
    items.append({"_id": "d99"})
    await collection.insert_many(items)
    await collection.create_index([("day", direction), ("_id", ASCENDING)])
    paging = Paging((("day", direction), ("_id", ASCENDING)), {})
    seen, token = [], ""
    while True:
        docs, token = await paging.page(collection, {}, size=4, token=token)
        seen += [d["_id"] for d in docs]
        if not token:
            break

    # By day (null first when ascending, last when descending), then by id ascending.
    ordered = sorted(items, key=lambda d: d["_id"])
    ordered.sort(key=lambda d: d.get("day") or "", reverse=direction == DESCENDING)
    assert seen == [d["_id"] for d in ordered]


async def test_a_union_of_queries_pages_once_each_in_order(clients: Clients) -> None:
    collection = clients.mongo["vias_paging_test"]["union"]
    await collection.drop()
    # Two scopes (a case's entries, its inquiry's entries without a case) overlap in none;
    # a third query overlaps the first, and its items must still come once.
    items: list[dict[str, Any]] = [
        {
            "_id": f"u{i:03d}",
            "at": START + timedelta(minutes=i // 2),
            "case_id": "c" if i % 3 else "",
            "inquiry_id": "i",
        }
        for i in range(60)
    ]
    items += [
        {"_id": f"x{i}", "at": START, "case_id": "other", "inquiry_id": "j"} for i in range(5)
    ]
    await collection.insert_many(items)
    order = (("at", DESCENDING), ("_id", DESCENDING))
    queries: list[dict[str, Any]] = [
        {"case_id": "c"},
        {"inquiry_id": "i", "case_id": ""},
        {"case_id": "c", "at": START},
    ]
    paging = Paging(order, {"any_of": queries})
    seen: list[str] = []
    token = ""
    while True:
        docs, token = await paging.page(collection, queries, size=7, token=token)
        assert len(docs) <= 7
        seen += [d["_id"] for d in docs]
        if not token:
            break
        await collection.insert_one(
            {"_id": f"new-{len(seen)}", "at": START + timedelta(days=9), "case_id": "c"}
        )
    mine = [d for d in items if d["inquiry_id"] == "i"]
    expected = sorted(mine, key=lambda d: (d["at"], d["_id"]), reverse=True)
    assert seen == [d["_id"] for d in expected]
