"""Visitation's use cases."""

from __future__ import annotations

from services.intake.messages import InquiryAssigned
from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.errors import NotFound
from services.kernel.store import MongoStore, Repository, Transaction
from services.visitation import domain
from services.visitation.domain import VisitationCase

cases = Repository(VisitationCase, "cases")


async def open_case_for_inquiry(tx: Transaction, envelope: Envelope) -> None:
    """Open the visitation case of an inquiry a consultant was assigned."""
    assigned = envelope.payload_as(InquiryAssigned)
    case, event = domain.open_case(
        case_id=new_id(),
        inquiry_id=assigned.inquiry_id,
        main_area=assigned.main_area,
        consultant_id=assigned.consultant_id,
        now=utcnow(),
    )
    await cases.add(tx, case)
    tx.emit(event)


async def get_case(case_id: str, *, store: MongoStore) -> VisitationCase:
    """One case."""
    case = await cases.read(store.db, case_id)
    if case is None:
        raise NotFound("case", case_id)
    return case


async def get_case_by_inquiry(inquiry_id: str, *, store: MongoStore) -> VisitationCase:
    """The case opened for an inquiry."""
    found = await cases.find(store.db, {"inquiry_id": inquiry_id}, limit=1)
    if not found:
        raise NotFound("case for inquiry", inquiry_id)
    return found[0]


async def create_indexes(store: MongoStore) -> None:
    """One case per inquiry, and fast lookup by inquiry."""
    await store.db[cases.collection].create_index("inquiry_id", unique=True)
