"""Notification use cases."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING

from services.contracts.visitation import VisitationCaseOpened
from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.store import MongoStore, Repository, Transaction
from services.notifications import domain
from services.notifications.domain import Notice

notices = Repository(Notice, "notices")


async def notify_case_assigned(tx: Transaction, envelope: Envelope) -> None:
    """Tell the consultant of a newly opened case."""
    opened = envelope.payload_as(VisitationCaseOpened)
    notice = domain.case_assigned_notice(
        opened, notice_id=new_id(), source_event_id=envelope.event_id, now=utcnow()
    )
    await notices.add(tx, notice)


async def list_notices(recipient_id: str, *, store: MongoStore, limit: int) -> list[Notice]:
    """A recipient's notices, newest first."""
    return await notices.find(
        store.db,
        {"recipient_id": recipient_id},
        sort=(("created_at", DESCENDING), ("_id", ASCENDING)),
        limit=limit,
    )


async def create_indexes(store: MongoStore) -> None:
    """Fast listing per recipient."""
    await store.db[notices.collection].create_index([("recipient_id", 1), ("created_at", -1)])
