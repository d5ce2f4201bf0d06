"""Which suppliers work on a case, kept from visitation's hand-overs, so that a supplier's
specialist journals only onto a case their own supplier has a part in."""

from __future__ import annotations

from pydantic import BaseModel

from services.kernel.context import Principal
from services.kernel.envelope import Envelope
from services.kernel.errors import InvalidInput, NotFound
from services.kernel.store import Transaction
from services.visitation.messages import CaseHandedToLeverance

CASE_SUPPLIERS = "case_suppliers"


class CaseSupplier(BaseModel):
    """A supplier handed a case by visitation (id = case_id:supplier_id)."""

    case_id: str
    inquiry_id: str
    supplier_id: str


def key(case_id: str, supplier_id: str) -> str:
    """The one record of a supplier on a case."""
    return f"{case_id}:{supplier_id}"


async def record_hand_over(tx: Transaction, envelope: Envelope) -> None:
    """Remember the supplier has a part in the case; a redelivered hand-over changes nothing."""
    handed = envelope.payload_as(CaseHandedToLeverance)
    record = CaseSupplier(
        case_id=handed.case_id, inquiry_id=handed.inquiry_id, supplier_id=handed.supplier_id
    )
    await tx.collection(CASE_SUPPLIERS).update_one(
        {"_id": key(record.case_id, record.supplier_id)},
        {"$setOnInsert": record.model_dump()},
        upsert=True,
        session=tx.session,
    )


async def inquiry_of_case_for(tx: Transaction, case_id: str, principal: Principal) -> str | None:
    """For a supplier role: the inquiry of a case its supplier has a part in, NOT_FOUND for any
    other case (the same answer as for a case that does not exist). None for VISO staff."""
    if not principal.is_supplier:
        return None
    found = None
    if principal.supplier_id:
        found = await tx.collection(CASE_SUPPLIERS).find_one(
            {"_id": key(case_id, principal.supplier_id)}, session=tx.session
        )
    if found is None:
        raise NotFound("case", case_id)
    return str(found["inquiry_id"])


def checked_inquiry(given: str, known: str | None) -> str:
    """The inquiry to journal under: the case's own for a supplier (given may be empty)."""
    if known is None:
        return given
    if given and given != known:
        raise InvalidInput.single("inquiry_id", "not the inquiry the case was opened from")
    return known
