"""Case references kept from visitation."""

from __future__ import annotations

from services.contracts.visitation import VisitationCaseOpened
from services.kernel.envelope import Envelope
from services.kernel.errors import NotFound
from services.kernel.store import MongoStore, Repository, Transaction
from services.leverance.domain import cases as domain
from services.leverance.domain.cases import CaseReference

case_references = Repository(CaseReference, "case_references")


async def reference_opened_case(tx: Transaction, envelope: Envelope) -> None:
    """Keep a reference to a newly opened visitation case; a redelivered event (after the inbox
    forgot it) finds the reference kept and changes nothing."""
    case_references.add_if_absent(
        tx, domain.reference_case(envelope.payload_as(VisitationCaseOpened))
    )


async def get_case_reference(case_id: str, *, store: MongoStore) -> CaseReference:
    """The reference kept for a case."""
    found = await case_references.read(store.db, case_id)
    if found is None:
        raise NotFound("case", case_id)
    return found
