"""Visitation's reads: cases, offers and the supplier ranking, as the caller may see them."""

from __future__ import annotations

from typing import Any

from services.kernel.context import Principal
from services.kernel.errors import NotFound
from services.kernel.paging import Paging
from services.visitation.commands import Estimate
from services.visitation.domain import visibility
from services.visitation.domain.model import Offer, VisitationCase
from services.visitation.domain.suppliers import Ranking
from services.visitation.handlers import (
    CASE_ORDER,
    OFFER_ORDER,
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


async def search_cases(
    env: Visitation, filters: dict[str, str], principal: Principal, *, size: int, token: str
) -> tuple[list[VisitationCase], str]:
    """A page of the cases matching the filters, newest opened first, and the next page's
    token; supplier staff only see cases offered to their supplier."""
    query: dict[str, Any] = {k: v for k, v in filters.items() if v and k != "supplier_id"}
    supplier = principal.supplier_id if principal.is_supplier else filters.get("supplier_id")
    if principal.is_supplier and not supplier:
        return [], ""
    if supplier:
        query["offers.supplier_id"] = supplier
    docs, following = await Paging(CASE_ORDER, {"query": query}).page(
        env.store.db[cases.collection], query, size=size, token=token
    )
    return [visibility.view_for(cases.from_doc(doc), principal) for doc in docs], following


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
    env: Visitation, principal: Principal, *, case_id: str, status: str, size: int, token: str
) -> tuple[list[tuple[VisitationCase, Offer]], str]:
    """A page of the offers the caller may see, newest offer day first, optionally of one case
    or in one status, each with its case; and the next page's token."""
    if principal.is_supplier and not principal.supplier_id:
        return [], ""
    wanted = {
        "supplier_id": principal.supplier_id if principal.is_supplier else "",
        "case_id": case_id,
        "status": status,
    }
    query: dict[str, Any] = {k: v for k, v in wanted.items() if v}
    refs, following = await Paging(OFFER_ORDER, {"query": query}).page(
        env.store.db[OFFER_REFS], query, size=size, token=token
    )
    held = {ref["case_id"] for ref in refs}
    found = await cases.find(env.store.db, {"_id": {"$in": list(held)}}, limit=len(held) or 1)
    seen = {case.id: visibility.view_for(case, principal) for case in found}
    listed = []
    for ref in refs:
        case = seen.get(ref["case_id"])
        offer = case.offer(ref["_id"]) if case else None
        if case is not None and offer is not None:
            listed.append((case, offer))
    return listed, following


async def rank(env: Visitation, case_id: str, estimate: Estimate) -> tuple[VisitationCase, Ranking]:
    """The eligible suppliers for a case, best first, with the reasons."""
    case = await cases.read(env.store.db, case_id)
    if case is None:
        raise NotFound("case", case_id)
    return case, await ranking_of(env, case, estimate)
