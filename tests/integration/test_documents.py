"""The case record over gRPC on the real database and broker: notes and their corrections, files
uploaded in chunks to GridFS and downloaded byte-identical, refusals that store nothing, an
advisory report rendered from its Danish template and finalised with its annex, the journal for
the case's own supplier only, the archive hand-off filed once, and retention's tombstones."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from pypdf import PdfReader

from tests.integration.caseflow_helpers import (
    Flow,
    Suppliers,
    form,
    handed_single_case,
    registered_case,
)
from tests.integration.documents_helpers import downloaded, final_advisory_report, once_known
from tests.integration.test_course_end_to_end import today
from tests.integration.visitation_helpers import staff, supplier_staff
from tests.support import DEADLINE, Clients, eventually, vias_command
from vias.documents.v1 import documents_pb2 as dpb
from vias.intake.v1 import intake_pb2
from vias.notifications.v1 import notifications_pb2 as npb
from vias.visitation.v1 import visitation_pb2 as pb

MIB = 1024 * 1024
CHUNK = 256 * 1024


@pytest.fixture(scope="module")
async def flow(clients: Clients, suppliers: Suppliers) -> Flow:
    """One single-case course handed to the main supplier."""
    return await handed_single_case(Flow(clients, suppliers))


def upload_requests(header: dpb.UploadHeader, data: bytes) -> Iterator[dpb.UploadDocumentRequest]:
    yield dpb.UploadDocumentRequest(header=header)
    for start in range(0, len(data), CHUNK):
        yield dpb.UploadDocumentRequest(chunk=data[start : start + CHUNK])


async def upload(
    clients: Clients, header: dpb.UploadHeader, data: bytes, metadata: Sequence[tuple[str, str]]
) -> dpb.Document:
    reply: dpb.Document = await once_known(
        lambda: clients.documents.UploadDocument(
            upload_requests(header, data), metadata=metadata, timeout=DEADLINE
        )
    )
    return reply


async def download(
    clients: Clients, document_id: str, metadata: Sequence[tuple[str, str]], version: int = 0
) -> tuple[dpb.DocumentVersion, bytes]:
    parts = clients.documents.DownloadDocument(
        dpb.DownloadDocumentRequest(document_id=document_id, version=version),
        metadata=metadata,
        timeout=DEADLINE,
    )
    meta = None
    data = bytearray()
    async for part in parts:
        if part.WhichOneof("part") == "metadata":
            meta = part.metadata
        else:
            data += part.chunk
    assert meta is not None
    return meta, bytes(data)


def docx_bytes(text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", f"<w:document>{text}</w:document>")
    return out.getvalue()


async def gridfs_files(clients: Clients) -> tuple[int, int]:
    """Files and chunks in GridFS apart from the letters the worker renders meanwhile."""
    db = clients.db("documents")
    uploads = {"metadata.letter": {"$exists": False}}
    ids = [f["_id"] for f in await db["files.files"].find(uploads, {"_id": 1}).to_list()]
    return len(ids), await db["files.chunks"].count_documents({"files_id": {"$in": ids}})


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def test_a_note_and_its_correction_are_both_in_the_journal_and_the_consultant_hears_of_it(
    clients: Clients, flow: Flow
) -> None:
    docs = clients.documents
    first = await once_known(lambda: _note(clients, flow, "Ringede til PPR om skoleskift."))
    assert first.version == 1 and first.author_role == "specialist"
    fixed = await docs.WriteNote(
        dpb.WriteNoteRequest(
            case_id=flow.case_id,
            category="phone_call",
            text="Ringede til PPR om skoleskift til august.",
            corrects_note_id=first.note_id,
        ),
        metadata=flow.as_specialist(),
        timeout=DEADLINE,
    )
    assert (fixed.version, fixed.corrects_note_id) == (2, first.note_id)
    original = await docs.GetNote(
        dpb.GetNoteRequest(note_id=first.note_id), metadata=flow.as_consultant(), timeout=DEADLINE
    )
    assert original.text == "Ringede til PPR om skoleskift."
    assert original.corrected_by_note_id == fixed.note_id

    with pytest.raises(grpc.aio.AioRpcError) as twice:
        await docs.WriteNote(
            dpb.WriteNoteRequest(
                case_id=flow.case_id, category="other", text="x", corrects_note_id=first.note_id
            ),
            metadata=flow.as_consultant(),
            timeout=DEADLINE,
        )
    assert twice.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    journal = await docs.GetJournal(
        dpb.GetJournalRequest(case_id=flow.case_id),
        metadata=flow.as_specialist(),
        timeout=DEADLINE,
    )
    noted = [(e.kind, e.note_id) for e in journal.entries if e.note_id]
    assert noted[:2] == [("note_correction", fixed.note_id), ("note", first.note_id)]

    audit = clients.db("documents")["audit_trail"]
    assert await audit.count_documents({"item_id": first.note_id, "call": "GetNote"}) == 1

    async def notified(metadata: Sequence[tuple[str, str]]) -> set[str]:
        listed = await clients.notifications.ListNotices(
            npb.ListNoticesRequest(case_id=flow.case_id), metadata=metadata, timeout=DEADLINE
        )
        return {n.subject_id for n in listed.notices if n.kind == "case_note"}

    async def consultant_told() -> bool:
        return {first.note_id, fixed.note_id} <= await notified(flow.as_consultant())

    await eventually(consultant_told)
    assert not await notified(flow.as_specialist()), "the author is not notified"

    events = await clients.db("documents").outbox.find({"type": "NoteWritten"}).to_list()
    mine = [json.loads(e["value"])["payload"] for e in events]
    mine = [p for p in mine if p["note_id"] == first.note_id]
    assert mine[0]["notify_user_ids"] == [flow.consultant]
    assert "text" not in mine[0]


async def _note(clients: Clients, flow: Flow, text: str) -> Any:
    return await clients.documents.WriteNote(
        dpb.WriteNoteRequest(case_id=flow.case_id, category="phone_call", text=text),
        metadata=flow.as_specialist(),
        timeout=DEADLINE,
    )


async def test_five_megabytes_uploaded_in_chunks_download_byte_identical_with_the_checksum(
    clients: Clients, flow: Flow
) -> None:
    data = b"%PDF-1.7\n" + os.urandom(5 * MIB)
    header = dpb.UploadHeader(
        case_id=flow.case_id,
        kind="other",
        title="Skoleudtalelse",
        filename="../../etc/udtalelse.pdf",
    )
    stored = await upload(clients, header, data, flow.as_specialist())
    [version] = stored.versions
    assert (version.size, version.content_type) == (len(data), "application/pdf")
    assert version.filename == "udtalelse.pdf"
    assert stored.title == "Skoleudtalelse (udkast)" and stored.status == "draft"
    meta, got = await download(clients, stored.document_id, flow.as_consultant())
    assert got == data
    assert meta.sha256 == hashlib.sha256(got).hexdigest() == version.sha256


async def test_an_oversize_and_a_disallowed_upload_leave_nothing_in_gridfs(
    clients: Clients, flow: Flow
) -> None:
    await upload(  # documents knows the case
        clients,
        dpb.UploadHeader(case_id=flow.case_id, kind="other", title="t", filename="a.txt"),
        "Første linje\n".encode(),
        flow.as_specialist(),
    )
    before = await gridfs_files(clients)
    header = dpb.UploadHeader(case_id=flow.case_id, kind="other", title="Stor", filename="s.pdf")
    with pytest.raises(grpc.aio.AioRpcError) as big:
        await clients.documents.UploadDocument(
            upload_requests(header, b"%PDF-" + bytes(9 * MIB)),
            metadata=flow.as_specialist(),
            timeout=DEADLINE,
        )
    assert big.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "8.0 MiB" in (big.value.details() or "")
    header = dpb.UploadHeader(case_id=flow.case_id, kind="other", title="Prg", filename="x.pdf")
    with pytest.raises(grpc.aio.AioRpcError) as exe:
        await clients.documents.UploadDocument(
            upload_requests(header, b"MZ\x90\x00" + bytes(4096)),
            metadata=flow.as_specialist(),
            timeout=DEADLINE,
        )
    assert exe.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "application/octet-stream" in (exe.value.details() or "")
    assert await gridfs_files(clients) == before


async def test_a_draft_gets_versions_and_a_final_is_locked(clients: Clients, flow: Flow) -> None:
    header = dpb.UploadHeader(
        case_id=flow.case_id, kind="assessment_report", title="Udredning - udkast", filename="u"
    )
    draft = await upload(clients, header, docx_bytes("v1"), flow.as_specialist())
    assert draft.versions[0].content_type.endswith("wordprocessingml.document")
    assert draft.versions[0].filename == "u.docx" and draft.title == "Udredning (udkast)"
    nxt = dpb.UploadHeader(document_id=draft.document_id, expected_version=1, filename="u.docx")
    second = await upload(clients, nxt, docx_bytes("v2"), flow.as_specialist())
    assert second.version == 2
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await clients.documents.UploadDocument(
            upload_requests(nxt, docx_bytes("v3")), metadata=flow.as_specialist(), timeout=DEADLINE
        )
    assert stale.value.code() == grpc.StatusCode.ABORTED
    final = await clients.documents.FinaliseDocument(
        dpb.FinaliseDocumentRequest(document_id=draft.document_id, expected_version=2),
        metadata=flow.as_specialist(),
        timeout=DEADLINE,
    )
    assert (final.status, final.title) == ("final", "Udredning")
    locked = dpb.UploadHeader(document_id=draft.document_id, expected_version=2, filename="u.docx")
    with pytest.raises(grpc.aio.AioRpcError) as after:
        await clients.documents.UploadDocument(
            upload_requests(locked, docx_bytes("v3")),
            metadata=flow.as_specialist(),
            timeout=DEADLINE,
        )
    assert after.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "supersedes" in (after.value.details() or "")


async def test_the_final_advisory_report_is_a_pdf_with_the_case_data_and_its_annex(
    clients: Clients, flow: Flow
) -> None:
    docs = clients.documents
    with pytest.raises(grpc.aio.AioRpcError) as eight:
        await docs.RenderDocument(
            dpb.RenderDocumentRequest(
                case_id=flow.case_id,
                template="advisory_report",
                recommendations=[f"Anbefaling {n}" for n in range(8)],
            ),
            metadata=flow.as_specialist(),
            timeout=DEADLINE,
        )
    assert eight.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "at most 7" in (eight.value.details() or "")
    draft = await docs.RenderDocument(
        dpb.RenderDocumentRequest(
            case_id=flow.case_id,
            template="advisory_report",
            fields={"background": "Drengen trives ikke i skolen."},
            recommendations=["Fast voksen i frikvarteret.", "Visuel dagsplan."],
            further_recommendations="Forældrene inddrages løbende.",
        ),
        metadata=flow.as_specialist(),
        timeout=DEADLINE,
    )
    _, draft_pdf = await download(clients, draft.document_id, flow.as_specialist())
    assert "udkast" in pdf_text(draft_pdf)
    with pytest.raises(grpc.aio.AioRpcError) as no_annex:
        await docs.FinaliseDocument(
            dpb.FinaliseDocumentRequest(document_id=draft.document_id, expected_version=1),
            metadata=flow.as_specialist(),
            timeout=DEADLINE,
        )
    assert no_annex.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    final = await final_advisory_report(clients, flow.case_id, flow.as_specialist())
    assert final.status == "final" and final.title == "Rådgivningsrapport"
    _, pdf = await download(clients, final.document_id, flow.as_consultant())
    text = pdf_text(pdf)
    assert "Rådgivningsrapport" in text and flow.case_id in text
    assert "1. Fast struktur i hverdagen." in text
    assert "Rådgivningsforløb i en enkeltsag" in text
    assert "Opsamling fra det afsluttende møde" in text  # the annex's pages
    assert "udkast" not in text.lower()


async def test_the_journal_is_for_the_cases_own_supplier_only(
    clients: Clients, flow: Flow, suppliers: Suppliers
) -> None:
    theirs = supplier_staff(clients, suppliers.specialist(suppliers.theme), suppliers.theme)
    mine = await clients.documents.GetJournal(
        dpb.GetJournalRequest(case_id=flow.case_id, page_size=2),
        metadata=flow.as_specialist(),
        timeout=DEADLINE,
    )
    assert len(mine.entries) == 2 and mine.next_page_token
    rest = await clients.documents.GetJournal(
        dpb.GetJournalRequest(case_id=flow.case_id, page_token=mine.next_page_token),
        metadata=flow.as_specialist(),
        timeout=DEADLINE,
    )
    times = [e.recorded_at.ToDatetime() for e in [*mine.entries, *rest.entries]]
    assert times == sorted(times, reverse=True)
    assert not {e.entry_id for e in mine.entries} & {e.entry_id for e in rest.entries}
    for request in (
        dpb.GetJournalRequest(case_id=flow.case_id),
        dpb.GetJournalRequest(inquiry_id=flow.inquiry_id),
        dpb.GetJournalRequest(case_id="no-such-case"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as hidden:
            await clients.documents.GetJournal(request, metadata=theirs, timeout=DEADLINE)
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    listed = await clients.documents.ListDocuments(
        dpb.ListDocumentsRequest(case_id=flow.case_id),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )
    with pytest.raises(grpc.aio.AioRpcError) as hidden_doc:
        await clients.documents.GetDocument(
            dpb.GetDocumentRequest(document_id=listed.documents[0].document_id),
            metadata=theirs,
            timeout=DEADLINE,
        )
    assert hidden_doc.value.code() == grpc.StatusCode.NOT_FOUND


async def test_an_archive_package_is_filed_once_per_final_even_when_the_hand_off_is_retried(
    clients: Clients, flow: Flow
) -> None:
    final = await final_advisory_report(clients, flow.case_id, flow.as_consultant())
    docs = clients.documents

    async def filed() -> Any:
        found = await docs.GetDocument(
            dpb.GetDocumentRequest(document_id=final.document_id),
            metadata=flow.as_consultant(),
            timeout=DEADLINE,
        )
        return found if found.archive.status == "filed" else None

    first = await eventually(filed)
    folder = clients.platform.var_dir / "archive"
    package = folder / f"document-{final.document_id}"
    metadata = json.loads((package / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["case_id"] == flow.case_id and metadata["document_type"] == "advisory_report"
    assert metadata["sha256"] == final.versions[-1].sha256
    filed_bytes = (package / final.versions[-1].filename).read_bytes()
    _, downloaded = await download(clients, final.document_id, flow.as_consultant())
    assert filed_bytes == downloaded

    # The archiver crashed after filing, before recording the receipt: it tries again.
    await clients.db("documents").documents.update_one(
        {"_id": final.document_id},
        {"$set": {"archive.status": "pending", "archive.receipt": ""}},
    )
    again = await eventually(filed)
    assert again.archive.receipt == first.archive.receipt
    assert [p.name for p in folder.iterdir() if final.document_id in p.name] == [package.name]


async def test_the_letters_of_an_assignment_are_rendered_from_the_templates_as_finals(
    clients: Clients, suppliers: Suppliers
) -> None:
    flow = Flow(clients, suppliers)
    await registered_case(flow, form("single_case"))
    db = clients.db("documents")

    async def letters() -> list[dict[str, Any]]:
        query = {"inquiry_id": flow.inquiry_id, "kind": "letter", "status": "final"}
        found: list[dict[str, Any]] = await db.documents.find(query).to_list()
        return found if len(found) >= 2 else []

    found = await eventually(letters)
    titles = sorted(d["title"].split(" til ")[0] for d in found)
    assert {"Kvitteringsbrev", "Persondatabrev"} <= set(titles)
    receipt = next(d for d in found if d["title"].startswith("Kvitteringsbrev"))
    _, pdf = await download(clients, receipt["_id"], flow.as_consultant())
    text = pdf_text(pdf)
    assert "Kvitteringsbrev" in text and "Kære" in text and flow.inquiry_id in text
    assert "Karen Konsulent" in text
    with pytest.raises(grpc.aio.AioRpcError) as hidden:
        await download(clients, receipt["_id"], flow.as_specialist())
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND


async def test_the_readme_walk_through_from_the_command_line(
    clients: Clients, flow: Flow, tmp_path: Path
) -> None:
    supplier = flow.supplier_id
    specialist = flow.suppliers.specialist(supplier)
    me = ("--as-user", specialist, "--as-role", "specialist", "--as-supplier", supplier)

    def run(*args: str) -> Any:
        done = vias_command(clients.platform, *me, "documents", *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def run_async(*args: str) -> Any:
        return asyncio.to_thread(run, *args)

    note = await run_async(
        "note", "--case", flow.case_id, "--category", "meeting", "Afklarende møde holdt."
    )
    assert note["version"] == 1
    scan = tmp_path / "udtalelse.txt"
    scan.write_text("Udtalelse fra skolen.\n", encoding="utf-8")
    uploaded = await run_async(
        "upload", str(scan), "--case", flow.case_id, "--kind", "other", "--title", "Udtalelse"
    )
    assert uploaded["versions"][0]["content_type"] == "text/plain"
    summary = await run_async(
        "render",
        "--case",
        flow.case_id,
        "--template",
        "closing_summary",
        "--field",
        "summary=Målene er nået.",
    )
    summary = await run_async("finalise", summary["document_id"], "--expected-version", "1")
    report = await run_async(
        "render",
        "--case",
        flow.case_id,
        "--template",
        "advisory_report",
        "--recommendation",
        "Fast voksen i frikvarteret.",
    )
    final = await run_async(
        "finalise",
        report["document_id"],
        "--expected-version",
        "1",
        "--annex",
        summary["document_id"],
        "--sent-to",
        "Odense Kommune",
    )
    assert final["status"] == "final"
    out = tmp_path / "rapport.pdf"
    await run_async("download", final["document_id"], "--out", str(out))
    assert "Fast voksen i frikvarteret." in pdf_text(out.read_bytes())

    async def filed() -> Any:
        shown = await run_async("show", final["document_id"])
        return shown if shown["archive"]["status"] == "filed" else None

    shown = await eventually(filed)
    package = clients.platform.var_dir / "archive" / f"document-{final['document_id']}"
    receipt = json.loads((package / "receipt.json").read_text(encoding="utf-8"))
    assert receipt["journal_number"] == shown["archive"]["receipt"]
    journal = await run_async("journal", "--case", flow.case_id)
    assert note["note_id"] in {e.get("note_id") for e in journal["entries"]}


async def test_a_case_past_retention_loses_its_content_and_keeps_tombstones(
    clients: Clients, suppliers: Suppliers
) -> None:
    flow = Flow(clients, suppliers)
    await registered_case(flow, form("single_case"))
    note = await once_known(lambda: _note_by(clients, flow, flow.as_consultant()))
    letter = await clients.documents.RenderDocument(
        dpb.RenderDocumentRequest(case_id=flow.case_id, template="clarifying_invitation"),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )
    await clients.visitation.RecordFirstContact(
        pb.RecordFirstContactRequest(case_id=flow.case_id, contacted_on=flow.day),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )
    await clients.visitation.CloseWithAdvice(
        pb.CloseWithAdviceRequest(case_id=flow.case_id, reasoning="Rådgivet i telefonen."),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )
    manager = staff(clients, "manager-1", role="manager")

    async def decision_sent() -> list[Any]:
        query = {"case_id": flow.case_id, "message_kind": "decision_letter", "status": "sent"}
        found: list[Any] = await clients.db("notifications").deliveries.find(query).to_list()
        return found

    [decision] = await eventually(decision_sent, timeout=60)  # to the inquirer, with the PDF
    assert decision["recipient"]["role"] == "inquirer" and decision["document_id"]
    letter_pdf = await downloaded(clients, decision["document_id"], flow.as_consultant())
    assert "Klagevejledning" in pdf_text(letter_pdf) and "Rådgivet i telefonen." in pdf_text(
        letter_pdf
    )

    async def ended() -> bool:
        inquiry = await clients.intake.GetInquiry(
            intake_pb2.GetInquiryRequest(inquiry_id=flow.inquiry_id),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
        return bool(inquiry.status in ("course_ended", "closed"))

    await eventually(ended)
    await eventually(lambda: _ended_known(clients, flow.inquiry_id))
    not_yet = await clients.documents.ApplyRetention(
        dpb.ApplyRetentionRequest(as_of=(today() + timedelta(days=29)).isoformat()),
        metadata=manager,
        timeout=DEADLINE,
    )
    assert not any(note.note_id in line for line in not_yet.deleted)
    report = await clients.documents.ApplyRetention(
        dpb.ApplyRetentionRequest(as_of=(today() + timedelta(days=31)).isoformat()),
        metadata=manager,
        timeout=DEADLINE,
    )
    assert any(note.note_id in line for line in report.deleted)
    assert any(letter.document_id in line for line in report.deleted)
    gone = await clients.documents.GetNote(
        dpb.GetNoteRequest(note_id=note.note_id), metadata=flow.as_consultant(), timeout=DEADLINE
    )
    assert gone.text == "" and gone.content_deleted_at.seconds > 0
    with pytest.raises(grpc.aio.AioRpcError) as no_content:
        await download(clients, letter.document_id, flow.as_consultant())
    assert no_content.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    journal = await clients.documents.GetJournal(
        dpb.GetJournalRequest(case_id=flow.case_id),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )
    tombstones = [e for e in journal.entries if e.kind == "retention_deleted"]
    assert {e.note_id or e.document_id for e in tombstones} >= {note.note_id, letter.document_id}
    assert all("30 dage" in e.deleted_by_rule for e in tombstones)
    marked = [e for e in journal.entries if e.note_id == note.note_id and e.kind == "note"]
    assert marked and marked[0].content_deleted_at.seconds > 0
    db = clients.db("documents")
    [version] = (await db.documents.find_one({"_id": letter.document_id}))["versions"]
    assert version["file_id"] == ""


async def _note_by(clients: Clients, flow: Flow, metadata: Sequence[tuple[str, str]]) -> Any:
    return await clients.documents.WriteNote(
        dpb.WriteNoteRequest(case_id=flow.case_id, category="meeting", text="Møde med forældrene."),
        metadata=metadata,
        timeout=DEADLINE,
    )


async def _ended_known(clients: Clients, inquiry_id: str) -> bool:
    found = await clients.db("documents").ended_inquiries.find_one({"_id": inquiry_id})
    return found is not None
