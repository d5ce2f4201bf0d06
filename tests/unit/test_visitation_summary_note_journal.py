"""The sent summary note visitation records is journaled by documents as the document leverance
makes the agreement proposal due from."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.contracts.visitation import SummaryNoteSent
from services.documents.visitation_journal import summary_note_document
from services.leverance.domain.reference import CLARIFYING_SUMMARY_NOTE

SENT = SummaryNoteSent(
    case_id="k1",
    inquiry_id="i1",
    offer_id="o1",
    supplier_id="alpha",
    specialist_id="spec-a",
    sent_on=date(2026, 6, 3),
    sent_to=["Odense Kommune"],
    recorded_by="spec-a",
    recorded_by_role="specialist",
    recorded_at=datetime(2026, 6, 3, 9, tzinfo=UTC),
)


def test_a_sent_summary_note_becomes_a_sent_clarifying_summary_note_of_the_supplier() -> None:
    document = summary_note_document(SENT, source_event_id="e1")
    assert document.kind == CLARIFYING_SUMMARY_NOTE
    assert (document.case_id, document.inquiry_id, document.supplier_id) == ("k1", "i1", "alpha")
    assert document.sent_to == ["Odense Kommune"]
    assert (document.journaled_by, document.journaled_by_role) == ("spec-a", "specialist")
    assert document.journaled_at == SENT.recorded_at
    assert "2026-06-03" in document.title


def test_the_document_id_follows_from_the_event_so_a_redelivery_is_recognised() -> None:
    first = summary_note_document(SENT, source_event_id="e1")
    assert summary_note_document(SENT, source_event_id="e1").document_id == first.document_id
    assert summary_note_document(SENT, source_event_id="e2").document_id != first.document_id
