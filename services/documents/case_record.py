"""The case record's use cases: notes, documents (uploaded or rendered), finals, reads with
their audit records, and the journal, each for a caller who may see the case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo import DESCENDING

from services.contracts.documents import (
    NOTE_CATEGORY_NAMES,
    DocumentJournaled,
    DocumentVersionAdded,
    NoteWritten,
)
from services.documents import case_facts, files, record
from services.documents.case_suppliers import CASE_SUPPLIERS, key
from services.documents.commands import (
    FinaliseDocument,
    RenderDocument,
    UploadHeader,
    WriteNote,
)
from services.documents.domain import JournalEntry
from services.documents.handlers import JOURNAL, append_entry
from services.documents.record import CaseDocument, CaseFacts, CaseNote, StoredVersion
from services.documents.rendering import Filling, check_fields, render, template_info
from services.kernel.context import VISO_STAFF, Principal, current_trace
from services.kernel.envelope import new_id, utcnow
from services.kernel.errors import IllegalTransition, InvalidInput, NotFound
from services.kernel.paging import Paging, page_size
from services.kernel.store import Doc, MongoStore, Repository, Transaction

CASE_WORKERS = (*VISO_STAFF, "specialist", "kas_supplier")
"""Who works on a case's record: VISO staff, and the case's own supplier's staff."""
NOTES = "notes"
DOCUMENTS = "documents"
AUDIT = "audit_trail"
JOURNAL_ORDER = (("recorded_at", DESCENDING), ("_id", DESCENDING))
DOCUMENT_ORDER = (("created_at", DESCENDING), ("_id", DESCENDING))
ROLE_NAMES = {
    "consultant": "Fagkonsulent",
    "support": "Team Support",
    "manager": "Leder",
    "specialist": "Specialist",
    "kas_supplier": "KaS-leverandør",
    "supplier_admin": "Leverandøradministrator",
}

notes = Repository(CaseNote, NOTES)
documents = Repository(CaseDocument, DOCUMENTS)


async def case_for(tx: Transaction, case_id: str, principal: Principal) -> CaseFacts:
    """The case's facts if the caller may see its record: VISO staff any case documents has
    heard of; supplier staff only a case their own supplier has a part in. Anything else is
    NOT_FOUND, as an unknown case is."""
    if principal.is_supplier:
        part = None
        if principal.supplier_id:
            part = await tx.find_one(CASE_SUPPLIERS, {"_id": key(case_id, principal.supplier_id)})
        if part is None:
            raise NotFound("case", case_id)
    return await case_facts.facts(tx, case_id)


def audit(principal: Principal, call: str, **subject: Any) -> Doc:
    """One record of personal content shown: who, when, through which call, what."""
    return {
        "_id": new_id(),
        "at": utcnow(),
        "correlation_id": current_trace.get().correlation_id,
        "user_id": principal.user_id,
        "role": principal.role,
        "supplier_id": principal.supplier_id,
        "call": call,
        "action": "read",
        **subject,
    }


def author_line(principal: Principal) -> str:
    """How a rendered document names its author."""
    return f"{ROLE_NAMES.get(principal.role, principal.role)} {principal.user_id}"


# --- notes -------------------------------------------------------------------------------


def note_entry(note: CaseNote, *, source_event_id: str) -> JournalEntry:
    """The journal entry of a note (its text is read with GetNote)."""
    what = NOTE_CATEGORY_NAMES.get(note.category, note.category)
    text = (
        f"Notat ({what}) af {ROLE_NAMES.get(note.author_role, note.author_role)} {note.author_id}"
    )
    if note.corrects_note_id:
        text += f"; version {note.note_version}, retter notat {note.corrects_note_id}"
    return JournalEntry(
        id=f"note:{note.id}",
        inquiry_id=note.inquiry_id,
        kind="note_correction" if note.corrects_note_id else "note",
        text=text + ".",
        recorded_at=note.written_at,
        source_event_id=source_event_id,
        case_id=note.case_id,
        journaled_by=note.author_id,
        note_id=note.id,
    )


async def write_note(command: WriteNote, *, store: MongoStore, principal: Principal) -> CaseNote:
    """Write a note (or the correction of one), journal it and tell the other party."""

    async def work(tx: Transaction) -> CaseNote:
        case = await case_for(tx, command.case_id, principal)
        if command.inquiry_id and case.inquiry_id and command.inquiry_id != case.inquiry_id:
            raise InvalidInput.single("inquiry_id", "not the inquiry the case was opened from")
        corrected = None
        if command.corrects_note_id:
            corrected = await notes.get(tx, command.corrects_note_id)
            if corrected is None or not _may_see_note(corrected, case, principal):
                raise NotFound("note", command.corrects_note_id)
        note = record.write_note(
            note_id=new_id(),
            case=case,
            category=command.category,
            occurred_at=command.occurred_at,
            text=command.text,
            author=principal,
            now=utcnow(),
            corrected=corrected,
        )
        if corrected is not None:
            await notes.save(
                tx, record.mark_corrected(corrected, note), expected_version=corrected.version
            )
        stored = await notes.add(tx, note)
        envelope = tx.emit(
            NoteWritten(
                note_id=note.id,
                case_id=note.case_id,
                inquiry_id=note.inquiry_id,
                category=note.category,
                occurred_at=note.occurred_at,
                written_at=note.written_at,
                author_id=note.author_id,
                author_role=note.author_role,
                supplier_id=note.supplier_id,
                version=note.note_version,
                corrects_note_id=note.corrects_note_id,
                notify_user_ids=case.notify_for(principal),
            )
        )
        append_entry(tx, note_entry(note, source_event_id=envelope.event_id))
        return stored

    return await store.transact(work)


def _may_see_note(note: CaseNote, case: CaseFacts, principal: Principal) -> bool:
    return note.case_id == case.case_id


async def get_note(note_id: str, *, store: MongoStore, principal: Principal) -> CaseNote:
    """A note of a case the caller may see, with its read in the audit trail."""

    async def work(tx: Transaction) -> CaseNote:
        note = await notes.get(tx, note_id)
        if note is None:
            raise NotFound("note", note_id)
        try:
            await case_for(tx, note.case_id, principal)
        except NotFound:
            raise NotFound("note", note_id) from None
        if note.content_deleted_at is None:
            tx.insert(
                AUDIT,
                audit(principal, "GetNote", item="note", item_id=note.id, case_id=note.case_id),
            )
        return note

    return await store.transact(work)


# --- documents ---------------------------------------------------------------------------


async def _visible_document(
    tx: Transaction, document_id: str, principal: Principal
) -> tuple[CaseDocument, CaseFacts]:
    document = await documents.get(tx, document_id)
    if document is None:
        raise NotFound("document", document_id)
    if not document.case_id:  # an inquiry's letter, before any case: VISO staff only
        if principal.is_supplier:
            raise NotFound("document", document_id)
        return document, CaseFacts(case_id="", inquiry_id=document.inquiry_id)
    try:
        case = await case_for(tx, document.case_id, principal)
    except NotFound:
        raise NotFound("document", document_id) from None
    return document, case


@dataclass(frozen=True)
class Target:
    """Where a new version goes: a new document or the next version of a draft."""

    document: CaseDocument
    case: CaseFacts
    is_new: bool


async def _target(
    tx: Transaction,
    *,
    case_id: str,
    document_id: str,
    expected_version: int,
    supersedes_id: str,
    kind: str,
    title: str,
    principal: Principal,
) -> Target:
    if document_id:
        document, case = await _visible_document(tx, document_id, principal)
        if case_id and case_id != document.case_id:
            raise InvalidInput.single("case_id", "not the case of the document")
        record.check_next_version(document, expected_version)
        return Target(document, case, is_new=False)
    case = await case_for(tx, case_id, principal)
    supersedes = None
    if supersedes_id:
        supersedes = await documents.get(tx, supersedes_id)
        if supersedes is None or supersedes.case_id != case.case_id:
            raise NotFound("document", supersedes_id)
    document = record.new_document(
        document_id=new_id(),
        case=case,
        kind=kind,
        title=title,
        author=principal,
        now=utcnow(),
        supersedes=supersedes,
    )
    return Target(document, case, is_new=True)


async def _save_version(
    tx: Transaction, target: Target, version: StoredVersion, principal: Principal
) -> CaseDocument:
    updated = record.with_version(target.document, version)
    if target.is_new:
        stored = await documents.add(tx, updated)
        if updated.supersedes_document_id:
            tx.update(
                DOCUMENTS,
                {"_id": updated.supersedes_document_id, "superseded_by_document_id": None},
                {"$set": {"superseded_by_document_id": updated.id}, "$inc": {"version": 1}},
                conflict=IllegalTransition(
                    f"document {updated.supersedes_document_id} is already superseded"
                ),
            )
    else:
        stored = await documents.save(tx, updated, expected_version=target.document.version)
    tx.emit(
        DocumentVersionAdded(
            document_id=stored.id,
            case_id=stored.case_id,
            inquiry_id=stored.inquiry_id,
            kind=stored.kind,
            title=stored.shown_title,
            version=version.version,
            content_type=version.content_type,
            size=version.size,
            sha256=version.sha256,
            added_by=principal.user_id,
            added_by_role=principal.role,
            supplier_id=principal.supplier_id,
            added_at=version.created_at,
            template=version.template,
            notify_user_ids=target.case.notify_for(principal),
        )
    )
    return stored


async def check_upload(header: UploadHeader, *, store: MongoStore, principal: Principal) -> None:
    """Refuse an upload the caller may not make before any byte is received."""

    async def work(tx: Transaction) -> None:
        await _upload_target(tx, header, principal)

    await store.transact(work)


async def _upload_target(tx: Transaction, header: UploadHeader, principal: Principal) -> Target:
    return await _target(
        tx,
        case_id=header.case_id,
        document_id=header.document_id,
        expected_version=header.expected_version,
        supersedes_id=header.supersedes_document_id,
        kind=header.kind,
        title=header.title,
        principal=principal,
    )


async def store_file_then(
    store: MongoStore,
    data: bytes | Any,
    *,
    filename: str,
    metadata: dict[str, Any],
    work: Callable[[Transaction, str], Any],
) -> CaseDocument:
    """Write the file, then the transaction that refers to it; the file goes again if the
    transaction fails."""
    file_id = await files.store(store.db, data, filename=filename, metadata=metadata)
    try:
        result: CaseDocument = await store.transact(lambda tx: work(tx, file_id))
    except BaseException:
        await files.delete(store.db, file_id)
        raise
    return result


async def upload(
    header: UploadHeader, spooled: files.Spooled, *, store: MongoStore, principal: Principal
) -> CaseDocument:
    """Store an uploaded file as a new draft document or a draft's next version."""
    from services.documents.content import sanitised_filename

    filename = sanitised_filename(header.filename, spooled.content_type)

    async def work(tx: Transaction, file_id: str) -> CaseDocument:
        target = await _upload_target(tx, header, principal)
        version = StoredVersion(
            version=target.document.content_version + 1,
            file_id=file_id,
            filename=filename,
            content_type=spooled.content_type,
            size=spooled.size,
            sha256=spooled.sha256,
            created_at=utcnow(),
            created_by=principal.user_id,
        )
        return await _save_version(tx, target, version, principal)

    return await store_file_then(
        store,
        spooled.spool,
        filename=filename,
        metadata={"case_id": header.case_id, "uploaded_by": principal.user_id},
        work=work,
    )


async def render_document(
    command: RenderDocument, *, store: MongoStore, principal: Principal
) -> CaseDocument:
    """Render a template as a new draft (or a draft's next version) from the case's data."""
    info = template_info(command.template)
    check_fields(info, command.fields)
    if info.kind == record.ADVISORY_REPORT:
        record.check_recommendations(list(command.recommendations))
    elif command.recommendations or command.further_recommendations:
        raise InvalidInput.single("recommendations", "only the advisory report has them")

    async def facts(tx: Transaction) -> Target:
        return await _target(
            tx,
            case_id=command.case_id,
            document_id=command.document_id,
            expected_version=command.expected_version,
            supersedes_id=command.supersedes_document_id,
            kind=info.kind,
            title=info.name,
            principal=principal,
        )

    first = await store.transact(facts)
    if not first.is_new and first.document.kind != info.kind:
        raise InvalidInput.single("template", f"the document is a {first.document.kind}")
    filling = Filling(
        fields=dict(command.fields),
        recommendations=tuple(command.recommendations),
        further_recommendations=command.further_recommendations,
        author_line=author_line(principal),
    )
    rendered = render(info.id, first.case, filling, draft=True, fmt=command.format)

    async def work(tx: Transaction, file_id: str) -> CaseDocument:
        target = await facts(tx)
        if first.is_new:
            target = Target(first.document, target.case, is_new=True)
        version = StoredVersion(
            version=target.document.content_version + 1,
            file_id=file_id,
            filename=rendered.filename,
            content_type=rendered.content_type,
            size=len(rendered.data),
            sha256=files.checksum(rendered.data),
            created_at=utcnow(),
            created_by=principal.user_id,
            template=info.id,
            fields=dict(command.fields),
            recommendations=list(command.recommendations),
            further_recommendations=command.further_recommendations,
            format=command.format,
        )
        return await _save_version(tx, target, version, principal)

    return await store_file_then(
        store,
        rendered.data,
        filename=rendered.filename,
        metadata={"case_id": command.case_id, "rendered_by": principal.user_id},
        work=work,
    )


async def _annexes(tx: Transaction, ids: list[str], principal: Principal) -> list[CaseDocument]:
    found = []
    for index, annex_id in enumerate(ids):
        annex = await documents.get(tx, annex_id)
        if annex is None:
            raise InvalidInput.single(f"annex_document_ids.{index}", "no such document")
        found.append(annex)
    return found


async def finalise(
    command: FinaliseDocument, *, store: MongoStore, principal: Principal
) -> CaseDocument:
    """Lock a draft as final: re-rendered without the draft mark (with its annexes) when it came
    from a template, journaled, announced and due for the archive."""

    async def check(tx: Transaction) -> tuple[CaseDocument, CaseFacts, list[CaseDocument]]:
        document, case = await _visible_document(tx, command.document_id, principal)
        annexes = await _annexes(tx, list(command.annex_document_ids), principal)
        record.check_finalisable(
            document, expected_version=command.expected_version, annexes=annexes
        )
        return document, case, annexes

    document, case, annexes = await store.transact(check)
    newest = document.newest()
    final_data = None
    if newest.template is not None and newest.format == "pdf":
        pdfs = []
        for annex in annexes:
            last = annex.newest()
            if last.content_type == "application/pdf":
                pdfs.append(
                    await files.read_all(store.db, last.file_id, sha256=last.sha256, size=last.size)
                )
        filling = Filling(
            fields=newest.fields,
            recommendations=tuple(newest.recommendations),
            further_recommendations=newest.further_recommendations,
            author_line=author_line(principal),
            annexes=tuple(a.title for a in annexes),
        )
        final_data = render(newest.template, case, filling, draft=False, annex_pdfs=tuple(pdfs))

    async def work(tx: Transaction, file_id: str | None) -> CaseDocument:
        current, case, annexes = await check(tx)
        final_version = None
        if final_data is not None and file_id is not None:
            final_version = newest.model_copy(
                update={
                    "version": current.content_version + 1,
                    "file_id": file_id,
                    "filename": final_data.filename,
                    "size": len(final_data.data),
                    "sha256": files.checksum(final_data.data),
                    "created_at": utcnow(),
                    "created_by": principal.user_id,
                }
            )
        final = record.finalised(
            current,
            final_version=final_version,
            annexes=annexes,
            sent_to=list(command.sent_to),
            now=utcnow(),
        )
        stored = await documents.save(tx, final, expected_version=current.version)
        last = stored.newest()
        event = DocumentJournaled(
            document_id=stored.id,
            case_id=stored.case_id,
            inquiry_id=stored.inquiry_id,
            kind=stored.kind,
            title=stored.title,
            sent_to=list(stored.sent_to),
            journaled_by=principal.user_id,
            journaled_by_role=principal.role,
            supplier_id=principal.supplier_id,
            journaled_at=stored.finalised_at or utcnow(),
            status="final",
            version=last.version,
            sha256=last.sha256,
            annex_document_ids=list(stored.annex_document_ids),
            notify_user_ids=case.notify_for(principal),
        )
        envelope = tx.emit(event)
        append_entry(tx, document_entry(stored, event, source_event_id=envelope.event_id))
        return stored

    if final_data is None:
        return await store.transact(lambda tx: work(tx, None))
    return await store_file_then(
        store,
        final_data.data,
        filename=final_data.filename,
        metadata={"case_id": document.case_id, "final_of": document.id},
        work=work,
    )


def document_entry_for(document: CaseDocument, *, journaled_by: str) -> JournalEntry:
    """The journal entry of a final made without a DocumentJournaled event (a concern report,
    whose title and recipients are all it shows)."""
    sent = f", sendt til {', '.join(document.sent_to)}" if document.sent_to else ""
    return JournalEntry(
        id=f"final:{document.id}",
        inquiry_id=document.inquiry_id,
        kind=document.kind,
        text=f"{document.title} (endelig){sent}.",
        recorded_at=document.finalised_at or utcnow(),
        source_event_id="",
        case_id=document.case_id,
        journaled_by=journaled_by,
        document_id=document.id,
    )


def document_entry(
    document: CaseDocument, event: DocumentJournaled, *, source_event_id: str
) -> JournalEntry:
    """The journal entry of a final."""
    sent = f", sendt til {', '.join(event.sent_to)}" if event.sent_to else ", ikke sendt"
    annexes = f", bilag: {', '.join(event.annex_document_ids)}" if event.annex_document_ids else ""
    return JournalEntry(
        id=f"final:{document.id}",
        inquiry_id=document.inquiry_id,
        kind=document.kind,
        text=f"{document.title} (endelig, version {event.version}){sent}{annexes}.",
        recorded_at=event.journaled_at,
        source_event_id=source_event_id,
        case_id=document.case_id,
        journaled_by=event.journaled_by,
        document_id=document.id,
    )


async def get_document(
    document_id: str, *, store: MongoStore, principal: Principal
) -> CaseDocument:
    """A document of a case the caller may see (metadata only: no audit record)."""

    async def work(tx: Transaction) -> CaseDocument:
        document, _ = await _visible_document(tx, document_id, principal)
        return document

    return await store.transact(work)


async def open_download(
    document_id: str, version: int, *, store: MongoStore, principal: Principal
) -> tuple[CaseDocument, StoredVersion]:
    """The version to send, with the read in the audit trail."""

    async def work(tx: Transaction) -> tuple[CaseDocument, StoredVersion]:
        document, _ = await _visible_document(tx, document_id, principal)
        chosen = document.version_numbered(version)
        tx.insert(
            AUDIT,
            audit(
                principal,
                "DownloadDocument",
                item="document",
                item_id=document.id,
                version=chosen.version,
                case_id=document.case_id,
            ),
        )
        return document, chosen

    return await store.transact(work)


# --- listing -----------------------------------------------------------------------------


async def journal(
    *,
    case_id: str,
    inquiry_id: str,
    size: int,
    token: str,
    store: MongoStore,
    principal: Principal,
) -> tuple[list[JournalEntry], str, str, str]:
    """A page of the journal of a case or an inquiry, newest first; (entries, next token, case,
    inquiry). Supplier staff see only the entries of their own supplier's case."""
    if bool(case_id) == bool(inquiry_id):
        raise InvalidInput.single("case_id", "give exactly one of case_id and inquiry_id")
    limit = page_size(size)

    async def scope(tx: Transaction) -> list[Doc]:
        """The entries the caller sees, as filters each served by an index."""
        if case_id:
            case = await case_for(tx, case_id, principal)
            if principal.is_supplier:
                return [{"case_id": case_id}]
            return [{"case_id": case_id}, {"inquiry_id": case.inquiry_id, "case_id": ""}]
        if not principal.is_supplier:
            return [{"inquiry_id": inquiry_id}]
        part = None
        if principal.supplier_id:
            part = await tx.find_one(
                CASE_SUPPLIERS, {"inquiry_id": inquiry_id, "supplier_id": principal.supplier_id}
            )
        if part is None:
            raise NotFound("inquiry", inquiry_id)
        return [{"case_id": part["case_id"]}]

    query = await store.transact(scope)
    docs, following = await Paging(JOURNAL_ORDER, {"any_of": query}).page(
        store.db[JOURNAL], query, size=limit, token=token
    )
    entries = [JournalEntry.model_validate({**d, "id": d["_id"]}) for d in docs]
    return entries, following, case_id, inquiry_id


async def list_documents(
    case_id: str, *, size: int, token: str, store: MongoStore, principal: Principal
) -> tuple[list[CaseDocument], str]:
    """A page of a case's documents, newest first, and the next page's token."""
    limit = page_size(size)

    async def check(tx: Transaction) -> None:
        await case_for(tx, case_id, principal)

    await store.transact(check)
    query: Doc = {"case_id": case_id}
    return await Paging(DOCUMENT_ORDER, query).aggregates(
        documents, store.db, query, size=limit, token=token
    )
