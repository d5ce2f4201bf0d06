"""The periodic deadline check: every overdue leverance deadline is reported missed once."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from services.kernel.errors import ConcurrencyConflict, NotFound
from services.kernel.store import MongoStore, Transaction
from services.leverance.domain.ledger import report_missed
from services.leverance.handlers.base import emit, ledger
from services.leverance.handlers.cases import case_references

log = logging.getLogger(__name__)


async def check_deadlines(*, store: MongoStore, today: date, case_id: str = "") -> int:
    """Report every open deadline due before `today` missed, once (only the case's, when one
    is named); returns how many.

    Each deadline changes in its own transaction with its version checked, so two replicas
    running the check at once report it once: the slower one finds it already missed.
    """
    query: dict[str, Any] = {"status": "open", "due": {"$lt": today.isoformat()}}
    if case_id:
        known = await store.db[ledger.collection].find_one({"case_id": case_id}, {"_id": 1})
        if known is None and await case_references.read(store.db, case_id) is None:
            raise NotFound("case", case_id)
        query["case_id"] = case_id
    ids = [doc["_id"] async for doc in store.db[ledger.collection].find(query, {"_id": 1})]
    reported = 0
    for deadline_id in ids:
        try:
            reported += await _report(store, deadline_id, today)
        except ConcurrencyConflict:
            log.info("deadline %s changed during the check; checked next time", deadline_id)
    return reported


async def _report(store: MongoStore, deadline_id: str, today: date) -> int:
    async def work(tx: Transaction) -> int:
        found = await ledger.get(tx, deadline_id)
        if found is None:
            return 0
        events = report_missed(found, today)
        await emit(tx, events)
        return len(events)

    return await store.transact(work)
