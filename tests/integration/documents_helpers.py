"""Making documents the way the handbook says, for tests that need a final one."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from pypdf import PdfReader

from tests.support import DEADLINE, Clients, eventually
from vias.documents.v1 import documents_pb2

T = TypeVar("T")


async def once_known(call: Callable[[], Awaitable[T]]) -> T:
    """The call's reply, retried while documents answers NOT_FOUND because it has not yet heard
    of the case from the other services' events."""

    async def attempt() -> T | None:
        try:
            return await call()
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
            return None

    return await eventually(attempt)


async def final_advisory_report(
    clients: Clients, case_id: str, metadata: list[tuple[str, str]], *, sent: bool = True
) -> Any:
    """The advisory report made as the handbook says: the closing meeting's summary note
    rendered and finalised, the report rendered as a draft and finalised with the note as its
    annex (retried while documents has not yet heard of the case)."""
    docs = clients.documents
    sent_to = ["Odense Kommune"] if sent else []

    async def rendered(template: str, **extra: Any) -> Any:
        request = documents_pb2.RenderDocumentRequest(case_id=case_id, template=template, **extra)
        return await once_known(
            lambda: docs.RenderDocument(request, metadata=metadata, timeout=DEADLINE)
        )

    note = await rendered("closing_summary", fields={"summary": "Målene er gennemgået."})
    note = await docs.FinaliseDocument(
        documents_pb2.FinaliseDocumentRequest(
            document_id=note.document_id, expected_version=1, sent_to=sent_to
        ),
        metadata=metadata,
        timeout=DEADLINE,
    )
    report = await rendered("advisory_report", recommendations=["Fast struktur i hverdagen."])
    return await docs.FinaliseDocument(
        documents_pb2.FinaliseDocumentRequest(
            document_id=report.document_id,
            expected_version=1,
            sent_to=sent_to,
            annex_document_ids=[note.document_id],
        ),
        metadata=metadata,
        timeout=DEADLINE,
    )


async def downloaded(clients: Clients, document_id: str, metadata: Any, version: int = 0) -> bytes:
    """A document version's bytes, as DownloadDocument streams them."""
    data = bytearray()
    async for part in clients.documents.DownloadDocument(
        documents_pb2.DownloadDocumentRequest(document_id=document_id, version=version),
        metadata=metadata,
        timeout=DEADLINE,
    ):
        if part.WhichOneof("part") == "chunk":
            data += part.chunk
    return bytes(data)


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
