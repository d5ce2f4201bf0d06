"""Hand-off of finals and notes to the records archive (ESDH, F2 in the handbook).

A final document or a note is due for the archive in the same transaction that makes it
(`archive.status = "pending"`: the record itself is the outbox of the hand-off). The archiver
tries each due item, records the archive's receipt (`filed`) or the failure and its reason
(`failed`, tried again with backoff). The port is `Archive.file`; the one adapter,
`FolderArchive`, writes a documented package into a folder:

    <archive_dir>/<item>-<id>/
        <filename>       the file (a note: note.txt, its text in UTF-8)
        metadata.json    case, inquiry, document type, dates, author, checksum, version
        receipt.json     {"journal_number": ..., "filed_at": ...}: written last, the receipt

A retry never files twice: a package whose receipt is there is not written again, and the
receipt on file is returned.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from services.documents import files
from services.documents.case_record import DOCUMENTS, NOTES
from services.documents.settings import DocumentsSettings
from services.kernel.envelope import utcnow
from services.kernel.store import Doc, MongoStore

log = logging.getLogger(__name__)
BATCH = 20
PACKAGE_FORMAT = "vias-archive-package/1"


@dataclass(frozen=True)
class Package:
    """What the archive receives for one item."""

    item: str
    item_id: str
    filename: str
    data: bytes
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Receipt:
    """The archive's acknowledgement."""

    journal_number: str
    filed_at: datetime


class Archive(Protocol):
    """The port to the records archive."""

    def file(self, package: Package) -> Receipt:
        """File the package once; a package filed before returns its receipt again."""
        ...


class FolderArchive:
    """The archive as a drop folder of packages."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def file(self, package: Package) -> Receipt:
        target = self.folder / f"{package.item}-{package.item_id}"
        receipt_file = target / "receipt.json"
        if receipt_file.exists():
            found = json.loads(receipt_file.read_text(encoding="utf-8"))
            return Receipt(found["journal_number"], datetime.fromisoformat(found["filed_at"]))
        self.folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.folder))
        try:
            (staging / package.filename).write_bytes(package.data)
            metadata = {"format": PACKAGE_FORMAT, **package.metadata}
            (staging / "metadata.json").write_text(
                json.dumps(metadata, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
            )
            number = journal_number(package)
            receipt = Receipt(number, utcnow())
            (staging / "receipt.json").write_text(
                json.dumps({"journal_number": number, "filed_at": receipt.filed_at.isoformat()}),
                encoding="utf-8",
            )
            if target.exists():  # a package left without its receipt by a crash: replace it
                shutil.rmtree(target)
            os.replace(staging, target)
            return receipt
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)


def journal_number(package: Package) -> str:
    """The journal number the folder archive gives a package: stable per item."""
    digest = hashlib.sha256(f"{package.item}:{package.item_id}".encode()).hexdigest()[:10]
    return f"F2-{package.metadata.get('year', '0000')}-{digest.upper()}"


def _document_metadata(doc: Doc, version: Doc) -> dict[str, Any]:
    return {
        "item": "document",
        "document_id": doc["_id"],
        "case_id": doc["case_id"],
        "inquiry_id": doc.get("inquiry_id", ""),
        "document_type": doc["kind"],
        "title": doc["title"],
        "version": version["version"],
        "created_at": doc["created_at"],
        "finalised_at": doc.get("finalised_at"),
        "author": doc.get("created_by"),
        "finalised_version_by": version.get("created_by"),
        "supplier_id": doc.get("supplier_id"),
        "sent_to": doc.get("sent_to", []),
        "annex_document_ids": doc.get("annex_document_ids", []),
        "content_type": version["content_type"],
        "size": version["size"],
        "sha256": version["sha256"],
        "year": (doc.get("finalised_at") or doc["created_at"]).year,
    }


async def _package(store: MongoStore, item: str, doc: Doc) -> Package:
    if item == "note":
        data = doc["text"].encode("utf-8")
        metadata = {
            "item": "note",
            "note_id": doc["_id"],
            "case_id": doc["case_id"],
            "inquiry_id": doc.get("inquiry_id", ""),
            "document_type": "note",
            "category": doc["category"],
            "occurred_at": doc["occurred_at"],
            "written_at": doc["written_at"],
            "author": doc["author_id"],
            "author_role": doc["author_role"],
            "version": doc.get("note_version", 1),
            "corrects_note_id": doc.get("corrects_note_id"),
            "sha256": files.checksum(data),
            "year": doc["written_at"].year,
        }
        return Package("note", doc["_id"], "note.txt", data, metadata)
    version = doc["versions"][-1]
    data = await files.read_all(
        store.db, version["file_id"], sha256=version["sha256"], size=version["size"]
    )
    return Package(
        "document", doc["_id"], version["filename"], data, _document_metadata(doc, version)
    )


def _backoff(attempts: int, settings: DocumentsSettings) -> timedelta:
    return timedelta(
        seconds=min(settings.archive_retry_max_s, settings.archive_interval_s * 2**attempts)
    )


async def _due(store: MongoStore, collection: str, moment: datetime) -> AsyncIterator[Doc]:
    """Items waiting for the archive, by equality on the indexed status (a polling worker must
    never scan the collection), those in backoff left for later."""
    for status in ("pending", "failed"):
        cursor = store.db[collection].find({"archive.status": status}).limit(BATCH)
        async for doc in cursor:
            retry_at = doc.get("archive", {}).get("next_attempt_at")
            if doc.get("content_deleted_at") is None and (retry_at is None or retry_at <= moment):
                yield doc


async def archive_due(
    store: MongoStore, archive: Archive, settings: DocumentsSettings, now: datetime | None = None
) -> int:
    """Hand every due item to the archive once; the number filed."""
    moment = now or utcnow()
    filed = 0
    for item, collection in (("note", NOTES), ("document", DOCUMENTS)):
        async for doc in _due(store, collection, moment):
            attempts = int(doc.get("archive", {}).get("attempts", 0)) + 1
            try:
                package = await _package(store, item, doc)
                receipt = await asyncio.to_thread(archive.file, package)
            except Exception as error:
                log.warning("archive hand-off of %s %s failed: %s", item, doc["_id"], error)
                await store.db[collection].update_one(
                    {"_id": doc["_id"], "archive.status": {"$ne": "filed"}},
                    {
                        "$set": {
                            "archive.status": "failed",
                            "archive.reason": str(error)[:500],
                            "archive.attempts": attempts,
                            "archive.next_attempt_at": moment + _backoff(attempts, settings),
                        },
                        "$inc": {"version": 1},
                    },
                )
                continue
            await store.db[collection].update_one(
                {"_id": doc["_id"], "archive.status": {"$ne": "filed"}},
                {
                    "$set": {
                        "archive.status": "filed",
                        "archive.receipt": receipt.journal_number,
                        "archive.filed_at": receipt.filed_at,
                        "archive.reason": "",
                        "archive.attempts": attempts,
                        "archive.next_attempt_at": None,
                    },
                    "$inc": {"version": 1},
                },
            )
            filed += 1
    return filed


async def keep_archiving(
    store: MongoStore,
    settings: DocumentsSettings,
    before: Callable[[MongoStore], Awaitable[int]] | None = None,
) -> None:
    """The archiver: hand due items over, every interval, for as long as the service runs
    (after `before`, e.g. rendering the letters that become finals)."""
    archive = FolderArchive(settings.archive_dir)
    while True:
        try:
            if before is not None:
                await before(store)
            await archive_due(store, archive, settings)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("archive round failed")
        await asyncio.sleep(settings.archive_interval_s)
