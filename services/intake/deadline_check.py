"""The periodic check of extended-phone-advice form deadlines: overdue ones reported missed once."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from services.intake import domain
from services.intake.handlers import Intake, inquiries, load
from services.kernel.envelope import utcnow
from services.kernel.errors import ConcurrencyConflict
from services.kernel.store import Transaction

log = logging.getLogger(__name__)


async def check_form_deadlines(app: Intake, *, now: datetime | None = None) -> int:
    """Report every extended-phone-advice form deadline still open at 14:00 on its due day.

    Each phone inquiry changes in its own transaction with its version checked, so a deadline
    is reported missed once even when two replicas check at the same time.
    """
    moment = now or utcnow()
    today = domain.danish_date(moment).isoformat()
    query = {"form_deadline.state": "open", "form_deadline.due": {"$lte": today}}
    cursor = app.store.db[inquiries.collection].find(query, {"_id": 1})
    ids = [doc["_id"] async for doc in cursor]
    reported = 0

    async def report(tx: Transaction, inquiry_id: str) -> int:
        inquiry = await load(tx, inquiry_id)
        deadline = inquiry.form_deadline
        if deadline is None or not deadline.overdue(moment):
            return 0
        missed, event = domain.report_missed(inquiry.id, deadline, now=moment)
        changed = inquiry.model_copy(update={"form_deadline": missed})
        await inquiries.save(tx, changed, expected_version=inquiry.version)
        tx.emit(event)
        return 1

    for inquiry_id in ids:
        try:
            reported += await app.store.transact(partial(report, inquiry_id=inquiry_id))
        except ConcurrencyConflict:
            log.info("phone inquiry %s changed during the deadline check", inquiry_id)
    return reported
