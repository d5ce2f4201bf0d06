"""The periodic check of extended-phone-advice form deadlines: overdue ones reported missed once."""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from functools import partial
from typing import Any

from services.intake import domain
from services.intake.domain.deadlines import DANISH_TIME
from services.intake.handlers import Intake, inquiries, load
from services.kernel.envelope import utcnow
from services.kernel.errors import ConcurrencyConflict, NotFound
from services.kernel.store import Transaction
from services.workdays.settings import check_day

log = logging.getLogger(__name__)


async def check_form_deadlines(
    app: Intake, *, now: datetime | None = None, inquiry_id: str = ""
) -> int:
    """Report every extended-phone-advice form deadline still open at 14:00 on its due day
    (only the inquiry's, when one is named).

    Each phone inquiry changes in its own transaction with its version checked, so a deadline
    is reported missed once even when two replicas check at the same time.
    """
    moment = now or utcnow()
    today = domain.danish_date(moment).isoformat()
    query: dict[str, Any] = {"form_deadline.state": "open", "form_deadline.due": {"$lte": today}}
    if inquiry_id:
        if await inquiries.read(app.store.db, inquiry_id) is None:
            raise NotFound("inquiry", inquiry_id)
        query["_id"] = inquiry_id
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


def check_moment(as_of: date | None, *, now: datetime, max_days_ahead: int) -> datetime:
    """When a manager's check counts from: now, or the end of `as_of` (Danish time) within
    the platform's rule for looking ahead."""
    today = domain.danish_date(now)
    day = check_day(today=today, as_of=as_of, max_days_ahead=max_days_ahead)
    if day == today:
        return now
    return datetime.combine(day, time(23, 59, 59), tzinfo=DANISH_TIME)
