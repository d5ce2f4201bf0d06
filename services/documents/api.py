"""Documents' gRPC servicer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from services.documents import case_record, files, handlers, rendering, retention
from services.documents.case_record import CASE_WORKERS
from services.documents.commands import FinaliseDocument as FinaliseDocumentCommand
from services.documents.commands import JournalDocument as JournalDocumentCommand
from services.documents.commands import RenderDocument as RenderDocumentCommand
from services.documents.commands import UploadHeader as UploadHeaderCommand
from services.documents.commands import WriteNote as WriteNoteCommand
from services.documents.domain import JournalEntry
from services.documents.record import ArchiveState, CaseDocument, CaseNote, StoredVersion
from services.documents.settings import DocumentsSettings
from services.kernel.context import SERVICE_ROLE, require_role
from services.kernel.envelope import utcnow
from services.kernel.errors import DataLoss, FieldViolation, InvalidInput, ResourceExhausted
from services.kernel.grpc_server import Registration
from services.kernel.proto import parse_request, timestamp
from services.kernel.store import MongoStore
from services.workdays.settings import requested_day
from vias.documents.v1 import documents_pb2, documents_pb2_grpc

DRAIN_SLACK_BYTES = 1024 * 1024
DRAIN_TIMEOUT_S = 30.0


async def _drain(messages: Any, *, budget: int) -> None:
    """Read what is left of a request stream, at most `budget` bytes and DRAIN_TIMEOUT_S."""

    async def read() -> None:
        seen = 0
        async for message in messages:
            seen += message.ByteSize()
            if seen > budget:
                return

    try:
        await asyncio.wait_for(read(), DRAIN_TIMEOUT_S)
    except Exception:  # the refusal being sent matters, not the rest of the stream
        return


DOWNLOAD_CHUNK = 256 * 1024


def _stamp(moment: datetime | None) -> Any:
    return timestamp(moment) if moment is not None else None


def entry_message(e: JournalEntry) -> documents_pb2.JournalEntry:
    """The wire form of a journal entry."""
    return documents_pb2.JournalEntry(
        entry_id=e.id,
        kind=e.kind,
        text=e.text,
        recorded_at=timestamp(e.recorded_at),
        source_event_id=e.source_event_id,
        case_id=e.case_id,
        journaled_by=e.journaled_by,
        note_id=e.note_id,
        document_id=e.document_id,
        content_deleted_at=_stamp(e.content_deleted_at),
        deleted_by_rule=e.deleted_by_rule,
    )


def archive_message(state: ArchiveState) -> documents_pb2.ArchiveState:
    """The wire form of an archive state."""
    return documents_pb2.ArchiveState(
        status=state.status,
        receipt=state.receipt,
        reason=state.reason,
        filed_at=_stamp(state.filed_at),
        attempts=state.attempts,
    )


def note_message(note: CaseNote) -> documents_pb2.Note:
    """The wire form of a note."""
    return documents_pb2.Note(
        note_id=note.id,
        case_id=note.case_id,
        inquiry_id=note.inquiry_id,
        category=note.category,
        occurred_at=timestamp(note.occurred_at),
        written_at=timestamp(note.written_at),
        author_id=note.author_id,
        author_role=note.author_role,
        supplier_id=note.supplier_id or "",
        text=note.text,
        version=note.note_version,
        corrects_note_id=note.corrects_note_id or "",
        corrected_by_note_id=note.corrected_by_note_id or "",
        archive=archive_message(note.archive),
        content_deleted_at=_stamp(note.content_deleted_at),
    )


def version_message(v: StoredVersion) -> documents_pb2.DocumentVersion:
    """The wire form of a document version."""
    return documents_pb2.DocumentVersion(
        version=v.version,
        filename=v.filename,
        content_type=v.content_type,
        size=v.size,
        sha256=v.sha256,
        created_at=timestamp(v.created_at),
        created_by=v.created_by,
        template=v.template or "",
    )


def document_message(d: CaseDocument) -> documents_pb2.Document:
    """The wire form of a document."""
    return documents_pb2.Document(
        document_id=d.id,
        case_id=d.case_id,
        inquiry_id=d.inquiry_id,
        kind=d.kind,
        title=d.shown_title,
        status=d.status,
        versions=[version_message(v) for v in d.versions],
        version=d.content_version,
        supersedes_document_id=d.supersedes_document_id or "",
        superseded_by_document_id=d.superseded_by_document_id or "",
        annex_document_ids=d.annex_document_ids,
        sent_to=d.sent_to,
        finalised_at=_stamp(d.finalised_at),
        archive=archive_message(d.archive),
        content_deleted_at=_stamp(d.content_deleted_at),
        created_by=d.created_by,
        supplier_id=d.supplier_id or "",
    )


def require_named(missing: list[str], prefix: str, reason: str) -> None:
    """INVALID_ARGUMENT naming each missing field."""
    if missing:
        raise InvalidInput(FieldViolation(f"{prefix}{name}", reason) for name in missing)


class DocumentsApi(documents_pb2_grpc.DocumentsServiceServicer):
    """DocumentsService over the case record's use cases."""

    def __init__(self, store: MongoStore, settings: DocumentsSettings) -> None:
        self.store = store
        self.settings = settings

    async def GetJournal(self, request: Any, context: Any) -> documents_pb2.Journal:
        principal = require_role(*CASE_WORKERS)
        entries, following, case_id, inquiry_id = await case_record.journal(
            case_id=request.case_id.strip(),
            inquiry_id=request.inquiry_id.strip(),
            size=request.page_size,
            token=request.page_token,
            store=self.store,
            principal=principal,
        )
        return documents_pb2.Journal(
            inquiry_id=inquiry_id,
            case_id=case_id,
            entries=[entry_message(e) for e in entries],
            next_page_token=following,
        )

    async def JournalDocument(self, request: Any, context: Any) -> documents_pb2.JournalEntry:
        principal = require_role(*CASE_WORKERS)
        command = parse_request(JournalDocumentCommand, request)
        entry = await handlers.journal_document(command, store=self.store, principal=principal)
        return entry_message(entry)

    async def WriteNote(self, request: Any, context: Any) -> documents_pb2.Note:
        principal = require_role(*CASE_WORKERS)
        command = parse_request(WriteNoteCommand, request)
        note = await case_record.write_note(command, store=self.store, principal=principal)
        return note_message(note)

    async def GetNote(self, request: Any, context: Any) -> documents_pb2.Note:
        principal = require_role(*CASE_WORKERS)
        note = await case_record.get_note(
            request.note_id.strip(), store=self.store, principal=principal
        )
        return note_message(note)

    async def UploadDocument(self, request_iterator: Any, context: Any) -> documents_pb2.Document:
        messages = request_iterator.__aiter__()
        try:
            return await self._upload(messages)
        except Exception:
            # Refused before the client finished sending: read (and drop) the rest first, so
            # the client's writes end before the status does. An asyncio gRPC client whose
            # write fails after the server ended the call reports INTERNAL "Internal error from
            # Core" instead of the server's status (grpc/grpc#36066).
            await _drain(messages, budget=self.settings.max_upload_bytes + DRAIN_SLACK_BYTES)
            raise

    async def _upload(self, messages: Any) -> documents_pb2.Document:
        principal = require_role(*CASE_WORKERS)
        try:
            first = await messages.__anext__()
        except StopAsyncIteration:
            raise InvalidInput.single("header", "the upload sent nothing") from None
        if first.WhichOneof("part") != "header":
            raise InvalidInput.single("header", "the first message must carry the header")
        try:
            header = parse_request(UploadHeaderCommand, first.header)
        except InvalidInput as error:
            raise InvalidInput(
                FieldViolation(f"header.{v.field}", v.description) for v in error.violations
            ) from None
        require_named(header.missing(), "header.", "a new document needs it (or document_id)")
        await case_record.check_upload(header, store=self.store, principal=principal)

        async def chunks() -> AsyncIterator[bytes]:
            async for message in messages:
                if message.WhichOneof("part") != "chunk":
                    raise InvalidInput.single("header", "only the first message carries one")
                yield message.chunk

        try:
            spooled = await files.spool(
                chunks(),
                limit=self.settings.max_upload_bytes,
                allowed=self.settings.allowed_content_types,
            )
        except files.TooLarge as error:
            raise ResourceExhausted(str(error)) from None
        try:
            document = await case_record.upload(
                header, spooled, store=self.store, principal=principal
            )
        finally:
            spooled.spool.close()
        return document_message(document)

    async def DownloadDocument(
        self, request: Any, context: Any
    ) -> AsyncIterator[documents_pb2.DownloadDocumentResponse]:
        # The service role: notifications attaching the rendered document to what it sends.
        principal = require_role(*CASE_WORKERS, SERVICE_ROLE)
        if request.version < 0:
            raise InvalidInput.single("version", "not negative")
        _, version = await case_record.open_download(
            request.document_id.strip(), request.version, store=self.store, principal=principal
        )
        yield documents_pb2.DownloadDocumentResponse(metadata=version_message(version))
        try:
            async for block in files.read_chunks(
                self.store.db, version.file_id, sha256=version.sha256, size=version.size
            ):
                for start in range(0, len(block), DOWNLOAD_CHUNK):
                    yield documents_pb2.DownloadDocumentResponse(
                        chunk=block[start : start + DOWNLOAD_CHUNK]
                    )
        except files.Corrupted as error:
            raise DataLoss(str(error)) from None

    async def RenderDocument(self, request: Any, context: Any) -> documents_pb2.Document:
        principal = require_role(*CASE_WORKERS)
        command = parse_request(RenderDocumentCommand, request)
        require_named(command.missing(), "", "a new document needs it (or document_id)")
        document = await case_record.render_document(command, store=self.store, principal=principal)
        return document_message(document)

    async def FinaliseDocument(self, request: Any, context: Any) -> documents_pb2.Document:
        principal = require_role(*CASE_WORKERS)
        command = parse_request(FinaliseDocumentCommand, request)
        document = await case_record.finalise(command, store=self.store, principal=principal)
        return document_message(document)

    async def GetDocument(self, request: Any, context: Any) -> documents_pb2.Document:
        principal = require_role(*CASE_WORKERS)
        document = await case_record.get_document(
            request.document_id.strip(), store=self.store, principal=principal
        )
        return document_message(document)

    async def ListDocuments(
        self, request: Any, context: Any
    ) -> documents_pb2.ListDocumentsResponse:
        principal = require_role(*CASE_WORKERS)
        found, following = await case_record.list_documents(
            request.case_id.strip(),
            size=request.page_size,
            token=request.page_token,
            store=self.store,
            principal=principal,
        )
        return documents_pb2.ListDocumentsResponse(
            documents=[document_message(d) for d in found], next_page_token=following
        )

    async def ListTemplates(
        self, request: Any, context: Any
    ) -> documents_pb2.ListTemplatesResponse:
        require_role(*CASE_WORKERS)
        service = request.service.strip()
        return documents_pb2.ListTemplatesResponse(
            templates=[
                documents_pb2.Template(
                    template_id=t.id,
                    name=t.name,
                    kind=t.kind,
                    fields=list(t.fields),
                    services=list(t.services),
                    editable=t.editable,
                )
                for t in rendering.catalogue().values()
                if t.used_for(service)
            ]
        )

    async def ApplyRetention(self, request: Any, context: Any) -> documents_pb2.RetentionReport:
        require_role("manager")
        as_of = requested_day(request.as_of, today=utcnow().date())
        report = await retention.apply_retention(self.store, self.settings, as_of)
        return documents_pb2.RetentionReport(
            as_of=report.as_of.isoformat(),
            notes_deleted=report.notes_deleted,
            documents_deleted=report.documents_deleted,
            files_deleted=report.files_deleted,
            deleted=report.deleted,
        )


def registrations(store: MongoStore, settings: DocumentsSettings) -> list[Registration]:
    """The servicers documents serves."""
    return [
        (
            documents_pb2_grpc.add_DocumentsServiceServicer_to_server,
            DocumentsApi(store, settings),
            documents_pb2.DESCRIPTOR.services_by_name["DocumentsService"].full_name,
        )
    ]
