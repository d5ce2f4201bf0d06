"""The rendered document a message carries, fetched from documents with a service token at the
moment it is sent (checked against its checksum by documents), to attach to the e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc

from services.kernel.auth import Peer, ServiceCredentials
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
        self.documents = Peer(address, documents_pb2_grpc.DocumentsServiceStub, credentials)
        self.timeout_s = timeout_s

    async def fetch(self, document_id: str) -> Attachment:
        """The newest version of the document; raises RuntimeError (the try fails and is
        retried) while documents cannot give it, e.g. before a letter is rendered."""
        meta: Any = None
        data = bytearray()
        try:
            async for part in self.documents.stub.DownloadDocument(
                documents_pb2.DownloadDocumentRequest(document_id=document_id),
                metadata=await self.documents.metadata(),
                timeout=self.timeout_s,
            ):
                if part.WhichOneof("part") == "metadata":
                    meta = part.metadata
                else:
                    data += part.chunk
        except grpc.aio.AioRpcError as error:
            code = self.documents.refused(error)
            raise RuntimeError(
                f"documents answered {code.name} for document {document_id}"
            ) from None
        if meta is None:
            raise RuntimeError(f"documents sent no metadata for document {document_id}")
        return Attachment(meta.filename, meta.content_type, bytes(data))
