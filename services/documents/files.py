"""Files in GridFS (documents' own database, bucket `files`).

GridFS cannot take part in a transaction, so a file is written first and the document that
refers to it after, in a transaction; a file whose transaction never committed (a crash in
between) is an orphan, which `delete_orphans` removes once it is older than a grace period. An
upload is spooled and checked (size, type) before anything reaches GridFS, so a refused or
broken-off upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from bson import ObjectId
from gridfs import AsyncGridFSBucket, NoFile
from pymongo.asynchronous.database import AsyncDatabase

from services.documents import content
from services.kernel.envelope import utcnow
from services.kernel.errors import DomainError, InvalidInput

BUCKET = "files"
CHUNK_BYTES = 255 * 1024
SPOOL_IN_MEMORY = 1024 * 1024
HEAD_BYTES = 8192


class TooLarge(DomainError):
    """The upload exceeds the size limit (RESOURCE_EXHAUSTED)."""


class Corrupted(DomainError):
    """Stored bytes no longer match their checksum (DATA_LOSS)."""


@dataclass(frozen=True)
class Spooled:
    """An upload received whole and checked, not yet stored."""

    spool: IO[bytes]
    size: int
    sha256: str
    content_type: str


def limit_text(limit: int) -> str:
    """The size limit as a person reads it."""
    return f"{limit / (1024 * 1024):.1f} MiB ({limit} bytes)" if limit >= 1024 else f"{limit} B"


async def spool(chunks: AsyncIterator[bytes], *, limit: int, allowed: tuple[str, ...]) -> Spooled:
    """Receive every chunk into a spool, counting and hashing; refuse an upload over the limit
    as soon as it passes it, an empty one, and one whose detected type is not allowed."""
    digest = hashlib.sha256()
    size = 0
    file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"the file is larger than the limit of {limit_text(limit)}")
            digest.update(chunk)
            file.write(chunk)
        if size == 0:
            raise InvalidInput.single("chunk", "the upload carried no bytes")
        file.seek(0)
        head = file.read(HEAD_BYTES)
        whole = None
        if head.startswith(b"PK\x03\x04"):
            file.seek(0)
            whole = file.read()
        detected = content.detect(head, whole)
        if detected not in allowed:
            raise InvalidInput.single(
                "chunk",
                f"content type {detected} (detected from the bytes) is not allowed; allowed: "
                f"{', '.join(allowed)}",
            )
        file.seek(0)
        return Spooled(file, size, digest.hexdigest(), detected)
    except BaseException:
        file.close()
        raise


def bucket(db: AsyncDatabase[Any]) -> AsyncGridFSBucket:
    """Documents' GridFS bucket."""
    return AsyncGridFSBucket(db, bucket_name=BUCKET, chunk_size_bytes=CHUNK_BYTES)


async def store(
    db: AsyncDatabase[Any], data: bytes | IO[bytes], *, filename: str, metadata: dict[str, Any]
) -> str:
    """Write a file to GridFS; its id. A write that fails part-way is removed."""
    upload = bucket(db).open_upload_stream(filename, metadata=metadata)
    try:
        if isinstance(data, bytes):
            await upload.write(data)
        else:
            while block := data.read(CHUNK_BYTES):
                await upload.write(block)
    except BaseException:
        await upload.abort()
        raise
    await upload.close()
    return str(upload._id)


async def delete(db: AsyncDatabase[Any], file_id: str) -> bool:
    """Remove a file; whether it was there."""
    try:
        await bucket(db).delete(ObjectId(file_id))
    except NoFile:
        return False
    return True


async def read_chunks(
    db: AsyncDatabase[Any], file_id: str, *, sha256: str, size: int
) -> AsyncIterator[bytes]:
    """The file's bytes in chunks; raises Corrupted before the last chunk when they do not
    match the stored checksum and size."""
    digest = hashlib.sha256()
    seen = 0
    stream = await bucket(db).open_download_stream(ObjectId(file_id))
    pending: bytes | None = None
    while block := await stream.read(CHUNK_BYTES):
        digest.update(block)
        seen += len(block)
        if pending is not None:
            yield pending
        pending = block
    if seen != size or digest.hexdigest() != sha256:
        raise Corrupted(f"file {file_id} does not match its checksum; it is not sent")
    if pending is not None:
        yield pending


async def read_all(db: AsyncDatabase[Any], file_id: str, *, sha256: str, size: int) -> bytes:
    """The whole file, checked against its checksum."""
    return b"".join([block async for block in read_chunks(db, file_id, sha256=sha256, size=size)])


def checksum(data: bytes) -> str:
    """Hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


async def delete_orphans(
    db: AsyncDatabase[Any], referenced: set[str], *, grace: timedelta, now: datetime | None = None
) -> int:
    """Delete files older than the grace period that no document refers to."""
    cutoff = (now or utcnow()) - grace
    deleted = 0
    async for doc in db[f"{BUCKET}.files"].find({"uploadDate": {"$lt": cutoff}}, {"_id": 1}):
        if str(doc["_id"]) not in referenced and await delete(db, str(doc["_id"])):
            deleted += 1
    return deleted
