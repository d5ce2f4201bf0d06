"""How a page's query is put together from the request's filter and a keyset branch."""

from __future__ import annotations

from datetime import UTC, datetime

from services.kernel.paging import Paging, combined


def test_a_branch_and_a_filter_on_other_fields_make_one_flat_filter() -> None:
    at = datetime(2025, 3, 1, tzinfo=UTC)
    paging = Paging((("registered_at", -1), ("_id", 1)), {"query": {}})
    token = paging.token_after({"registered_at": at, "_id": "b"})
    same_time, older = paging.after(token)
    assert same_time == {"registered_at": at, "_id": {"$gt": "b"}}
    assert older == {"registered_at": {"$lt": at}}
    assert combined({}, older) == older
    assert combined({"main_area": "adults"}, older) == {
        "main_area": "adults",
        "registered_at": {"$lt": at},
    }
    assert combined({"status": "open"}, {}) == {"status": "open"}


def test_a_branch_on_a_field_the_filter_names_is_joined_with_and() -> None:
    span = {"registered_at": {"$gte": datetime(2025, 1, 1, tzinfo=UTC)}}
    older = {"registered_at": {"$lt": datetime(2025, 3, 1, tzinfo=UTC)}}
    assert combined(span, older) == {"$and": [span, older]}
    assert combined({"a": 1}, {"$or": [{"b": 1}]}) == {"$and": [{"a": 1}, {"$or": [{"b": 1}]}]}
