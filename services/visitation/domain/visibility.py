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
    return case.model_copy(
        update={
            "offers": [o for o in case.offers if o.offer_id in mine],
            "deadlines": [d for d in case.deadlines if d.offer_id in mine],
            "decision": None,
            "supplier_contacts": [
                c for c in case.supplier_contacts if c.supplier_id == principal.supplier_id
            ],
        }
    )
