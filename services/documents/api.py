"""Documents' gRPC servicer."""

from __future__ import annotations

from typing import Any

from services.documents import handlers
from services.documents.commands import JournalDocument as JournalDocumentCommand
from services.kernel.context import VISO_STAFF, require_role
from services.kernel.grpc_server import Registration
from services.kernel.proto import parse_request, timestamp
from services.kernel.store import MongoStore
from vias.documents.v1 import documents_pb2, documents_pb2_grpc


class DocumentsApi(documents_pb2_grpc.DocumentsServiceServicer):
    """DocumentsService over the journal handlers."""

    def __init__(self, store: MongoStore) -> None:
        self.store = store

    async def GetJournal(self, request: Any, context: Any) -> documents_pb2.Journal:
        require_role(*VISO_STAFF)
        entries = await handlers.read_journal(request.inquiry_id, store=self.store)
        return documents_pb2.Journal(
            inquiry_id=request.inquiry_id,
            entries=[
                documents_pb2.JournalEntry(
                    entry_id=e.id,
                    kind=e.kind,
                    text=e.text,
                    recorded_at=timestamp(e.recorded_at),
                    source_event_id=e.source_event_id,
                    case_id=e.case_id,
                    journaled_by=e.journaled_by,
                )
                for e in entries
            ],
        )

    async def JournalDocument(self, request: Any, context: Any) -> documents_pb2.JournalEntry:
        principal = require_role(*VISO_STAFF, "specialist", "kas_supplier")
        command = parse_request(JournalDocumentCommand, request)
        entry = await handlers.journal_document(command, store=self.store, principal=principal)
        return documents_pb2.JournalEntry(
            entry_id=entry.id,
            kind=entry.kind,
            text=entry.text,
            recorded_at=timestamp(entry.recorded_at),
            source_event_id=entry.source_event_id,
            case_id=entry.case_id,
            journaled_by=entry.journaled_by,
        )


def registrations(store: MongoStore) -> list[Registration]:
    """The servicers documents serves."""
    return [
        (
            documents_pb2_grpc.add_DocumentsServiceServicer_to_server,
            DocumentsApi(store),
            documents_pb2.DESCRIPTOR.services_by_name["DocumentsService"].full_name,
        )
    ]
