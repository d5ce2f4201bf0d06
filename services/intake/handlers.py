"""Intake's use cases: load, decide, store state and events in one transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.intake import domain
from services.intake.cpr import Cpr, CprError
from services.intake.domain import Inquiry, OngoingCourse
from services.intake.messages import (
    AddSupplementaryMaterial,
    AssignInquiry,
    CloseContactInquiry,
    CreateInternalCase,
    DecideOngoingCourse,
    DistributionListProduced,
    ProduceDistributionList,
    RegisterContactInquiry,
    RegisterInquiry,
    UpdateInquiryDescription,
    WithdrawConsent,
)
from services.intake.privacy import CprVault, IntakeSettings
from services.intake.reference import Reference
from services.kernel.context import Principal
from services.kernel.envelope import new_id, utcnow
from services.kernel.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from services.kernel.store import MongoStore, Repository, Transaction
from services.workdays import WorkingDayCalendar

inquiries = Repository(Inquiry, "inquiries")
AUDIT = "audit_trail"
LISTS = "distribution_lists"


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


async def _load(tx: Transaction, inquiry_id: str) -> Inquiry:
    inquiry = await inquiries.get(tx, inquiry_id)
    if inquiry is None:
        raise NotFound("inquiry", inquiry_id)
    return inquiry


async def register_inquiry(
    command: RegisterInquiry, *, app: Intake, principal: Principal
) -> Inquiry:
    """Screen, protect the CPRs, split a family, hold for an ongoing course, store, announce."""
    now = utcnow()
    domain.screen(command, ref=app.ref, today=now.date())
    protected = [app.vault.protect(c.cpr) for c in command.citizens]
    ids = [new_id() for _ in range(max(1, len(command.citizens)))]
    family_group_id = new_id() if len(command.citizens) > 1 else None
    hashes = [p.hash for p in protected]

    async def work(tx: Transaction) -> Inquiry:
        ongoing: dict[str, OngoingCourse] = {}
        if hashes:
            cursor = tx.collection(inquiries.collection).find(
                {"citizen.cpr_hash": {"$in": hashes}, "status": "assigned"},
                {"citizen.cpr_hash": 1, "consultant_id": 1},
                session=tx.session,
            )
            async for doc in cursor:
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
            distribution_date=app.next_list(now.date()),
        )
        stored = [await inquiries.add(tx, inquiry) for inquiry in created]
        for event in events:
            tx.emit(event)
        return stored[0]

    return await app.store.transact(work)


async def update_description(command: UpdateInquiryDescription, *, app: Intake) -> Inquiry:
    """Replace an inquiry's description unless someone changed it since the caller read it."""

    async def work(tx: Transaction) -> Inquiry:
        inquiry = await _load(tx, command.inquiry_id)
        changed, event = domain.change_description(inquiry, command.description)
        stored = await inquiries.save(tx, changed, expected_version=command.expected_version)
        tx.emit(event)
        return stored

    return await app.store.transact(work)


async def assign_inquiry(command: AssignInquiry, *, app: Intake, principal: Principal) -> Inquiry:
    """Record the consultant a distribution list gave the inquiry; announce it and its letters."""
    app.require_distribution_day(command.distributed_on, "distributed_on")

    async def work(tx: Transaction) -> Inquiry:
        inquiry = await _load(tx, command.inquiry_id)
        assigned, events = domain.assign(inquiry, command, now=utcnow(), by=principal.user_id)
        stored = await inquiries.save(tx, assigned, expected_version=inquiry.version)
        for event in events:
            tx.emit(event)
        return stored

    return await app.store.transact(work)


async def produce_distribution_list(
    command: ProduceDistributionList, *, app: Intake, principal: Principal
) -> tuple[str, list[Inquiry]]:
    """Every registered inquiry waiting for a list on or before the date, recorded as a list.

    The list shows the citizens' data, so the read is audited.
    """
    app.require_distribution_day(command.list_date, "list_date")
    list_id = new_id()

    async def work(tx: Transaction) -> list[Inquiry]:
        query = {
            "status": "registered",
            "distribution_date": {"$lte": command.list_date.isoformat()},
        }
        cursor = (
            tx.collection(inquiries.collection)
            .find(query, session=tx.session)
            .sort([("registered_at", ASCENDING), ("_id", ASCENDING)])
        )
        waiting = [inquiries.from_doc(doc) async for doc in cursor]
        ids = [i.id for i in waiting]
        await tx.collection(LISTS).insert_one(
            {
                "_id": list_id,
                "list_date": command.list_date.isoformat(),
                "inquiry_ids": ids,
                "produced_at": utcnow(),
            },
            session=tx.session,
        )
        tx.emit(
            DistributionListProduced(list_id=list_id, list_date=command.list_date, inquiry_ids=ids)
        )
        return waiting

    waiting = await app.store.transact(work)
    await _audit(app, principal, waiting, action="distribution_list", purpose="distribution")
    return list_id, waiting


async def register_contact(
    command: RegisterContactInquiry, *, app: Intake, principal: Principal
) -> Inquiry:
    """A phone or e-mail inquiry, closed at once when its outcome is given."""
    inquiry, events = domain.register_contact(
        command, inquiry_id=new_id(), ref=app.ref, now=utcnow(), by=principal.user_id
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
        inquiry = await _load(tx, command.inquiry_id)
        closed, event = domain.close_contact(inquiry, command, now=utcnow())
        stored = await inquiries.save(tx, closed, expected_version=inquiry.version)
        tx.emit(event)
        return stored

    return await app.store.transact(work)


async def create_internal(
    command: CreateInternalCase, *, app: Intake, principal: Principal
) -> Inquiry:
    """A case by internal procedure, assigned to the consultant, with its events."""

    async def work(tx: Transaction) -> Inquiry:
        origin = await _load(tx, command.origin_inquiry_id) if command.origin_inquiry_id else None
        created, changed_origin, events = domain.create_internal(
            command,
            inquiry_id=new_id(),
            origin=origin,
            ref=app.ref,
            now=utcnow(),
            by=principal.user_id,
        )
        stored = await inquiries.add(tx, created)
        if changed_origin is not None and origin is not None:
            await inquiries.save(tx, changed_origin, expected_version=origin.version)
        for event in events:
            tx.emit(event)
        return stored

    return await app.store.transact(work)


async def add_supplement(command: AddSupplementaryMaterial, *, app: Intake) -> Inquiry:
    """Journal material on an ongoing course and tell its consultant."""

    async def work(tx: Transaction) -> Inquiry:
        inquiry = await _load(tx, command.inquiry_id)
        changed, event = domain.add_supplement(inquiry, command, now=utcnow())
        stored = await inquiries.save(tx, changed, expected_version=inquiry.version)
        tx.emit(event)
        return stored

    return await app.store.transact(work)


async def decide_ongoing_course(
    command: DecideOngoingCourse, *, app: Intake, principal: Principal
) -> Inquiry:
    """The ongoing course's consultant journals a held inquiry on it or releases it."""
    now = utcnow()

    async def work(tx: Transaction) -> Inquiry:
        held = await _load(tx, command.inquiry_id)
        if held.held_for is None:
            raise IllegalTransition(f"inquiry {held.id} is {held.status}, not awaiting a decision")
        ongoing = await _load(tx, held.held_for.ongoing_inquiry_id)
        decided, course, events = domain.decide_ongoing_course(
            held,
            ongoing,
            command,
            by=principal.user_id,
            role=principal.role,
            now=now,
            distribution_date=app.next_list(now.date()),
        )
        stored = await inquiries.save(tx, decided, expected_version=held.version)
        if course is not ongoing:
            await inquiries.save(tx, course, expected_version=ongoing.version)
        for event in events:
            tx.emit(event)
        return stored

    return await app.store.transact(work)


async def withdraw_consent(command: WithdrawConsent, *, app: Intake) -> Inquiry:
    """Stop the inquiry's course; keep what was registered and journaled."""

    async def work(tx: Transaction) -> Inquiry:
        inquiry = await _load(tx, command.inquiry_id)
        stopped, event = domain.withdraw_consent(inquiry, command, now=utcnow())
        stored = await inquiries.save(tx, stopped, expected_version=inquiry.version)
        tx.emit(event)
        return stored

    return await app.store.transact(work)


async def _audit(
    app: Intake, principal: Principal, found: list[Inquiry], *, action: str, purpose: str
) -> None:
    now = utcnow()
    records = [
        {
            "_id": new_id(),
            "at": now,
            "user_id": principal.user_id,
            "role": principal.role,
            "inquiry_id": i.id,
            "citizen_ref": i.citizen_ref,
            "action": action,
            "purpose": purpose or "case handling",
        }
        for i in found
        if i.citizen is not None
    ]
    if records:
        await app.store.db[AUDIT].insert_many(records)


async def get_inquiry(
    inquiry_id: str, *, app: Intake, principal: Principal, reveal: bool, purpose: str
) -> tuple[Inquiry, Cpr | None]:
    """One inquiry, its read audited; the CPR decrypted only on an allowed, stated request."""
    if reveal:
        if principal.role not in app.settings.reveal_roles:
            raise Forbidden(f"role {principal.role} may not see CPR numbers")
        if not purpose.strip():
            raise InvalidInput.single("purpose", "state why the CPR number is needed")
    inquiry = await inquiries.read(app.store.db, inquiry_id)
    if inquiry is None:
        raise NotFound("inquiry", inquiry_id)
    revealed = None
    if reveal and inquiry.citizen is not None:
        revealed = app.vault.reveal(inquiry.citizen.cpr_token)
    await _audit(
        app, principal, [inquiry], action="reveal_cpr" if revealed else "read", purpose=purpose
    )
    return inquiry, revealed


@dataclass(frozen=True)
class InquiryFilter:
    """Filters of a listing or search; empty values are ignored."""

    status: str = ""
    main_area: str = ""
    requested_service: str = ""
    kind: str = ""
    consultant_id: str = ""
    family_group_id: str = ""
    registered_from: date | None = None
    registered_to: date | None = None
    cpr: str = ""
    text: str = ""
    municipality_code: str = ""
    held_for_consultant_id: str = ""
    limit: int = 50
    purpose: str = ""


def _query(flt: InquiryFilter, app: Intake) -> dict[str, Any]:
    query: dict[str, Any] = {}
    plain = {
        "status": flt.status,
        "main_area": flt.main_area,
        "requested_service": flt.requested_service,
        "kind": flt.kind,
        "consultant_id": flt.consultant_id,
        "family_group_id": flt.family_group_id,
        "inquirer.municipality_code": flt.municipality_code,
        "held_for.consultant_id": flt.held_for_consultant_id,
    }
    query.update({k: v for k, v in plain.items() if v})
    if flt.registered_from or flt.registered_to:
        span: dict[str, Any] = {}
        if flt.registered_from:
            span["$gte"] = _start_of(flt.registered_from)
        if flt.registered_to:
            span["$lt"] = _start_of(date.fromordinal(flt.registered_to.toordinal() + 1))
        query["registered_at"] = span
    if flt.cpr:
        try:
            query["citizen.cpr_hash"] = app.vault.ref(Cpr(flt.cpr))
        except CprError as error:
            raise InvalidInput.single("cpr", str(error)) from None
    if flt.text:
        pattern = {"$regex": re.escape(flt.text), "$options": "i"}
        query["$or"] = [
            {"inquirer_name": pattern},
            {"citizen_name": pattern},
            {"description": pattern},
        ]
    return query


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


async def list_inquiries(flt: InquiryFilter, *, app: Intake, principal: Principal) -> list[Inquiry]:
    """Inquiries matching the filter, newest first; the read of citizens' data audited."""
    found = await inquiries.find(
        app.store.db,
        _query(flt, app),
        sort=(("registered_at", DESCENDING), ("_id", ASCENDING)),
        limit=flt.limit,
    )
    await _audit(app, principal, found, action="list", purpose=flt.purpose)
    return found


async def audit_trail(
    *, app: Intake, inquiry_id: str, user_id: str, limit: int
) -> list[dict[str, Any]]:
    """Audit records, newest first."""
    query = {k: v for k, v in {"inquiry_id": inquiry_id, "user_id": user_id}.items() if v}
    cursor = app.store.db[AUDIT].find(query).sort([("at", DESCENDING)]).limit(limit)
    return [doc async for doc in cursor]


async def create_indexes(store: MongoStore) -> None:
    """Matching by citizen hash, the distribution queue, listings, the audit trail."""
    coll = store.db[inquiries.collection]
    await coll.create_index([("citizen.cpr_hash", ASCENDING), ("status", ASCENDING)])
    await coll.create_index([("status", ASCENDING), ("distribution_date", ASCENDING)])
    await coll.create_index([("registered_at", DESCENDING)])
    await coll.create_index([("family_group_id", ASCENDING)])
    await store.db[AUDIT].create_index([("inquiry_id", ASCENDING), ("at", DESCENDING)])
