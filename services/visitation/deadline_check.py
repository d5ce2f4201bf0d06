"""The periodic deadline check: every overdue deadline is reported missed once."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from services.kernel.envelope import EventPayload
from services.kernel.errors import ConcurrencyConflict, NotFound
from services.visitation.commands import Estimate
from services.visitation.domain import deadlines, offers
from services.visitation.domain.model import VisitationCase
from services.visitation.domain.suppliers import Ranking, SupplierProfile, rank_suppliers
from services.visitation.handlers import Visitation, all_suppliers, cases, update_case
from services.workdays.settings import check_day

log = logging.getLogger(__name__)


async def check_deadlines(env: Visitation, *, as_of: date | None = None, case_id: str = "") -> int:
    """Report every overdue deadline missed, once; expire unanswered offers. Returns how many.

    Each case changes in its own transaction with its version checked, so two replicas running
    the check at once report a deadline once: the slower one's write is refused and skipped.
    """
    today = check_day(
        today=env.settings.today(),
        as_of=as_of,
        max_days_ahead=env.settings.check_as_of_max_days_ahead,
    )
    if case_id and await cases.read(env.store.db, case_id) is None:
        raise NotFound("case", case_id)
    query: dict[str, Any] = {
        "deadlines": {"$elemMatch": {"status": "open", "due": {"$lt": today.isoformat()}}}
    }
    if case_id:
        query["_id"] = case_id
    ids = [doc["_id"] async for doc in env.store.db[cases.collection].find(query, {"_id": 1})]
    if not ids:
        return 0
    known = await all_suppliers(env)
    reported = 0
    for found in ids:
        try:
            reported += await _report_overdue(env, found, today, known)
        except ConcurrencyConflict:
            log.info("case %s changed during the deadline check; checked next time", found)
    return reported


async def _report_overdue(
    env: Visitation, case_id: str, today: date, known: list[SupplierProfile]
) -> int:
    """Report one case's overdue deadlines missed; returns how many."""
    missed = 0

    def decide(case: VisitationCase) -> tuple[VisitationCase, list[EventPayload]]:
        nonlocal missed
        changed = case.model_copy(deep=True)
        events: list[EventPayload] = []
        overdue = deadlines.overdue(changed, today)
        missed = len(overdue)
        for deadline in overdue:
            events.append(deadlines.report_missed(changed, deadline))
            if deadline.rule == deadlines.SUPPLIER_ANSWER.id and deadline.offer_id:
                ranking = _ranking_for(env, changed, known, today)
                changed, expired = offers.expire_offer(changed, deadline.offer_id, ranking)
                events += expired
        return changed, events

    await update_case(env, case_id, 0, decide)
    return missed


def _ranking_for(
    env: Visitation, case: VisitationCase, known: list[SupplierProfile], today: date
) -> Ranking:
    service = env.catalog.service(case.service_id or "")
    if service is None:
        return Ranking(())
    return rank_suppliers(
        known,
        offers.need_of(case, service, today),
        offers.price_estimate(Estimate(), env.catalog),
        offered=offers.offered_statuses(case),
    )
