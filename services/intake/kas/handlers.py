"""KaS use cases; a KaS user only ever sees their own supplier's registrations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.contracts.kas import KasRegistrationSaved
from services.intake import audit
from services.intake.audit import Access
from services.intake.domain.deadlines import danish_date
from services.intake.kas import model
from services.intake.kas.extracts import Extract, ExtractKind, build
from services.intake.kas.model import CloseKasCourse, KasRegistration, SaveKasRegistration
from services.intake.reference import Reference
from services.kernel.context import Principal
from services.kernel.envelope import new_id, utcnow
from services.kernel.errors import Forbidden, NotFound
from services.kernel.paging import Paging
from services.kernel.store import MongoStore, Repository, Transaction

registrations = Repository(KasRegistration, "kas_registrations")
ORDER = (("form.inquiry_date", DESCENDING), ("_id", ASCENDING))
COUNTERS = "counters"


def _saved(r: KasRegistration, ref: Reference) -> KasRegistrationSaved:
    return KasRegistrationSaved(
        registration_id=r.id,
        kas_number=r.kas_number,
        supplier_id=r.supplier_id,
        status=r.status,
        handling=r.handling,
        inquiry_date=r.form.inquiry_date,
        course_expected=r.is_course(ref) if r.handling else None,
    )


def scope(principal: Principal, supplier_filter: str = "") -> dict[str, Any]:
    """The query part that keeps a KaS user to their own supplier."""
    if principal.role == "kas_supplier":
        if not principal.supplier_id:
            raise Forbidden("a KaS user's token must name the supplier")
        if supplier_filter and supplier_filter != principal.supplier_id:
            raise Forbidden("a KaS user sees only their own supplier's registrations")
        return {"supplier_id": principal.supplier_id}
    return {"supplier_id": supplier_filter} if supplier_filter else {}


async def _own(tx: Transaction, registration_id: str, principal: Principal) -> KasRegistration:
    found = await registrations.get(tx, registration_id)
    if found is None or found.supplier_id != principal.supplier_id:
        raise NotFound("KaS registration", registration_id)
    return found


async def _next_number(tx: Transaction, year: int) -> str:
    """The year's next KaS number, in the save's transaction (rolled back with it).

    `update_one` and a read by `_id` rather than `find_one_and_update`, which SecantusDB
    answers by scanning the whole collection.
    """
    key = f"kas:{year}"
    tx.update(COUNTERS, {"_id": key}, {"$inc": {"seq": 1}}, upsert=True)
    counter = await tx.find_one(COUNTERS, {"_id": key})
    if counter is None:
        raise RuntimeError(f"the KaS number counter {key} vanished within its transaction")
    return model.kas_number(year, int(counter["seq"]))


async def save(
    command: SaveKasRegistration, *, store: MongoStore, ref: Reference, access: Access
) -> KasRegistration:
    """Save the form as a draft or complete it; the number and registering user are automatic."""
    principal = access.principal
    if not principal.supplier_id:
        raise Forbidden("a KaS user's token must name the supplier")
    now = utcnow()

    async def work(tx: Transaction) -> KasRegistration:
        existing = None
        if command.registration_id:
            existing = await _own(tx, command.registration_id, principal)
        number = "" if existing else await _next_number(tx, danish_date(now).year)
        saved = model.save(
            existing,
            command,
            new_id=new_id(),
            kas_number=number,
            supplier_id=str(principal.supplier_id),
            by=principal.user_id,
            ref=ref,
            now=now,
        )
        if existing is None:
            stored = await registrations.add(tx, saved)
        else:
            stored = await registrations.save(tx, saved, expected_version=command.expected_version)
        tx.emit(_saved(stored, ref))
        audit.write(tx, audit.kas_records(access, [stored], action="write", now=now))
        return stored

    return await store.transact(work)


async def close_course(
    command: CloseKasCourse, *, store: MongoStore, ref: Reference, access: Access
) -> KasRegistration:
    """Close an ongoing course."""

    async def work(tx: Transaction) -> KasRegistration:
        existing = await _own(tx, command.registration_id, access.principal)
        now = utcnow()
        closed = model.close_course(existing, command, ref=ref, today=danish_date(now))
        stored = await registrations.save(tx, closed, expected_version=command.expected_version)
        tx.emit(_saved(stored, ref))
        audit.write(tx, audit.kas_records(access, [stored], action="write", now=now))
        return stored

    return await store.transact(work)


async def get(registration_id: str, *, store: MongoStore, access: Access) -> KasRegistration:
    """One registration the caller may see; another supplier's is NOT_FOUND like a missing one."""
    found = await registrations.read(store.db, registration_id)
    allowed = scope(access.principal)
    if found is None or ("supplier_id" in allowed and found.supplier_id != allowed["supplier_id"]):
        raise NotFound("KaS registration", registration_id)
    records = audit.kas_records(access, [found], action="read", now=utcnow())
    await audit.write_alone(store.db, records)
    return found


@dataclass(frozen=True)
class KasQuery:
    """A view or a search."""

    view: str = "search"
    kas_number: str = ""
    status: str = ""
    handling: str = ""
    channel: str = ""
    inquirer_profile: str = ""
    municipality_code: str = ""
    legal_area: str = ""
    kas_specialist_id: str = ""
    registered_by: str = ""
    problem_area: str = ""
    classification: str = ""
    group_case: bool | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""
    supplier_id: str = ""
    limit: int = 50
    page_token: str = ""


def to_filter(q: KasQuery, principal: Principal, ref: Reference) -> dict[str, Any]:
    """The MongoDB filter of a view or search, within the caller's scope."""
    courses = sorted(ref.kas.course_handlings)
    one_offs = sorted(h.id for h in ref.kas.handlings if h.id not in ref.kas.course_handlings)
    query: dict[str, Any] = scope(principal, q.supplier_id)
    me = principal.user_id
    if q.view == "my_ongoing":
        query["$or"] = [
            {"status": "draft", "registered_by": me},
            {"status": "ongoing", "form.kas_specialist_id": me},
        ]
    elif q.view == "my_closed":
        query.update(
            {"status": "closed", "form.kas_specialist_id": me, "form.handling": {"$in": courses}}
        )
    elif q.view == "my_inquiries":
        query.update({"registered_by": me, "form.handling": {"$in": one_offs}})
    plain = {
        "kas_number": q.kas_number,
        "status": q.status,
        "form.handling": q.handling,
        "form.channel": q.channel,
        "form.inquirer_profile": q.inquirer_profile,
        "form.municipality_code": q.municipality_code,
        "form.legal_area": q.legal_area,
        "form.kas_specialist_id": q.kas_specialist_id,
        "registered_by": q.registered_by,
        "form.problem_areas": q.problem_area,
        "form.classifications": q.classification,
    }
    for key, value in plain.items():
        if value:
            query = {"$and": [query, {key: value}]} if key in query else {**query, key: value}
    if q.group_case is not None:
        query["form.group_case"] = q.group_case
    span: dict[str, str] = {}
    if q.date_from:
        span["$gte"] = q.date_from.isoformat()
    if q.date_to:
        span["$lte"] = q.date_to.isoformat()
    if span:
        query["form.inquiry_date"] = span
    if q.text:
        pattern = {"$regex": re.escape(q.text), "$options": "i"}
        text = {
            "$or": [
                {"form.inquirer_name": pattern},
                {"form.person_ref": pattern},
                {"form.own_journal_number": pattern},
            ]
        }
        query = {"$and": [query, text]}
    return query


async def find(
    q: KasQuery, *, store: MongoStore, ref: Reference, access: Access
) -> tuple[list[KasRegistration], str]:
    """A page of a view or a search, newest inquiry first (drafts without a date last), and
    the next page's token; the persons the forms name are audited."""
    query = to_filter(q, access.principal, ref)
    found, following = await Paging(ORDER, query).aggregates(
        registrations, store.db, query, size=q.limit, token=q.page_token
    )
    await audit.write_alone(store.db, audit.kas_records(access, found, action="list", now=utcnow()))
    return found, following


async def extract(
    kind: ExtractKind,
    *,
    period_from: date,
    period_to: date,
    supplier_id: str,
    store: MongoStore,
    ref: Reference,
    principal: Principal,
) -> Extract:
    """One extract over the complete registrations of a period, within the caller's scope."""
    query = {
        **scope(principal, supplier_id),
        "status": {"$ne": "draft"},
        "form.inquiry_date": {"$gte": period_from.isoformat(), "$lte": period_to.isoformat()},
    }
    cursor = store.db[registrations.collection].find(query).sort([("kas_number", ASCENDING)])
    found = [registrations.from_doc(doc) async for doc in cursor]
    return build(kind, found, ref)


async def create_indexes(store: MongoStore) -> None:
    """Lists (every supplier's, or one's) in their order, per user, extracts per period."""
    coll = store.db[registrations.collection]
    await coll.create_index(list(ORDER))
    await coll.create_index([("supplier_id", ASCENDING), *ORDER])
    await coll.create_index([("supplier_id", ASCENDING), ("registered_by", ASCENDING)])
    await coll.create_index([("supplier_id", ASCENDING), ("form.kas_specialist_id", ASCENDING)])
