"""The case record's rules without I/O: notes and corrections, drafts and locked finals, the
advisory report's seven recommendations and annex, retention dates, content types from bytes,
filenames, and the Danish templates' draft mark."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from services.documents import content, record, rendering
from services.documents.record import CaseDocument, CaseFacts, StoredVersion
from services.kernel.context import Principal
from services.kernel.errors import ConcurrencyConflict, IllegalTransition, InvalidInput

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
CASE = CaseFacts(
    case_id="case-1",
    inquiry_id="inq-1",
    consultant_id="kons-1",
    service="single_case",
    specialists={"sup-a": "spec-a"},
)
SPECIALIST = Principal("spec-a", "specialist", "sup-a")
CONSULTANT = Principal("kons-1", "consultant")


def note(**changes: object) -> record.CaseNote:
    made = record.write_note(
        note_id="n1",
        case=CASE,
        category="phone_call",
        occurred_at=None,
        text="Ringede til skolen.",
        author=SPECIALIST,
        now=NOW,
        corrected=None,
    )
    return made.model_copy(update=changes)


def version(number: int, **changes: object) -> StoredVersion:
    return StoredVersion(
        version=number,
        file_id=f"f{number}",
        filename="a.pdf",
        content_type=content.PDF,
        size=10,
        sha256="0" * 64,
        created_at=NOW,
        created_by="spec-a",
    ).model_copy(update=changes)


def document(kind: str = "advisory_report", **changes: object) -> CaseDocument:
    made = record.new_document(
        document_id="d1",
        case=CASE,
        kind=kind,
        title="Rådgivningsrapport - udkast",
        author=SPECIALIST,
        now=NOW,
        supersedes=None,
    )
    return made.model_copy(update={"versions": [version(1)], **changes})


def test_a_note_records_when_it_happened_and_when_it_was_written() -> None:
    written = note()
    assert (written.occurred_at, written.written_at, written.note_version) == (NOW, NOW, 1)
    earlier = record.write_note(
        note_id="n2",
        case=CASE,
        category="meeting",
        occurred_at=NOW - timedelta(days=2),
        text="Møde.",
        author=CONSULTANT,
        now=NOW,
        corrected=None,
    )
    assert earlier.occurred_at == NOW - timedelta(days=2) and earlier.written_at == NOW
    with pytest.raises(InvalidInput, match="occurred_at"):
        record.write_note(
            note_id="n3",
            case=CASE,
            category="meeting",
            occurred_at=NOW + timedelta(days=1),
            text="Møde.",
            author=CONSULTANT,
            now=NOW,
            corrected=None,
        )


def test_a_correction_is_a_new_version_pointing_to_the_note_it_corrects() -> None:
    original = note()
    fixed = record.write_note(
        note_id="n2",
        case=CASE,
        category="phone_call",
        occurred_at=None,
        text="Ringede til skolen og PPR.",
        author=SPECIALIST,
        now=NOW,
        corrected=original,
    )
    assert (fixed.note_version, fixed.corrects_note_id) == (2, "n1")
    marked = record.mark_corrected(original, fixed)
    assert marked.text == original.text and marked.corrected_by_note_id == "n2"
    with pytest.raises(IllegalTransition, match="already corrected by note n2"):
        record.write_note(
            note_id="n3",
            case=CASE,
            category="other",
            occurred_at=None,
            text="x",
            author=CONSULTANT,
            now=NOW,
            corrected=marked,
        )
    other_case = CASE.model_copy(update={"case_id": "case-2"})
    with pytest.raises(InvalidInput, match="corrects_note_id"):
        record.write_note(
            note_id="n4",
            case=other_case,
            category="other",
            occurred_at=None,
            text="x",
            author=CONSULTANT,
            now=NOW,
            corrected=original,
        )


def test_the_other_party_of_the_case_is_notified_never_the_author() -> None:
    assert CASE.notify_for(SPECIALIST) == ["kons-1"]
    assert CASE.notify_for(CONSULTANT) == ["spec-a"]
    assert CASE.notify_for(Principal("support-1", "support")) == ["spec-a", "kons-1"]


def test_a_draft_gets_versions_only_from_the_version_read_and_a_final_is_locked() -> None:
    draft = document()
    assert draft.title == "Rådgivningsrapport" and draft.shown_title.endswith("(udkast)")
    record.check_next_version(draft, 1)
    with pytest.raises(ConcurrencyConflict):
        record.check_next_version(draft, 0)
    annex = document("closing_summary_note", id="d2", status="final")
    final = record.finalised(draft, final_version=version(2), annexes=[annex], sent_to=[], now=NOW)
    assert final.status == "final" and final.shown_title == "Rådgivningsrapport"
    assert final.archive.status == "pending" and final.content_version == 2
    with pytest.raises(IllegalTransition, match="supersedes"):
        record.check_next_version(final, 2)
    with pytest.raises(IllegalTransition, match="already final"):
        record.check_finalisable(final, expected_version=2, annexes=[annex])
    record.check_supersedable(final, CASE)
    with pytest.raises(IllegalTransition, match="draft"):
        record.check_supersedable(draft, CASE)


def test_the_final_advisory_report_needs_the_closing_meetings_summary_note_as_annex() -> None:
    draft = document()
    with pytest.raises(IllegalTransition, match="summary note"):
        record.check_finalisable(draft, expected_version=1, annexes=[])
    unfinished = document("closing_summary_note", id="d2")
    with pytest.raises(IllegalTransition, match="finalise it first"):
        record.check_finalisable(draft, expected_version=1, annexes=[unfinished])
    elsewhere = document("closing_summary_note", id="d3", status="final", case_id="case-2")
    with pytest.raises(InvalidInput, match=r"annex_document_ids\.0"):
        record.check_finalisable(draft, expected_version=1, annexes=[elsewhere])
    ready = document("closing_summary_note", id="d2", status="final")
    record.check_finalisable(draft, expected_version=1, annexes=[ready])
    record.check_finalisable(document("assessment_report"), expected_version=1, annexes=[])


def test_at_most_seven_numbered_recommendations() -> None:
    record.check_recommendations([f"Anbefaling {n}" for n in range(7)])
    with pytest.raises(InvalidInput, match=r"at most 7 numbered recommendations.*not 8"):
        record.check_recommendations([f"Anbefaling {n}" for n in range(8)])
    with pytest.raises(InvalidInput, match=r"recommendations\.1"):
        record.check_recommendations(["En", " "])


def test_retention_counts_from_the_end_of_the_course_and_an_open_case_keeps_everything() -> None:
    ended = datetime(2026, 1, 31, 15, 0, tzinfo=UTC)
    assert record.retention_ends(ended.date(), 30) == date(2026, 3, 2)
    assert not record.past_retention(ended, 30, date(2026, 3, 1))
    assert record.past_retention(ended, 30, date(2026, 3, 2))
    assert not record.past_retention(None, 0, date(2099, 1, 1))
    days = {"note": 10, "advisory_report": 20, "default": 30}
    assert record.document_class("advisory_report", days) == "advisory_report"
    assert record.document_class("letter", days) == "default"


def test_the_draft_word_leaves_the_title() -> None:
    assert record.clean_title("Rådgivningsrapport - udkast") == "Rådgivningsrapport"
    assert record.clean_title("Udkast: Opsamling") == "Opsamling"
    assert record.clean_title("Rapport (UDKAST) om skolen") == "Rapport om skolen"


def office(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


def test_the_content_type_is_told_from_the_bytes() -> None:
    assert content.detect(b"%PDF-1.7 ...") == content.PDF
    assert content.detect(b"\x89PNG\r\n\x1a\n....") == content.PNG
    assert content.detect(b"\xff\xd8\xff\xe0....") == content.JPEG
    docx = office("[Content_Types].xml", "word/document.xml")
    xlsx = office("[Content_Types].xml", "xl/workbook.xml")
    assert content.detect(docx[:8], docx) == content.DOCX
    assert content.detect(xlsx[:8], xlsx) == content.XLSX
    assert content.detect(office("a.txt")[:8], office("a.txt")) == content.ZIP
    assert content.detect("Kære Åse\r\n".encode()) == content.TEXT
    assert content.detect(b"MZ\x90\x00\x03\x00") == content.UNKNOWN
    assert content.detect("æøå".encode()[:-1]) == content.TEXT  # cut inside a character


def test_a_filename_keeps_no_path_nor_unsafe_characters_and_gets_its_types_extension() -> None:
    assert content.sanitised_filename("../../etc/passwd", content.TEXT) == "passwd.txt"
    assert content.sanitised_filename("C:\\Users\\a\\Rapport;rm -rf.pdf", content.PDF) == (
        "Rapport_rm -rf.pdf"
    )
    assert content.sanitised_filename("notat.exe", content.PDF) == "notat.exe.pdf"
    assert content.sanitised_filename("...", content.PDF) == "dokument.pdf"
    assert len(content.sanitised_filename("a" * 500 + ".docx", content.DOCX)) == 120
    assert content.sanitised_filename("Åse foto.JPEG", content.JPEG) == "Åse foto.JPEG"


def test_every_template_renders_in_danish_with_the_draft_mark_only_on_a_draft() -> None:
    for info in rendering.catalogue().values():
        filling = rendering.Filling(today=date(2026, 12, 6))
        draft = rendering.text_of(info.id, CASE, filling, draft=True)
        final = rendering.text_of(info.id, CASE, filling, draft=False)
        assert "udkast" in draft.lower() and "UDKAST" not in final, info.id
        assert info.name.split(":")[0].split()[0] in final or info.kind == "letter", info.id
        assert "case-1" in final and "6. december 2026" in final, info.id


def test_a_decision_letter_carries_the_reasoning_and_complaint_guidance() -> None:
    decided = CASE.model_copy(
        update={"decision_outcome": "outside_scope", "decision_reasoning": "Ikke VISOs målgruppe."}
    )
    pdf = rendering.render("decision_outside_scope", decided, rendering.Filling(), draft=False)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Ikke VISOs målgruppe." in text and "Klagevejledning" in text and "4 uger" in text
    with pytest.raises(InvalidInput, match="docx"):
        rendering.render(
            "decision_outside_scope", decided, rendering.Filling(), draft=False, fmt="docx"
        )
    with pytest.raises(InvalidInput, match=r"fields\.colour"):
        rendering.check_fields(rendering.template_info("advisory_report"), {"colour": "blå"})
