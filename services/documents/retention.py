"""Retention: the personal content of notes and documents is deleted once their class's period
after the inquiry's course ended has passed (an open case keeps everything); the journal keeps a
tombstone (what was there, when it was deleted, by which rule) and the job reports what it did."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from services.contracts.documents import CaseContentDeleted
from services.documents import case_facts, files, record
from services.documents.case_record import DOCUMENTS, NOTES, documents, notes
from services.documents.domain import JournalEntry
from services.documents.handlers import JOURNAL, append_entry
from services.documents.settings import DocumentsSettings
from services.kernel.envelope import utcnow
from services.kernel.store import MongoStore, Transaction

log = logging.getLogger(__name__)


@dataclass
class RetentionReport:
    """What one run deleted."""

    as_of: date
    notes_deleted: int = 0
    documents_deleted: int = 0
    files_deleted: int = 0
    deleted: list[str] = field(default_factory=list)


def rule_text(document_class: str, days: int) -> str:
    """The rule as the tombstone names it."""
    return f"{document_class}: {days} dage efter forløbets afslutning"


def tombstone(
    item: str, item_id: str, case_id: str, inquiry_id: str, rule: str, now: datetime, what: str
) -> JournalEntry:
    """The journal's record that content was deleted."""
    return JournalEntry(
        id=f"retention:{item}:{item_id}",
        inquiry_id=inquiry_id,
        kind="retention_deleted",
        text=f"Indholdet af {what} er slettet efter opbevaringsreglen ({rule}).",
        recorded_at=now,
        source_event_id="",
        case_id=case_id,
        journaled_by="system",
        note_id=item_id if item == "note" else "",
        document_id=item_id if item == "document" else "",
        content_deleted_at=now,
        deleted_by_rule=rule,
    )


async def apply_retention(
    store: MongoStore, settings: DocumentsSettings, as_of: date
) -> RetentionReport:
    """Delete the content of every note and document past retention on `as_of`."""
    report = RetentionReport(as_of)
    ended: dict[str, datetime | None] = {}

    async def end_of(inquiry_id: str) -> datetime | None:
        if inquiry_id not in ended:
            found = await store.db[case_facts.ENDED].find_one({"_id": inquiry_id})
            ended[inquiry_id] = None if found is None else found["ended_at"]
        return ended[inquiry_id]

    async for doc in store.db[NOTES].find({"content_deleted_at": None}):
        days = settings.retention_for(record.NOTE_CLASS)
        if record.past_retention(await end_of(doc.get("inquiry_id", "")), days, as_of):
            await _delete_note(store, doc["_id"], rule_text(record.NOTE_CLASS, days))
            report.notes_deleted += 1
            report.deleted.append(f"note {doc['_id']} {record.NOTE_CLASS} rule {days} days")
    async for doc in store.db[DOCUMENTS].find({"content_deleted_at": None}):
        klass = record.document_class(doc["kind"], settings.retention_days)
        days = settings.retention_for(klass)
        if record.past_retention(await end_of(doc.get("inquiry_id", "")), days, as_of):
            report.files_deleted += await _delete_document(
                store, doc["_id"], rule_text(klass, days)
            )
            report.documents_deleted += 1
            report.deleted.append(f"document {doc['_id']} {klass} rule {days} days")
    return report


def _mark_journal(tx: Transaction, field_name: str, item_id: str, now: datetime, rule: str) -> None:
    tx.update(
        JOURNAL,
        {field_name: item_id, "kind": {"$ne": "retention_deleted"}},
        {"$set": {"content_deleted_at": now, "deleted_by_rule": rule}},
    )


async def _delete_note(store: MongoStore, note_id: str, rule: str) -> None:
    async def work(tx: Transaction) -> None:
        note = await notes.get(tx, note_id)
        if note is None or note.content_deleted_at is not None:
            return
        now = utcnow()
        await notes.save(
            tx,
            note.model_copy(
                update={"text": "", "content_deleted_at": now, "deleted_by_rule": rule}
            ),
            expected_version=note.version,
        )
        _mark_journal(tx, "note_id", note.id, now, rule)
        append_entry(
            tx,
            tombstone(
                "note", note.id, note.case_id, note.inquiry_id, rule, now, f"notat {note.id}"
            ),
        )
        tx.emit(
            CaseContentDeleted(
                case_id=note.case_id,
                item="note",
                item_id=note.id,
                document_class=record.NOTE_CLASS,
                rule=rule,
                deleted_at=now,
            )
        )

    await store.transact(work)


async def _delete_document(store: MongoStore, document_id: str, rule: str) -> int:
    async def work(tx: Transaction) -> list[str]:
        document = await documents.get(tx, document_id)
        if document is None or document.content_deleted_at is not None:
            return []
        now = utcnow()
        emptied = [
            v.model_copy(
                update={
                    "file_id": "",
                    "fields": {},
                    "recommendations": [],
                    "further_recommendations": "",
                }
            )
            for v in document.versions
        ]
        await documents.save(
            tx,
            document.model_copy(
                update={"versions": emptied, "content_deleted_at": now, "deleted_by_rule": rule}
            ),
            expected_version=document.version,
        )
        _mark_journal(tx, "document_id", document.id, now, rule)
        append_entry(
            tx,
            tombstone(
                "document",
                document.id,
                document.case_id,
                document.inquiry_id,
                rule,
                now,
                f'dokumentet "{document.title}" ({document.kind})',
            ),
        )
        tx.emit(
            CaseContentDeleted(
                case_id=document.case_id,
                item="document",
                item_id=document.id,
                document_class=document.kind,
                rule=rule,
                deleted_at=now,
            )
        )
        return [v.file_id for v in document.versions if v.file_id]

    deleted = 0
    for file_id in await store.transact(work):
        deleted += await files.delete(store.db, file_id)
    return deleted


async def referenced_files(store: MongoStore) -> set[str]:
    """Every file a document version refers to."""
    found: set[str] = set()
    async for doc in store.db[DOCUMENTS].find({}, {"versions.file_id": 1}):
        found.update(v["file_id"] for v in doc.get("versions", []) if v.get("file_id"))
    return found


async def keep_tidy(store: MongoStore, settings: DocumentsSettings) -> None:
    """Every retention interval: apply retention as of today and remove orphaned files."""
    while True:
        await asyncio.sleep(settings.retention_interval_s)
        try:
            report = await apply_retention(store, settings, utcnow().date())
            orphans = await files.delete_orphans(
                store.db,
                await referenced_files(store),
                grace=timedelta(seconds=settings.orphan_file_grace_s),
            )
            log.info(
                "retention: %d notes and %d documents deleted, %d orphaned files removed",
                report.notes_deleted,
                report.documents_deleted,
                orphans,
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("retention round failed")
