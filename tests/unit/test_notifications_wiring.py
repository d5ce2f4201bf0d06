"""Notifications' handler tables: an event several tables handle gets each handler, in order."""

from __future__ import annotations

from typing import Any

from services.kernel.consumer import EventHandler
from services.notifications.main import merged


def recording(calls: list[str], name: str) -> EventHandler:
    async def handle(tx: Any, envelope: Any) -> None:
        calls.append(name)

    return handle


async def test_a_type_two_tables_handle_runs_both_in_table_order() -> None:
    calls: list[str] = []
    table = merged(
        {"SupplierOffered": recording(calls, "notice"), "DeadlineSet": recording(calls, "r")},
        {"SupplierOffered": recording(calls, "feed")},
    )
    assert set(table) == {"SupplierOffered", "DeadlineSet"}
    await table["SupplierOffered"](None, None)  # type: ignore[arg-type]
    assert calls == ["notice", "feed"]
    await table["DeadlineSet"](None, None)  # type: ignore[arg-type]
    assert calls == ["notice", "feed", "r"]
