"""The indexes leverance's queries rely on."""

from __future__ import annotations

from pymongo import ASCENDING

from services.kernel.store import MongoStore
from services.leverance.handlers.base import central_hours, deliveries, documents, entries, ledger


async def create_indexes(store: MongoStore) -> None:
    """One part per supplier and case; fast lookups by case, supplier and month."""
    db = store.db
    await db[deliveries.collection].create_index(
        [("case_id", ASCENDING), ("supplier_id", ASCENDING)], unique=True
    )
    await db[deliveries.collection].create_index([("supplier_id", ASCENDING)])
    await db[entries.collection].create_index([("delivery_id", ASCENDING)])
    await db[entries.collection].create_index(
        [("supplier_id", ASCENDING), ("status", ASCENDING), ("worked_on", ASCENDING)]
    )
    await db[entries.collection].create_index([("status", ASCENDING), ("worked_on", ASCENDING)])
    await db[documents.collection].create_index([("case_id", ASCENDING)])
    await db[ledger.collection].create_index([("status", ASCENDING), ("due", ASCENDING)])
    await db[central_hours.collection].create_index([("worked_on", ASCENDING)])
