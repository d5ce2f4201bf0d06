"""What supplier staff may see: only cases offered to their supplier, and only their part."""

from __future__ import annotations

from services.kernel.context import Principal
from services.visitation.domain.model import VisitationCase


def visible_to(case: VisitationCase, principal: Principal) -> bool:
    """VISO staff see every case; supplier staff only cases offered to their supplier."""
    if not principal.is_supplier:
        return True
    return principal.supplier_id is not None and any(
        o.supplier_id == principal.supplier_id for o in case.offers
    )


def view_for(case: VisitationCase, principal: Principal) -> VisitationCase:
    """The case as the caller may see it: a supplier sees only its own offers and deadlines."""
    if not principal.is_supplier:
        return case
    mine = {o.offer_id for o in case.offers if o.supplier_id == principal.supplier_id}
    # The consultant's choice among suppliers (who ranked first, why this one) is VISO's own
    # record and names other suppliers: supplier staff see their offer without it.
    own_offers = [
        o.model_copy(
            update={"top_ranked_supplier_id": "", "justification": "", "tie_broken_with": []}
        )
        for o in case.offers
        if o.offer_id in mine
    ]
    return case.model_copy(
        update={
            "offers": own_offers,
            "deadlines": [d for d in case.deadlines if d.offer_id in mine],
            "decision": None,
            "supplier_contacts": [
                c for c in case.supplier_contacts if c.supplier_id == principal.supplier_id
            ],
        }
    )
