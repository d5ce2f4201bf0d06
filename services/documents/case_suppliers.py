"""Which inquiry a case belongs to and which suppliers work on it, kept from visitation's events,
so that a supplier's specialist journals only onto a case their own supplier has a part in, and
nobody journals a case's document into another inquiry's journal."""

from __future__ import annotations

from pydantic import BaseModel

from services.contracts.visitation import CaseHandedToLeverance, VisitationCaseOpened
from services.kernel.context import Principal
from services.kernel.envelope import Envelope
from services.kernel.errors import InvalidInput, NotFound
from services.kernel.store import Transaction

CASE_SUPPLIERS = "case_suppliers"
CASES = "cases"


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
    tx.insert_if_absent(
        CASE_SUPPLIERS, {"_id": key(record.case_id, record.supplier_id), **record.model_dump()}
    )


async def record_opened_case(tx: Transaction, envelope: Envelope) -> None:
    """Remember the inquiry a case was opened from; a redelivered opening changes nothing."""
    opened = envelope.payload_as(VisitationCaseOpened)
    values = {
        "inquiry_id": opened.inquiry_id,
        "main_area": opened.main_area,
        "consultant_id": opened.consultant_id,
    }
    tx.update(CASES, {"_id": opened.case_id}, {"$set": values}, upsert=True)


async def inquiry_of_case_for(tx: Transaction, case_id: str, principal: Principal) -> str | None:
    """The inquiry of the case, as far as the caller may journal on it.

    A supplier role: the case's inquiry if its supplier has a part in the case, NOT_FOUND for any
    other case (the same answer as for a case that does not exist). VISO staff: the case's inquiry
    if documents saw the case opened, else None (the case may not have reached documents yet).
    """
    if not principal.is_supplier:
        opened = await tx.find_one(CASES, {"_id": case_id})
        return None if opened is None else str(opened["inquiry_id"])
    found = None
    if principal.supplier_id:
        found = await tx.find_one(CASE_SUPPLIERS, {"_id": key(case_id, principal.supplier_id)})
    if found is None:
        raise NotFound("case", case_id)
    return str(found["inquiry_id"])


def checked_inquiry(given: str, known: str | None) -> str:
    """The inquiry to journal under: the case's own when known (given may then be empty)."""
    if known is None:
        return given
    if given and given != known:
        raise InvalidInput.single("inquiry_id", "not the inquiry the case was opened from")
    return known
