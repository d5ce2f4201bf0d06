"""Delivery use cases: queue in the causing transaction, record each try and its outcome in its
own transaction with Team Support's notices, receipts, Team Support's retry; the reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from services.kernel.errors import ConcurrencyConflict, NotFound
from services.kernel.paging import Paging
from services.kernel.store import MongoStore, Repository, Transaction
from services.notifications.delivery import domain
from services.notifications.delivery.domain import Delivery, Outcome
from services.notifications.delivery.notices import failed_notice, fallback_notice
from services.notifications.domain import Notice
from services.notifications.handlers import inquiry_cases, notices

deliveries = Repository(Delivery, "deliveries")
ORDER = (("created_at", ASCENDING), ("_id", ASCENDING))

Change = Callable[[Delivery], tuple[Delivery, Outcome | None]]


def outcome_notices(delivery: Delivery, outcome: Outcome | None, now: datetime) -> list[Notice]:
    """Team Support hears of a fallback and of a delivery no channel took."""
    tries = len(delivery.attempts)
    if outcome == "fallen_back":
        return [fallback_notice(delivery, event_id=f"{delivery.id}:{tries}", now=now)]
    if outcome == "failed":
        return [failed_notice(delivery, event_id=f"{delivery.id}:{tries}", now=now)]
    return []


async def enqueue(tx: Transaction, delivery: Delivery, now: datetime) -> None:
    """Queue a delivery in the transaction of its cause, once per idempotency key (its id); one
    that no channel can take is Team Support's task at once."""
    deliveries.add_if_absent(tx, delivery)
    if delivery.status == "failed":
        notices.add_if_absent(tx, *outcome_notices(delivery, "failed", now))


async def change(store: MongoStore, delivery_id: str, step: Change, now: datetime) -> Delivery:
    """Apply one step of the state machine; raises ConcurrencyConflict when another worker
    changed the delivery first. A step that tells Team Support is one transaction with its
    notice; any other is a single version-guarded write (the worker's steps are most of the
    service's writes: no transaction where one document changes)."""
    current = await get(store, delivery_id)
    if not current.case_id:  # learnt from visitation after the delivery was queued
        known = await inquiry_cases.read(store.db, current.inquiry_id)
        current = current.model_copy(update={"case_id": known.case_id if known else ""})
    updated, outcome = step(current)
    told = outcome_notices(updated, outcome, now)
    if not told:
        stored = updated.model_copy(update={"version": current.version + 1})
        result = await store.db[deliveries.collection].replace_one(
            {"_id": delivery_id, "version": current.version}, deliveries.to_doc(stored)
        )
        if result.matched_count != 1:
            raise ConcurrencyConflict(deliveries.collection, delivery_id, current.version)
        return stored

    async def work(tx: Transaction) -> Delivery:
        saved = await deliveries.save(tx, updated, expected_version=current.version)
        notices.add_if_absent(tx, *told)
        return saved

    return await store.transact(work)


async def record_receipt(
    store: MongoStore, delivery_id: str, *, receipt: str, at: datetime, now: datetime
) -> Delivery:
    """The recipient's side acknowledged a sent delivery."""
    return await change(
        store, delivery_id, lambda d: (domain.acknowledge(d, receipt, at, now), None), now
    )


async def retry(store: MongoStore, delivery_id: str, *, now: datetime) -> Delivery:
    """Team Support sends a failed delivery again from its first channel."""
    return await change(store, delivery_id, lambda d: (domain.requeue(d, now), None), now)


async def get(store: MongoStore, delivery_id: str) -> Delivery:
    """One delivery; NotFound when there is none."""
    found = await deliveries.read(store.db, delivery_id)
    if found is None:
        raise NotFound("delivery", delivery_id)
    return found


async def list_for(
    store: MongoStore,
    *,
    size: int,
    token: str,
    inquiry_id: str = "",
    case_id: str = "",
    consultant_id: str = "",
) -> tuple[list[Delivery], str]:
    """A page of the deliveries of an inquiry, or of every inquiry of a case, oldest first,
    and the next page's token; only `consultant_id`'s when it is given."""
    queries: list[dict[str, Any]]
    if inquiry_id:
        queries = [{"inquiry_id": inquiry_id}]
    else:
        of_case = await inquiry_cases.find(store.db, {"case_id": case_id}, limit=100)
        queries = [{"case_id": case_id}, *({"inquiry_id": i.id} for i in of_case)]
    if consultant_id:
        queries = [{**query, "consultant_id": consultant_id} for query in queries]
    # The token is bound to the request, not to the case's inquiries, which may grow meanwhile.
    request = {"inquiry_id": inquiry_id, "case_id": case_id, "consultant_id": consultant_id}
    return await Paging(ORDER, request).aggregates(
        deliveries, store.db, queries, size=size, token=token
    )


async def create_indexes(store: MongoStore) -> None:
    """Due deliveries for the worker; listing per inquiry and per case (a consultant's own
    among them) in the list's order."""
    collection = store.db[deliveries.collection]
    await collection.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
    for scope in ("inquiry_id", "case_id"):
        await collection.create_index([(scope, ASCENDING), *ORDER])
        await collection.create_index([(scope, ASCENDING), ("consultant_id", ASCENDING), *ORDER])
    await store.db[inquiry_cases.collection].create_index([("case_id", ASCENDING)])
