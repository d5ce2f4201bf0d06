"""Documents' wiring."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence

from pymongo import ASCENDING

from services.documents import (
    archive,
    case_facts,
    case_record,
    case_suppliers,
    handlers,
    intake_journal,
    letters,
    retention,
    visitation_journal,
)
from services.documents.access import api as access_api
from services.documents.access import handlers as access_handlers
from services.documents.api import registrations
from services.documents.concern import api as concern_api
from services.documents.concern import handlers as concern_handlers
from services.documents.settings import DocumentsSettings
from services.kernel.consumer import EventHandler
from services.kernel.envelope import Envelope
from services.kernel.runtime import Deps, ServiceSpec
from services.kernel.store import Transaction
from services.kernel.topics import events_topic


async def _setup(deps: Deps) -> None:
    await handlers.create_indexes(deps.store)
    db = deps.store.db
    # The journal and the lists in their orders: a case's journal, an inquiry's entries
    # without a case (part of a case's journal for VISO staff), a case's documents and reports.
    await db[handlers.JOURNAL].create_index([("case_id", ASCENDING), *case_record.JOURNAL_ORDER])
    await db[handlers.JOURNAL].create_index(
        [("inquiry_id", ASCENDING), ("case_id", ASCENDING), *case_record.JOURNAL_ORDER]
    )
    await db[handlers.JOURNAL].create_index([("note_id", ASCENDING)], sparse=True)
    await db[handlers.JOURNAL].create_index([("document_id", ASCENDING)], sparse=True)
    await db[case_record.DOCUMENTS].create_index(
        [("case_id", ASCENDING), *case_record.DOCUMENT_ORDER]
    )
    for collection in (case_record.DOCUMENTS, case_record.NOTES):
        await db[collection].create_index([("archive.status", ASCENDING)])
    await db[case_record.DOCUMENTS].create_index([("render_pending", ASCENDING)])
    await db[case_record.NOTES].create_index([("case_id", ASCENDING)])
    await db[concern_handlers.CONCERNS].create_index([("status", ASCENDING)])
    for equal in (["case_id"], ["case_id", "supplier_id"]):
        await db[concern_handlers.CONCERNS].create_index(
            [*((name, ASCENDING) for name in equal), *concern_handlers.ORDER]
        )
    await db[access_handlers.ACCESS].create_index([("parts.status", ASCENDING)])
    await db[case_suppliers.CASE_SUPPLIERS].create_index(
        [("inquiry_id", ASCENDING), ("supplier_id", ASCENDING)]
    )


async def _hand_over(tx: Transaction, envelope: Envelope) -> None:
    await case_suppliers.record_hand_over(tx, envelope)
    await case_facts.record_hand_over(tx, envelope)


def _background(deps: Deps) -> Sequence[Awaitable[None]]:
    settings = DocumentsSettings()
    return [
        archive.keep_archiving(deps.store, settings, before=letters.render_pending),
        retention.keep_tidy(deps.store, settings),
    ]


_HANDLERS: dict[str, EventHandler] = {
    "InquiryRegistered": handlers.journal_registration,
    "VisitationCaseOpened": handlers.journal_and_record_opened_case,
    "CaseHandedToLeverance": _hand_over,
    **case_facts.HANDLERS,
    **intake_journal.HANDLERS,
    "InquiryLetterRequested": letters.journal_and_record_letters,
    "VisitationDecided": letters.record_decision_letter,
    **visitation_journal.HANDLERS,
}
HANDLED_EVENTS = frozenset(_HANDLERS)
"""The event types documents' consumer handles, known without building anything."""

SPEC = ServiceSpec(
    name="documents",
    subscribes_to=(events_topic("intake"), events_topic("visitation"), events_topic("leverance")),
    handlers=lambda deps: dict(_HANDLERS),
    servicers=lambda deps: [
        *registrations(deps.store, DocumentsSettings()),
        *access_api.registrations(deps.store, DocumentsSettings()),
        *concern_api.registrations(deps.store),
    ],
    setup=_setup,
    background_consumer=True,
    background=_background,
)
