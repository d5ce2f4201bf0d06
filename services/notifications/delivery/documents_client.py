"""The rendered document a message carries, fetched from documents with a service token at the
moment it is sent (checked against its checksum by documents), to attach to the e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc

from services.kernel.auth import ServiceCredentials, bearer
from vias.documents.v1 import documents_pb2, documents_pb2_grpc


@dataclass(frozen=True)
class Attachment:
    """A file to attach."""

    filename: str
    content_type: str
    data: bytes


class DocumentsFetcher:
    """Documents' DownloadDocument over one channel, opened on first use."""

    def __init__(self, address: str, credentials: ServiceCredentials, *, timeout_s: float = 30.0):
        self.address = address
        self.credentials = credentials
        self.timeout_s = timeout_s
        self._stub: Any = None

    async def fetch(self, document_id: str) -> Attachment:
        """The newest version of the document; raises RuntimeError (the try fails and is
        retried) while documents cannot give it, e.g. before a letter is rendered."""
        if self._stub is None:
            channel = grpc.aio.insecure_channel(self.address)
            self._stub = documents_pb2_grpc.DocumentsServiceStub(channel)  # type: ignore[no-untyped-call]
        meta: Any = None
        data = bytearray()
        try:
            async for part in self._stub.DownloadDocument(
                documents_pb2.DownloadDocumentRequest(document_id=document_id),
                metadata=await bearer(self.credentials),
                timeout=self.timeout_s,
            ):
                if part.WhichOneof("part") == "metadata":
                    meta = part.metadata
                else:
                    data += part.chunk
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.UNAUTHENTICATED:
                self.credentials.forget()
            raise RuntimeError(
                f"documents answered {error.code().name} for document {document_id}"
            ) from None
        if meta is None:
            raise RuntimeError(f"documents sent no metadata for document {document_id}")
        return Attachment(meta.filename, meta.content_type, bytes(data))
