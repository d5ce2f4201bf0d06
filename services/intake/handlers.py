"""Intake's use cases: load, decide, store state and events in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from pymongo import ASCENDING, DESCENDING

from services.contracts.intake import DistributionListProduced
from services.intake import audit, domain
from services.intake.audit import AUDIT, AUDIT_ORDER, Access
from services.intake.commands import (
    AddSupplementaryMaterial,
    AssignInquiry,
    CloseContactInquiry,
    CreateInternalCase,
    DecideOngoingCourse,
    ProduceDistributionList,
    RegisterContactInquiry,
    RegisterInquiry,
    UpdateInquiryDescription,
    WithdrawConsent,
)
from services.intake.domain import Inquiry, OngoingCourse
from services.intake.privacy import CprVault, IntakeSettings
from services.intake.reference import Reference
from services.kernel.context import Principal
from services.kernel.envelope import new_id, utcnow
from services.kernel.errors import ConcurrencyConflict, IllegalTransition, InvalidInput, NotFound
from services.kernel.retry import wait_out
from services.kernel.store import MongoStore, Repository, Transaction
from services.workdays import WorkingDayCalendar

T = TypeVar("T")

CITIZENS = "citizens"
"""One marker document per citizen (by keyed hash), written with every inquiry about them."""
LISTS = "distribution_lists"
DECISION_PATIENCE_S = 10.0


class Inquiries(Repository[Inquiry]):
    """Inquiries, serialised per citizen.

    Whether a new inquiry is held for an ongoing course depends on other inquiries about the
    same citizen; two transactions that each read the other's inquiry as it was could both
    commit (a registration missing the assignment that starts a course). So every write of an
    inquiry about a citizen also writes that citizen's marker document: of two such
    transactions one fails with a write conflict and runs again, seeing the other.
    """

    async def add(self, tx: Transaction, aggregate: Inquiry) -> Inquiry:
        _mark_citizen(tx, aggregate)
        return await super().add(tx, aggregate)

    async def save(self, tx: Transaction, aggregate: Inquiry, *, expected_version: int) -> Inquiry:
        _mark_citizen(tx, aggregate)
        return await super().save(tx, aggregate, expected_version=expected_version)


def _mark_citizen(tx: Transaction, inquiry: Inquiry) -> None:
    if inquiry.citizen_ref:
        tx.update(
            CITIZENS,
            {"_id": inquiry.citizen_ref},
            {"$inc": {"decisions": 1}, "$set": {"last_inquiry_id": inquiry.id}},
            upsert=True,
        )


inquiries = Inquiries(Inquiry, "inquiries")


async def transact_per_citizen(store: MongoStore, work: Callable[[Transaction], Awaitable[T]]) -> T:
    """Run a use case that decides about a citizen, again while it meets another one deciding
    about the same citizen (bounded by DECISION_PATIENCE_S, then ABORTED)."""
    return await wait_out(
        "a decision about a citizen",
        lambda: store.transact(work),
        retry_on=lambda error: isinstance(error, ConcurrencyConflict),
        initial_s=0.01,
        max_s=0.2,
        limit_s=DECISION_PATIENCE_S,
    )


@dataclass(frozen=True)
class Intake:
    """What intake's use cases run with: the store, the code lists, the CPR vault, the calendar."""

    store: MongoStore
    ref: Reference
    vault: CprVault
    settings: IntakeSettings
    calendar: WorkingDayCalendar = field(default_factory=WorkingDayCalendar)

    def next_list(self, after: date) -> date:
        """The distribution day an inquiry registered on `after` waits for."""
        return domain.next_distribution_day(after, self.calendar, self.settings.weekdays)

    def require_distribution_day(self, day: date, field_name: str) -> None:
        """Raise InvalidInput unless `day` is a distribution day."""
        if not domain.is_distribution_day(day, self.calendar, self.settings.weekdays):
            raise InvalidInput.single(field_name, f"{day.isoformat()} is not a distribution day")


async def load(tx: Transaction, inquiry_id: str) -> Inquiry:
    inquiry = await inquiries.get(tx, inquiry_id)
    if inquiry is None:
        raise NotFound("inquiry", inquiry_id)
    return inquiry


async def register_inquiry(command: RegisterInquiry, *, app: Intake, access: Access) -> Inquiry:
    """Screen, protect the CPRs, split a family, hold for an ongoing course, store, announce."""
    principal = access.principal
    now = utcnow()
    today = domain.danish_date(now)
    domain.screen(command, ref=app.ref, today=today)
    protected = [app.vault.protect(c.cpr) for c in command.citizens]
    ids = [new_id() for _ in range(max(1, len(command.citizens)))]
    family_group_id = new_id() if len(command.citizens) > 1 else None
    hashes = [p.hash for p in protected]

    async def work(tx: Transaction) -> Inquiry:
        ongoing: dict[str, OngoingCourse] = {}
        for citizen_hash in hashes:  # equality per citizen uses the index; "$in" may scan
            found = await tx.find(
                inquiries.collection,
                {"citizen.cpr_hash": citizen_hash, "status": "assigned"},
                {"citizen.cpr_hash": 1, "consultant_id": 1},
            )
            for doc in found:
                ongoing[doc["citizen"]["cpr_hash"]] = OngoingCourse(
                    inquiry_id=doc["_id"], consultant_id=doc["consultant_id"]
                )
        created, events = domain.register(
            command,
            ids=ids,
            family_group_id=family_group_id,
            protected=protected,
            ongoing=ongoing,
            ref=app.ref,
            now=now,
            by=principal.user_id,
            distribution_date=app.next_list(today),
        )
        stored = [await inquiries.add(tx, inquiry) for inquiry in created]
        for event in events:
            tx.emit(event)
        await _shown(tx, access, stored[0], now=now)
        return stored[0]

    return await transact_per_citizen(app.store, work)


async def update_description(
    command: UpdateInquiryDescription, *, app: Intake, access: Access
) -> Inquiry:
    """Replace an inquiry's description unless someone changed it since the caller read it."""

    async def work(tx: Transaction) -> Inquiry:
        inquiry = await load(tx, command.inquiry_id)
        changed, event = domain.change_description(inquiry, command.description)
        stored = await inquiries.save(tx, changed, expected_version=command.expected_version)
        tx.emit(event)
        await _shown(tx, access, stored)
        return stored

    return await app.store.transact(work)


async def assign_inquiry(command: AssignInquiry, *, app: Intake, access: Access) -> Inquiry:
    """Record the consultant a distribution list gave the inquiry; announce it and its letters."""
    app.require_distribution_day(command.distributed_on, "distributed_on")

    async def work(tx: Transaction) -> Inquiry:
        inquiry = await load(tx, command.inquiry_id)
        now = utcnow()
        assigned, events = domain.assign(inquiry, command, now=now, by=access.principal.user_id)
        stored = await inquiries.save(tx, assigned, expected_version=inquiry.version)
        for event in events:
            tx.emit(event)
        await _shown(tx, access, stored, now=now)
        return stored

    return await transact_per_citizen(app.store, work)


async def produce_distribution_list(
    command: ProduceDistributionList, *, app: Intake, access: Access
) -> tuple[str, list[Inquiry]]:
    """Every registered inquiry waiting for a list on or before the date, recorded as a list.

    An inquiry waiting since an earlier list is on this one from now on (assigned with this
    list's date). The list shows the citizens' data, so the read is audited with the list.
    """
    app.require_distribution_day(command.list_date, "list_date")
    list_id = new_id()

    async def work(tx: Transaction) -> list[Inquiry]:
        query = {
            "status": "registered",
            "distribution_date": {"$lte": command.list_date.isoformat()},
        }
        docs = await tx.find(
            inquiries.collection, query, sort=[("registered_at", ASCENDING), ("_id", ASCENDING)]
        )
        waiting = []
        for found in (inquiries.from_doc(doc) for doc in docs):
            listed = domain.put_on_list(found, command.list_date)
            if listed is not found:
                listed = await inquiries.save(tx, listed, expected_version=found.version)
            waiting.append(listed)
        ids = [i.id for i in waiting]
        tx.insert(
            LISTS,
            {
                "_id": list_id,
                "list_date": command.list_date.isoformat(),
                "inquiry_ids": ids,
                "produced_at": utcnow(),
            },
        )
        tx.emit(
            DistributionListProduced(list_id=list_id, list_date=command.list_date, inquiry_ids=ids)
        )
        await _shown(tx, access, *waiting, action="distribution_list")
        return waiting

    return list_id, await transact_per_citizen(app.store, work)


async def register_contact(
    command: RegisterContactInquiry, *, app: Intake, principal: Principal
) -> Inquiry:
    """A phone or e-mail inquiry, closed at once when its outcome is given."""
    inquiry, events = domain.register_contact(
        command,
        inquiry_id=new_id(),
        ref=app.ref,
        now=utcnow(),
        by=principal.user_id,
        calendar=app.calendar,
    )

    async def work(tx: Transaction) -> Inquiry:
        stored = await inquiries.add(tx, inquiry)
        for event in events:
            tx.emit(event)
        return stored

    return await app.store.transact(work)


async def close_contact(command: CloseContactInquiry, *, app: Intake) -> Inquiry:
    """Close a phone or e-mail inquiry with its outcome."""

    async def work(tx: Transaction) -> Inquiry:
        inquiry = await load(tx, command.inquiry_id)
        closed, events = domain.close_contact(inquiry, command, now=utcnow(), calendar=app.calendar)
        stored = await inquiries.save(tx, closed, expected_version=inquiry.version)
        for event in events:
            tx.emit(event)
        return stored

    return await app.store.transact(work)


async def create_internal(command: CreateInternalCase, *, app: Intake, access: Access) -> Inquiry:
    """A case by internal procedure, assigned to the consultant, with its events."""

    async def work(tx: Transaction) -> Inquiry:
        origin = await load(tx, command.origin_inquiry_id) if command.origin_inquiry_id else None
        created, changed_origin, events = domain.create_internal(
            command,
            inquiry_id=new_id(),
            origin=origin,
            ref=app.ref,
            now=utcnow(),
            by=access.principal.user_id,
        )
        stored = await inquiries.add(tx, created)
        if changed_origin is not None and origin is not None:
            await inquiries.save(tx, changed_origin, expected_version=origin.version)
        for event in events:
            tx.emit(event)
        await _shown(tx, access, stored)
        return stored

    return await app.store.transact(work)


async def add_supplement(
    command: AddSupplementaryMaterial, *, app: Intake, access: Access
) -> Inquiry:
    """Journal material on an ongoing course and tell its consultant."""

    async def work(tx: Transaction) -> Inquiry:
        inquiry = await load(tx, command.inquiry_id)
        changed, event = domain.add_supplement(inquiry, command, now=utcnow())
        stored = await inquiries.save(tx, changed, expected_version=inquiry.version)
        tx.emit(event)
        await _shown(tx, access, stored)
        return stored

    return await app.store.transact(work)


async def decide_ongoing_course(
    command: DecideOngoingCourse, *, app: Intake, access: Access
) -> Inquiry:
    """The ongoing course's consultant journals a held inquiry on it or releases it."""
    now = utcnow()
    principal = access.principal

    async def work(tx: Transaction) -> Inquiry:
        held = await load(tx, command.inquiry_id)
        if held.held_for is None:
            raise IllegalTransition(f"inquiry {held.id} is {held.status}, not awaiting a decision")
        ongoing = await load(tx, held.held_for.ongoing_inquiry_id)
        decided, course, events = domain.decide_ongoing_course(
            held,
            ongoing,
            command,
            by=principal.user_id,
            role=principal.role,
            now=now,
            distribution_date=app.next_list(domain.danish_date(now)),
        )
        stored = await inquiries.save(tx, decided, expected_version=held.version)
        if course is not ongoing:
            await inquiries.save(tx, course, expected_version=ongoing.version)
        for event in events:
            tx.emit(event)
        await _shown(tx, access, stored, now=now)
        return stored

    return await app.store.transact(work)


async def withdraw_consent(command: WithdrawConsent, *, app: Intake, access: Access) -> Inquiry:
    """Stop the inquiry's course; keep what was registered and journaled."""

    async def work(tx: Transaction) -> Inquiry:
        inquiry = await load(tx, command.inquiry_id)
        stopped, event = domain.withdraw_consent(inquiry, command, now=utcnow())
        stored = await inquiries.save(tx, stopped, expected_version=inquiry.version)
        tx.emit(event)
        await _shown(tx, access, stored)
        return stored

    return await app.store.transact(work)


async def _shown(
    tx: Transaction,
    access: Access,
    *shown: Inquiry,
    action: audit.Action = "write",
    now: datetime | None = None,
) -> None:
    """Audit the citizens a call's reply shows, in the call's transaction."""
    audit.write(tx, audit.inquiry_records(access, shown, action=action, now=now or utcnow()))


async def create_indexes(store: MongoStore) -> None:
    """Matching by citizen hash, the distribution queue, listings, the audit trail."""
    coll = store.db[inquiries.collection]
    await coll.create_index([("citizen.cpr_hash", ASCENDING), ("status", ASCENDING)])
    await coll.create_index([("status", ASCENDING), ("distribution_date", ASCENDING)])
    await coll.create_index([("registered_at", DESCENDING), ("_id", ASCENDING)])
    # SearchInquiries by main area, in the listing's order (keyset paging).
    await coll.create_index(
        [("main_area", ASCENDING), ("registered_at", DESCENDING), ("_id", ASCENDING)]
    )
    await coll.create_index([("family_group_id", ASCENDING)])
    await coll.create_index([("form_deadline.state", ASCENDING), ("form_deadline.due", ASCENDING)])
    for equal in ([], ["inquiry_id"], ["user_id"], ["inquiry_id", "user_id"]):
        await store.db[AUDIT].create_index(
            [(name, ASCENDING) for name in equal] + list(AUDIT_ORDER)
        )
