"""Notification use cases."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.contracts.visitation import VisitationCaseOpened
from services.kernel.envelope import Envelope, utcnow
from services.kernel.paging import Paging
from services.kernel.store import Aggregate, MongoStore, Repository, Transaction
from services.notifications import domain
from services.notifications.domain import Notice

notices = Repository(Notice, "notices")


class InquiryCase(Aggregate):
    """The visitation case opened for an inquiry (id = inquiry id), so that a notice about the
    inquiry from intake carries its case."""

    case_id: str


inquiry_cases = Repository(InquiryCase, "inquiry_cases")


async def notify_case_assigned(tx: Transaction, envelope: Envelope) -> None:
    """Tell the consultant of a newly opened case, and remember the inquiry's case."""
    opened = envelope.payload_as(VisitationCaseOpened)
    notices.add_if_absent(
        tx, domain.case_assigned_notice(opened, event_id=envelope.event_id, now=utcnow())
    )
    inquiry_cases.add_if_absent(tx, InquiryCase(id=opened.inquiry_id, case_id=opened.case_id))


async def case_of_inquiry(tx: Transaction, inquiry_id: str) -> str:
    """The case visitation opened for the inquiry; empty while none is known."""
    found = await inquiry_cases.get(tx, inquiry_id)
    return found.case_id if found is not None else ""


NOTICE_ORDER = (("created_at", DESCENDING), ("_id", ASCENDING))


async def list_notices(
    recipient_id: str, *, store: MongoStore, size: int, token: str, case_id: str = ""
) -> tuple[list[Notice], str]:
    """A page of a recipient's notices, newest first, and the next page's token; only those
    about `case_id` when it is given."""
    query: dict[str, Any] = {"recipient_id": recipient_id}
    if case_id:
        query["case_id"] = case_id
    return await Paging(NOTICE_ORDER, query).aggregates(
        notices, store.db, query, size=size, token=token
    )


async def create_indexes(store: MongoStore) -> None:
    """Listing per recipient, and per recipient and case, in the listing's order."""
    collection = store.db[notices.collection]
    await collection.create_index([("recipient_id", ASCENDING), *NOTICE_ORDER])
    await collection.create_index(
        [("recipient_id", ASCENDING), ("case_id", ASCENDING), *NOTICE_ORDER]
    )
