"""Intake's use cases: load, decide, store state and events in one transaction."""

from __future__ import annotations

from services.intake import domain
from services.intake.domain import Inquiry
from services.intake.messages import AssignInquiry, RegisterInquiry, UpdateInquiryDescription
from services.kernel.context import Principal
from services.kernel.envelope import new_id, utcnow
from services.kernel.errors import NotFound
from services.kernel.store import MongoStore, Repository, Transaction

inquiries = Repository(Inquiry, "inquiries")


async def register_inquiry(
    command: RegisterInquiry, *, store: MongoStore, principal: Principal
) -> Inquiry:
    """Register an inquiry and announce it."""

    async def work(tx: Transaction) -> Inquiry:
        inquiry, event = domain.register(
            command, inquiry_id=new_id(), now=utcnow(), by=principal.user_id
        )
        stored = await inquiries.add(tx, inquiry)
        tx.emit(event)
        return stored

    return await store.transact(work)


async def update_description(command: UpdateInquiryDescription, *, store: MongoStore) -> Inquiry:
    """Replace an inquiry's description unless someone changed it since the caller read it."""

    async def work(tx: Transaction) -> Inquiry:
        inquiry = await inquiries.get(tx, command.inquiry_id)
        if inquiry is None:
            raise NotFound("inquiry", command.inquiry_id)
        changed, event = domain.change_description(inquiry, command.description)
        stored = await inquiries.save(tx, changed, expected_version=command.expected_version)
        tx.emit(event)
        return stored

    return await store.transact(work)


async def assign_inquiry(
    command: AssignInquiry, *, store: MongoStore, principal: Principal
) -> Inquiry:
    """Record the consultant a distribution list gave the inquiry, and announce it."""

    async def work(tx: Transaction) -> Inquiry:
        inquiry = await inquiries.get(tx, command.inquiry_id)
        if inquiry is None:
            raise NotFound("inquiry", command.inquiry_id)
        assigned, event = domain.assign(inquiry, command, now=utcnow(), by=principal.user_id)
        stored = await inquiries.save(tx, assigned, expected_version=inquiry.version)
        tx.emit(event)
        return stored

    return await store.transact(work)


async def get_inquiry(inquiry_id: str, *, store: MongoStore) -> Inquiry:
    """One inquiry."""
    inquiry = await inquiries.read(store.db, inquiry_id)
    if inquiry is None:
        raise NotFound("inquiry", inquiry_id)
    return inquiry
