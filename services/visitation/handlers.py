"""Visitation's use cases: load, let the domain decide, store state and events together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.kernel.context import Principal
from services.kernel.envelope import EventPayload, new_id, utcnow
from services.kernel.errors import ConcurrencyConflict, NotFound
from services.kernel.store import MongoStore, Repository, Transaction
from services.visitation.catalog import Catalog
from services.visitation.commands import (
    AnswerOffer,
    CloseCase,
    CloseWithAdvice,
    DeclareOutsideScope,
    Estimate,
    MoveDeadline,
    OfferToSupplier,
    ProceedWithService,
    RecordCentralClarifyingMeeting,
    RecordClarifyingMeeting,
    RecordFirstContact,
    RecordInformation,
    RecordInquirerContact,
    RecordSummaryNote,
    RecordSupplierContact,
    ReferElsewhere,
)
from services.visitation.domain import case as transitions
from services.visitation.domain import central, meeting, offers, visibility
from services.visitation.domain.model import Offer, VisitationCase
from services.visitation.domain.suppliers import (
    Ranking,
    SupplierProfile,
    rank_suppliers,
)
from services.visitation.settings import VisitationSettings
from services.workdays import WorkingDayCalendar

cases = Repository(VisitationCase, "cases")
suppliers = Repository(SupplierProfile, "suppliers")
MAX_SUPPLIERS = 1000
Decide = Callable[[VisitationCase], tuple[VisitationCase, list[EventPayload]]]


@dataclass(frozen=True)
class Visitation:
    """What the use cases work with: the store, the calendar and the reference data."""

    store: MongoStore
    settings: VisitationSettings
    calendar: WorkingDayCalendar
    catalog: Catalog


async def _apply(
    tx: Transaction, case: VisitationCase | None, key: str, expected: int, decide: Decide
) -> VisitationCase:
    """Decide on a loaded case and save it with its events, if it is at the expected version."""
    if case is None:
        raise NotFound("case", key)
    if expected and case.version != expected:
        raise ConcurrencyConflict("case", case.id, expected)
    changed, events = decide(case)
    stored = await save_case(tx, case, changed)
    for event in events:
        tx.emit(event)
    return stored


async def save_case(
    tx: Transaction, case: VisitationCase, changed: VisitationCase
) -> VisitationCase:
    """Save a changed case at the version it was read, and the new status of each offer whose
    status changed on the offer's reference (ListOffers filters and pages the references)."""
    stored = await cases.save(tx, changed, expected_version=case.version)
    before = {o.offer_id: o.status for o in case.offers}
    for offer in changed.offers:
        if offer.offer_id in before and before[offer.offer_id] != offer.status:
            tx.update(OFFER_REFS, {"_id": offer.offer_id}, {"$set": {"status": offer.status}})
    return stored


async def update_case(
    env: Visitation, case_id: str, expected_version: int, decide: Decide
) -> VisitationCase:
    """Load a case, let the domain decide, save it with its events; one transaction."""

    async def work(tx: Transaction) -> VisitationCase:
        case = await cases.get(tx, case_id)
        return await _apply(tx, case, case_id, expected_version, decide)

    return await env.store.transact(work)


OFFER_REFS = "offer_refs"
"""Which case holds an offer, for which supplier, in which status and offered on which day:
offers are found, filtered and paged without unwinding cases."""
OFFER_ORDER = (("offered_on", DESCENDING), ("_id", ASCENDING))
"""ListOffers' order: newest offer day first, then by offer id."""
CASE_ORDER = (("opened_at", DESCENDING), ("_id", ASCENDING))
"""SearchCases' order: newest opened first, then by case id."""


def offer_ref(case: VisitationCase, offer: Offer) -> dict[str, Any]:
    """The reference of an offer of a case."""
    return {
        "_id": offer.offer_id,
        "case_id": case.id,
        "supplier_id": offer.supplier_id,
        "status": offer.status,
        "offered_on": offer.offered_on.isoformat(),
    }


def offer_ref_query(offer_id: str, principal: Principal) -> dict[str, Any]:
    """Finds an offer's reference if the caller may see it; suppliers only their own."""
    if principal.is_supplier:
        return {"_id": offer_id, "supplier_id": principal.supplier_id}
    return {"_id": offer_id}


async def update_offer(
    env: Visitation, offer_id: str, principal: Principal, decide: Decide
) -> tuple[VisitationCase, Offer]:
    """Like update_case, for the case holding an offer; NOT_FOUND if the caller may not see it."""

    async def work(tx: Transaction) -> VisitationCase:
        ref = await tx.find_one(OFFER_REFS, offer_ref_query(offer_id, principal))
        if ref is None:
            raise NotFound("offer", offer_id)
        case = await cases.get(tx, ref["case_id"])
        return await _apply(tx, case, offer_id, 0, decide)

    seen = visibility.view_for(await env.store.transact(work), principal)
    offer = seen.offer(offer_id)
    assert offer is not None
    return seen, offer


async def all_suppliers(env: Visitation) -> list[SupplierProfile]:
    return await suppliers.find(env.store.db, {}, limit=MAX_SUPPLIERS)


async def ranking_of(env: Visitation, case: VisitationCase, estimate: Estimate) -> Ranking:
    service = offers.chosen_service(case, env.catalog)
    today = env.settings.today()
    return rank_suppliers(
        await all_suppliers(env),
        offers.need_of(case, service, today),
        offers.price_estimate(estimate, env.catalog),
        offered=offers.offered_statuses(case),
    )


# --- the consultant's steps -------------------------------------------------------------------


async def record_first_contact(env: Visitation, command: RecordFirstContact) -> VisitationCase:
    """The consultant's first contact with the inquirer."""
    today = env.settings.today()
    return await update_case(
        env,
        command.case_id,
        command.expected_version,
        lambda case: transitions.record_first_contact(case, command, today=today),
    )


async def record_supplier_contact(
    env: Visitation, command: RecordSupplierContact, principal: Principal
) -> VisitationCase:
    """The consultant contacted a supplier (extended phone advice, H 4.4.1)."""
    today, by = env.settings.today(), principal.user_id
    return await update_case(
        env,
        command.case_id,
        command.expected_version,
        lambda case: transitions.record_supplier_contact(case, command, by=by, today=today),
    )


async def record_information(
    env: Visitation, command: RecordInformation, principal: Principal
) -> VisitationCase:
    """One area of the information wheel."""
    now = utcnow()
    return await update_case(
        env,
        command.case_id,
        command.expected_version,
        lambda case: (
            transitions.record_information(case, command, by=principal.user_id, now=now),
            [],
        ),
    )


async def close_with_advice(
    env: Visitation, command: CloseWithAdvice, principal: Principal
) -> VisitationCase:
    """Closed with the advice of the dialogue."""
    today, by = env.settings.today(), principal.user_id
    return await update_case(
        env,
        command.case_id,
        command.expected_version,
        lambda case: transitions.close_with_advice(case, command, by=by, today=today),
    )


async def refer_elsewhere(
    env: Visitation, command: ReferElsewhere, principal: Principal
) -> VisitationCase:
    """Referred to another body."""
    today, by = env.settings.today(), principal.user_id
    return await update_case(
        env,
        command.case_id,
        command.expected_version,
        lambda case: transitions.refer_elsewhere(
            case, command, by=by, today=today, catalog=env.catalog
        ),
    )


async def declare_outside_scope(
    env: Visitation, command: DeclareOutsideScope, principal: Principal
) -> VisitationCase:
    """Outside VISO's scope."""
    today, by = env.settings.today(), principal.user_id
    return await update_case(
        env,
        command.case_id,
        command.expected_version,
        lambda case: transitions.declare_outside_scope(
            case, command, by=by, today=today, catalog=env.catalog
        ),
    )


async def proceed_with_service(
    env: Visitation, command: ProceedWithService, principal: Principal
) -> VisitationCase:
    """Advice with the chosen service."""
    today, by = env.settings.today(), principal.user_id
    return await update_case(
        env,
        command.case_id,
        command.expected_version,
        lambda case: transitions.proceed_with_service(
            case, command, by=by, today=today, catalog=env.catalog
        ),
    )


async def close_case(env: Visitation, command: CloseCase) -> VisitationCase:
    """Consent withdrawn or interrupted."""
    today = env.settings.today()
    return await update_case(
        env,
        command.case_id,
        command.expected_version,
        lambda case: transitions.close_case(case, command, today=today),
    )


async def record_central_clarifying_meeting(
    env: Visitation, command: RecordCentralClarifyingMeeting, principal: Principal
) -> VisitationCase:
    """The central unit runs the course itself; it goes to leverance."""
    today, now, by = env.settings.today(), utcnow(), principal.user_id
    return await update_case(
        env,
        command.case_id,
        command.expected_version,
        lambda case: central.record_central_clarifying_meeting(
            case, command, today=today, now=now, by=by, catalog=env.catalog
        ),
    )


async def move_deadline(
    env: Visitation, command: MoveDeadline, principal: Principal
) -> VisitationCase:
    """An agreed new due date for a pending deadline."""
    today, by = env.settings.today(), principal.user_id
    return await update_case(
        env,
        command.case_id,
        command.expected_version,
        lambda case: transitions.move_deadline(
            case, command, by=by, today=today, calendar=env.calendar
        ),
    )


async def offer_to_supplier(
    env: Visitation, command: OfferToSupplier, principal: Principal
) -> tuple[VisitationCase, Offer]:
    """Send the case to a chosen, eligible supplier."""
    today, offer_id = env.settings.today(), new_id()
    known = await all_suppliers(env)

    def decide(case: VisitationCase) -> tuple[VisitationCase, list[EventPayload]]:
        service = offers.chosen_service(case, env.catalog)
        ranking = rank_suppliers(
            known,
            offers.need_of(case, service, today),
            offers.price_estimate(command.estimate, env.catalog),
            offered=offers.offered_statuses(case),
        )
        return offers.offer_to_supplier(
            case,
            command,
            ranking=ranking,
            offer_id=offer_id,
            by=principal.user_id,
            today=today,
            calendar=env.calendar,
            catalog=env.catalog,
        )

    async def work(tx: Transaction) -> VisitationCase:
        case = await cases.get(tx, command.case_id)
        stored = await _apply(tx, case, command.case_id, command.expected_version, decide)
        offer = stored.offer(offer_id)
        assert offer is not None
        tx.insert(OFFER_REFS, offer_ref(stored, offer))
        return stored

    stored = await env.store.transact(work)
    offer = stored.offer(offer_id)
    assert offer is not None
    return stored, offer


# --- the supplier's steps ---------------------------------------------------------------------


async def answer_offer(
    env: Visitation, command: AnswerOffer, principal: Principal
) -> tuple[VisitationCase, Offer]:
    """The supplier's yes or no."""
    today = env.settings.today()
    known = await all_suppliers(env)

    def decide(case: VisitationCase) -> tuple[VisitationCase, list[EventPayload]]:
        service = offers.chosen_service(case, env.catalog)
        statuses = offers.offered_statuses(case)
        ranking = rank_suppliers(
            known,
            offers.need_of(case, service, today),
            offers.price_estimate(Estimate(), env.catalog),
            offered=statuses,
        )
        return offers.answer_offer(
            case,
            command,
            principal=principal,
            ranking=ranking,
            today=today,
            calendar=env.calendar,
            catalog=env.catalog,
            specialists={p.id: p.specialist_ids for p in known},
        )

    return await update_offer(env, command.offer_id, principal, decide)


async def record_inquirer_contact(
    env: Visitation, command: RecordInquirerContact, principal: Principal
) -> tuple[VisitationCase, Offer]:
    """The specialist booked the clarifying meeting with the inquirer."""
    today = env.settings.today()
    return await update_offer(
        env,
        command.offer_id,
        principal,
        lambda case: meeting.record_inquirer_contact(case, command, today=today),
    )


async def record_clarifying_meeting(
    env: Visitation, command: RecordClarifyingMeeting, principal: Principal
) -> tuple[VisitationCase, Offer]:
    """The clarifying meeting was held; the case goes to leverance (or closes)."""
    today, now = env.settings.today(), utcnow()
    return await update_offer(
        env,
        command.offer_id,
        principal,
        lambda case: meeting.record_clarifying_meeting(
            case,
            command,
            today=today,
            now=now,
            by=principal.user_id,
            calendar=env.calendar,
            catalog=env.catalog,
        ),
    )


async def record_summary_note(
    env: Visitation, command: RecordSummaryNote, principal: Principal
) -> tuple[VisitationCase, Offer]:
    """The summary note of the clarifying meeting was sent."""
    today, now = env.settings.today(), utcnow()
    return await update_offer(
        env,
        command.offer_id,
        principal,
        lambda case: meeting.record_summary_note(case, command, today=today, now=now, by=principal),
    )


CASE_FILTERS: tuple[tuple[str, ...], ...] = (
    (),
    ("status",),
    ("consultant_id",),
    ("consultant_id", "status"),
    ("main_area",),
    ("service_id",),
    ("offers.supplier_id",),
    ("offers.supplier_id", "status"),
)
"""The equality filters of SearchCases an index serves with its order (a supplier's staff
always filter on their supplier); other combinations use one of them and filter the rest."""
OFFER_FILTERS: tuple[tuple[str, ...], ...] = (
    (),
    ("status",),
    ("case_id",),
    ("case_id", "status"),
    ("supplier_id",),
    ("supplier_id", "status"),
    ("supplier_id", "case_id"),
    ("supplier_id", "case_id", "status"),
)
"""Every combination of ListOffers' equality filters, each with an index serving its order."""


async def create_indexes(store: MongoStore) -> None:
    """One case per inquiry; SearchCases' and ListOffers' filters each served by an index that
    also serves their order (keyset paging); offer references made before they carried their
    status and day completed from their cases."""
    db = store.db
    await db[cases.collection].create_index("inquiry_id", unique=True)
    for fields in CASE_FILTERS:
        await db[cases.collection].create_index([(f, ASCENDING) for f in fields] + [*CASE_ORDER])
    for fields in OFFER_FILTERS:
        await db[OFFER_REFS].create_index([(f, ASCENDING) for f in fields] + [*OFFER_ORDER])
    await _complete_offer_refs(store)


async def _complete_offer_refs(store: MongoStore) -> None:
    """Give each offer reference stored without a status (before ListOffers paged them) its
    offer's status and day; nothing to do once done."""
    refs = store.db[OFFER_REFS]
    async for ref in refs.find({"status": {"$exists": False}}):
        case = await cases.find(store.db, {"_id": ref["case_id"]}, limit=1)
        offer = case[0].offer(ref["_id"]) if case else None
        if offer is not None:
            await refs.replace_one({"_id": ref["_id"]}, offer_ref(case[0], offer))
