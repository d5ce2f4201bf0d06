"""The indexes leverance's queries rely on."""

from __future__ import annotations

from pymongo import ASCENDING

from services.kernel.store import MongoStore
from services.leverance.handlers.base import (
    BY_ID,
    ENTRY_ORDER,
    central_hours,
    deliveries,
    documents,
    entries,
    ledger,
)

DELIVERY_FILTERS: tuple[tuple[str, ...], ...] = (
    ("supplier_id",),
    ("supplier_id", "status"),
    ("status",),
    ("case_id", "status"),
    ("case_id", "supplier_id", "status"),
)
"""ListDeliveries' equality filters each served with its order (by id) by an index; the case
alone and the case with the supplier by the unique (case_id, supplier_id) one."""


async def create_indexes(store: MongoStore) -> None:
    """One part per supplier and case; fast lookups by case, supplier and month; each listing's
    filters and order served by one index (keyset paging)."""
    db = store.db
    await db[deliveries.collection].create_index(
        [("case_id", ASCENDING), ("supplier_id", ASCENDING)], unique=True
    )
    for fields in DELIVERY_FILTERS:
        await db[deliveries.collection].create_index([(f, ASCENDING) for f in fields] + [*BY_ID])
    await db[entries.collection].create_index([("delivery_id", ASCENDING), *ENTRY_ORDER])
    await db[entries.collection].create_index(
        [("supplier_id", ASCENDING), ("status", ASCENDING), ("worked_on", ASCENDING)]
    )
    await db[entries.collection].create_index([("status", ASCENDING), ("worked_on", ASCENDING)])
    await db[documents.collection].create_index([("case_id", ASCENDING)])
    await db[ledger.collection].create_index([("status", ASCENDING), ("due", ASCENDING)])
    await db[central_hours.collection].create_index([("worked_on", ASCENDING)])
