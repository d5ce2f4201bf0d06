"""How a page's query is put together from the request's filter and a keyset branch."""

from __future__ import annotations

from datetime import UTC, datetime

from services.kernel.paging import Paging

AT = datetime(2025, 3, 1, tzinfo=UTC)
NEWEST_FIRST = (("registered_at", -1), ("_id", 1))


def test_a_branch_and_a_filter_on_other_fields_make_one_flat_filter() -> None:
    paging = Paging(NEWEST_FIRST, {"main_area": "adults"})
    token = paging.token_after({"registered_at": AT, "_id": "b"})
    same_time, older, undated = paging.where({"main_area": "adults"}, token)
    assert same_time == {"main_area": "adults", "registered_at": AT, "_id": {"$gt": "b"}}
    assert older == {"main_area": "adults", "registered_at": {"$lt": AT}}
    assert undated == {"main_area": "adults", "registered_at": None}
    assert paging.where({"main_area": "adults"}, "") == [{"main_area": "adults"}]


def test_a_range_on_a_field_the_filter_ranges_too_is_merged_into_one_condition() -> None:
    since = datetime(2025, 1, 1, tzinfo=UTC)
    query = {"registered_at": {"$gte": since}}
    paging = Paging(NEWEST_FIRST, query)
    token = paging.token_after({"registered_at": AT, "_id": "b"})
    older = paging.where(query, token)[1]
    assert older == {"registered_at": {"$gte": since, "$lt": AT}}


def test_a_branch_on_a_field_the_filter_names_otherwise_is_joined_with_and() -> None:
    query = {"registered_at": AT}
    paging = Paging(NEWEST_FIRST, query)
    token = paging.token_after({"registered_at": AT, "_id": "b"})
    older = paging.where(query, token)[1]
    assert older == {"$and": [query, {"registered_at": {"$lt": AT}}]}
