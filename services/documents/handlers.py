"""Journal use cases."""

from __future__ import annotations

from pymongo import ASCENDING

from services.contracts.intake import InquiryRegistered
from services.contracts.visitation import VisitationCaseOpened
from services.documents import case_suppliers, domain
from services.documents.commands import JournalDocument
from services.documents.domain import JournalEntry
from services.kernel.context import Principal
from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.store import Doc, MongoStore, Transaction

JOURNAL = "journal"


def entry_doc(entry: JournalEntry) -> Doc:
    """The journal's stored form of an entry."""
    doc = entry.model_dump()
    doc["_id"] = doc.pop("id")
    return doc


def append_entry(tx: Transaction, entry: JournalEntry) -> None:
    """Add the entry unless one with its id is there: ids derived from the source event make an
    event delivered again after the inbox forgot it journal nothing twice."""
    tx.insert_if_absent(JOURNAL, entry_doc(entry))


async def journal_registration(tx: Transaction, envelope: Envelope) -> None:
    """Journal a registered inquiry."""
    entry = domain.entry_for_registration(
        envelope.payload_as(InquiryRegistered),
        entry_id=f"{envelope.event_id}:registered",
        source_event_id=envelope.event_id,
        now=utcnow(),
    )
    append_entry(tx, entry)


async def journal_opened_case(tx: Transaction, envelope: Envelope) -> None:
    """Journal an opened visitation case."""
    entry = domain.entry_for_opened_case(
        envelope.payload_as(VisitationCaseOpened),
        entry_id=f"{envelope.event_id}:case_opened",
        source_event_id=envelope.event_id,
        now=utcnow(),
    )
    append_entry(tx, entry)


async def journal_and_record_opened_case(tx: Transaction, envelope: Envelope) -> None:
    """Journal an opened visitation case and remember its inquiry."""
    await journal_opened_case(tx, envelope)
    await case_suppliers.record_opened_case(tx, envelope)


async def journal_document(
    command: JournalDocument, *, store: MongoStore, principal: Principal
) -> JournalEntry:
    """Journal a document on a case and announce it; a supplier's specialist only on a case their
    supplier has a part in, under that case's inquiry."""

    async def work(tx: Transaction) -> JournalEntry:
        known = await case_suppliers.inquiry_of_case_for(tx, command.case_id, principal)
        inquiry_id = case_suppliers.checked_inquiry(command.inquiry_id, known)
        event = domain.journal_document(
            command.model_copy(update={"inquiry_id": inquiry_id}),
            document_id=new_id(),
            by=principal.user_id,
            role=principal.role,
            supplier_id=principal.supplier_id,
            now=utcnow(),
        )
        envelope = tx.emit(event)
        entry = domain.entry_for_document(event, source_event_id=envelope.event_id)
        append_entry(tx, entry)
        return entry

    return await store.transact(work)


async def read_journal(inquiry_id: str, *, store: MongoStore) -> list[JournalEntry]:
    """Every entry about an inquiry, oldest first."""
    cursor = (
        store.db[JOURNAL]
        .find({"inquiry_id": inquiry_id})
        .sort([("recorded_at", ASCENDING), ("_id", ASCENDING)])
    )
    return [JournalEntry.model_validate({**doc, "id": doc["_id"]}) async for doc in cursor]


async def create_indexes(store: MongoStore) -> None:
    """Reading per inquiry in either direction of the journal's order."""
    await store.db[JOURNAL].create_index(
        [("inquiry_id", ASCENDING), ("recorded_at", ASCENDING), ("_id", ASCENDING)]
    )
    await store.db[JOURNAL].create_index([("case_id", ASCENDING)], sparse=True)
