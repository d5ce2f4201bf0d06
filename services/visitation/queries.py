"""Visitation's reads: cases, offers and the supplier ranking, as the caller may see them."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.kernel.context import Principal
from services.kernel.errors import NotFound
from services.visitation.commands import Estimate
from services.visitation.domain import visibility
from services.visitation.domain.model import Offer, VisitationCase
from services.visitation.domain.suppliers import Ranking
from services.visitation.handlers import (
    OFFER_REFS,
    Visitation,
    cases,
    offer_ref_query,
    ranking_of,
)


async def get_case(env: Visitation, case_id: str, principal: Principal) -> VisitationCase:
    """One case as the caller may see it; NOT_FOUND alike for missing and not visible."""
    case = await cases.read(env.store.db, case_id)
    if case is None or not visibility.visible_to(case, principal):
        raise NotFound("case", case_id)
    return visibility.view_for(case, principal)


async def get_case_by_inquiry(
    env: Visitation, inquiry_id: str, principal: Principal
) -> VisitationCase:
    """The case opened for an inquiry, as the caller may see it."""
    found = await cases.find(env.store.db, {"inquiry_id": inquiry_id}, limit=1)
    if not found or not visibility.visible_to(found[0], principal):
        raise NotFound("case for inquiry", inquiry_id)
    return visibility.view_for(found[0], principal)


async def _offered_case_ids(env: Visitation, supplier_id: str | None) -> list[str]:
    """The cases offered to a supplier."""
    refs = env.store.db[OFFER_REFS].find({"supplier_id": supplier_id}, {"case_id": 1})
    return list(dict.fromkeys([ref["case_id"] async for ref in refs]))


async def search_cases(
    env: Visitation, filters: dict[str, str], principal: Principal, *, limit: int
) -> list[VisitationCase]:
    """Cases matching the filters, newest first; suppliers only see cases offered to them."""
    query: dict[str, Any] = {k: v for k, v in filters.items() if v and k != "supplier_id"}
    supplier = principal.supplier_id if principal.is_supplier else filters.get("supplier_id")
    if principal.is_supplier or supplier:
        query["_id"] = {"$in": await _offered_case_ids(env, supplier)}
    found = await cases.find(
        env.store.db, query, sort=(("opened_at", DESCENDING), ("_id", ASCENDING)), limit=limit
    )
    return [visibility.view_for(c, principal) for c in found]


async def get_offer(
    env: Visitation, offer_id: str, principal: Principal
) -> tuple[VisitationCase, Offer]:
    """One offer and its case; NOT_FOUND alike for missing and another supplier's offer."""
    ref = await env.store.db[OFFER_REFS].find_one(offer_ref_query(offer_id, principal))
    case = await cases.read(env.store.db, ref["case_id"]) if ref else None
    seen = visibility.view_for(case, principal) if case else None
    offer = seen.offer(offer_id) if seen else None
    if seen is None or offer is None:
        raise NotFound("offer", offer_id)
    return seen, offer


async def list_offers(
    env: Visitation, principal: Principal, *, case_id: str, status: str, limit: int
) -> list[tuple[VisitationCase, Offer]]:
    """Offers the caller may see, newest case first, optionally of one case or in one status."""
    ids = await _offered_case_ids(env, principal.supplier_id) if principal.is_supplier else None
    if case_id:
        ids = [case_id] if ids is None or case_id in ids else []
    query: dict[str, Any] = {} if ids is None else {"_id": {"$in": ids}}
    if status:
        query["offers.status"] = status
    found = await cases.find(
        env.store.db, query, sort=(("opened_at", DESCENDING), ("_id", ASCENDING)), limit=limit
    )
    seen = [visibility.view_for(case, principal) for case in found]
    listed = [
        (case, offer)
        for case in seen
        for offer in case.offers
        if (not principal.is_supplier or offer.supplier_id == principal.supplier_id)
        and (not status or offer.status == status)
    ]
    return listed[:limit]


async def rank(env: Visitation, case_id: str, estimate: Estimate) -> tuple[VisitationCase, Ranking]:
    """The eligible suppliers for a case, best first, with the reasons."""
    case = await cases.read(env.store.db, case_id)
    if case is None:
        raise NotFound("case", case_id)
    return case, await ranking_of(env, case, estimate)
