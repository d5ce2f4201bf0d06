"""`vias documents ...`: the case record: journal, notes, files, templates, finals, retention."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from google.protobuf.json_format import MessageToDict

from services.cli.pages import every_page_of
from services.kernel.paging import MAX_PAGE_SIZE
from vias.documents.v1 import documents_pb2, documents_pb2_grpc

if TYPE_CHECKING:
    from services.cli.main import Client

UPLOAD_CHUNK = 256 * 1024


def _stub(client: Client) -> documents_pb2_grpc.DocumentsServiceStub:
    return documents_pb2_grpc.DocumentsServiceStub(client.channel("documents"))


async def get_journal(args: argparse.Namespace, client: Client) -> Any:
    """Every page of a case's or an inquiry's journal, newest first."""
    request = documents_pb2.GetJournalRequest(
        case_id=args.case or "", inquiry_id=args.inquiry or "", page_size=MAX_PAGE_SIZE
    )
    return await every_page_of(client, _stub(client).GetJournal, request, "entries")


async def journal_document(args: argparse.Namespace, client: Client) -> Any:
    request = documents_pb2.JournalDocumentRequest(
        case_id=args.case,
        inquiry_id=args.inquiry,
        kind=args.kind,
        title=args.title,
        reference=args.reference or "",
        sent_to=args.sent_to,
    )
    return await client.call(_stub(client).JournalDocument, request)


async def write_note(args: argparse.Namespace, client: Client) -> Any:
    request = documents_pb2.WriteNoteRequest(
        case_id=args.case,
        category=args.category,
        occurred_at=args.occurred_at or "",
        text=args.text,
        corrects_note_id=args.corrects or "",
    )
    return await client.call(_stub(client).WriteNote, request)


async def get_note(args: argparse.Namespace, client: Client) -> Any:
    return await client.call(_stub(client).GetNote, documents_pb2.GetNoteRequest(note_id=args.id))


def _upload_requests(header: documents_pb2.UploadHeader, path: Path) -> Iterator[Any]:
    yield documents_pb2.UploadDocumentRequest(header=header)
    with path.open("rb") as file:
        while block := file.read(UPLOAD_CHUNK):
            yield documents_pb2.UploadDocumentRequest(chunk=block)


async def upload(args: argparse.Namespace, client: Client) -> Any:
    path = Path(args.file)
    header = documents_pb2.UploadHeader(
        case_id=args.case or "",
        kind=args.kind or "",
        title=args.title or "",
        filename=path.name,
        document_id=args.document or "",
        expected_version=args.expected_version or 0,
        supersedes_document_id=args.supersedes or "",
    )
    return await client.call(_stub(client).UploadDocument, _upload_requests(header, path))


async def download(args: argparse.Namespace, client: Client) -> Any:
    request = documents_pb2.DownloadDocumentRequest(document_id=args.id, version=args.version)
    parts = _stub(client).DownloadDocument(
        request, metadata=client.metadata, timeout=client.timeout
    )
    metadata, data, out = None, bytearray(), Path(args.out)
    async for part in parts:
        if part.WhichOneof("part") == "metadata":
            metadata = part.metadata
        else:
            data += part.chunk
    await asyncio.to_thread(out.write_bytes, bytes(data))
    return {"written": str(out), "version": MessageToDict(metadata) if metadata else {}}


def _fields(pairs: list[str]) -> dict[str, str]:
    return {name: value for name, _, value in (p.partition("=") for p in pairs)}


async def render(args: argparse.Namespace, client: Client) -> Any:
    request = documents_pb2.RenderDocumentRequest(
        case_id=args.case or "",
        template=args.template,
        fields=_fields(args.field),
        recommendations=args.recommendation,
        further_recommendations=args.further or "",
        document_id=args.document or "",
        expected_version=args.expected_version or 0,
        format=args.format,
    )
    return await client.call(_stub(client).RenderDocument, request)


async def finalise(args: argparse.Namespace, client: Client) -> Any:
    request = documents_pb2.FinaliseDocumentRequest(
        document_id=args.id,
        expected_version=args.expected_version,
        sent_to=args.sent_to,
        annex_document_ids=args.annex,
    )
    return await client.call(_stub(client).FinaliseDocument, request)


async def show(args: argparse.Namespace, client: Client) -> Any:
    request = documents_pb2.GetDocumentRequest(document_id=args.id)
    return await client.call(_stub(client).GetDocument, request)


async def list_documents(args: argparse.Namespace, client: Client) -> Any:
    request = documents_pb2.ListDocumentsRequest(case_id=args.case, page_size=MAX_PAGE_SIZE)
    return await every_page_of(client, _stub(client).ListDocuments, request, "documents")


async def templates(args: argparse.Namespace, client: Client) -> Any:
    request = documents_pb2.ListTemplatesRequest(service=args.service or "")
    return await client.call(_stub(client).ListTemplates, request)


async def retention(args: argparse.Namespace, client: Client) -> Any:
    request = documents_pb2.ApplyRetentionRequest(as_of=args.as_of or "")
    return await client.call(_stub(client).ApplyRetention, request)


def add_commands(sub: Any) -> None:
    """The documents commands."""
    documents = sub.add_parser("documents", help="the case record")
    actions = documents.add_subparsers(dest="action", required=True)
    journal = actions.add_parser("journal", help="a case's or an inquiry's journal, newest first")
    scope = journal.add_mutually_exclusive_group(required=True)
    scope.add_argument("--case")
    scope.add_argument("--inquiry")
    journal.set_defaults(call=get_journal)
    add = actions.add_parser("add", help="journal a document kept elsewhere by its reference")
    add.add_argument("--case", required=True)
    add.add_argument("--inquiry", required=True)
    add.add_argument("--kind", required=True, help="e.g. closing_summary_note, letter")
    add.add_argument("--title", required=True)
    add.add_argument("--reference", help="where it is kept, e.g. its F2 number")
    add.add_argument("--sent-to", action="append", default=[], help="a recipient; repeatable")
    add.set_defaults(call=journal_document)
    note = actions.add_parser("note", help="write a note on a case (or correct one)")
    note.add_argument("--case", required=True)
    note.add_argument(
        "--category",
        default="other",
        choices=["phone_call", "meeting", "decision", "email", "observation", "other"],
    )
    note.add_argument("--occurred-at", help="RFC 3339; default now")
    note.add_argument("--corrects", help="the note this one corrects")
    note.add_argument("text")
    note.set_defaults(call=write_note)
    read_note = actions.add_parser("read-note", help="one note (audited)")
    read_note.add_argument("id")
    read_note.set_defaults(call=get_note)
    up = actions.add_parser("upload", help="upload a file as a draft (or a draft's next version)")
    up.add_argument("file")
    up.add_argument("--case")
    up.add_argument("--kind")
    up.add_argument("--title")
    up.add_argument("--document", help="the draft to add a version to")
    up.add_argument("--expected-version", type=int)
    up.add_argument("--supersedes", help="the final this new document replaces")
    up.set_defaults(call=upload)
    down = actions.add_parser("download", help="download a version of a document")
    down.add_argument("id")
    down.add_argument("--version", type=int, default=0, help="default: the newest")
    down.add_argument("--out", required=True)
    down.set_defaults(call=download)
    ren = actions.add_parser("render", help="render a Danish template as a draft")
    ren.add_argument("--case")
    ren.add_argument("--template", required=True, help="see `vias documents templates`")
    ren.add_argument("--field", action="append", default=[], help="name=value; repeatable")
    ren.add_argument(
        "--recommendation", action="append", default=[], help="in priority order; at most 7"
    )
    ren.add_argument("--further", help="further recommendations, as prose")
    ren.add_argument("--document", help="the draft to add a version to")
    ren.add_argument("--expected-version", type=int)
    ren.add_argument("--format", choices=["pdf", "docx"], default="pdf")
    ren.set_defaults(call=render)
    fin = actions.add_parser("finalise", help="lock a draft as final, journal and archive it")
    fin.add_argument("id")
    fin.add_argument("--expected-version", type=int, required=True)
    fin.add_argument("--sent-to", action="append", default=[])
    fin.add_argument("--annex", action="append", default=[], help="a final's id; repeatable")
    fin.set_defaults(call=finalise)
    shown = actions.add_parser("show", help="a document's versions and archive state")
    shown.add_argument("id")
    shown.set_defaults(call=show)
    listed = actions.add_parser("list", help="a case's documents, newest first")
    listed.add_argument("--case", required=True)
    listed.set_defaults(call=list_documents)
    tmpl = actions.add_parser("templates", help="the templates, per advisory service")
    tmpl.add_argument("--service")
    tmpl.set_defaults(call=templates)
    ret = actions.add_parser("retention", help="manager: delete content past retention")
    ret.add_argument("--as-of")
    ret.set_defaults(call=retention)
