"""The letters intake's assignment triggers (receipt and personal-data letter, H 4.2), rendered
from documents' Danish templates: one final document per recipient, recorded (unrendered) in
the transaction that journals the letter, rendered and stored by the worker after it (GridFS
cannot join a transaction), then archived like every final."""

from __future__ import annotations

import logging

from services.contracts.documents import DocumentReadyToSend
from services.contracts.intake import InquiryLetterRequested, letter_document_id
from services.contracts.visitation import VisitationDecided
from services.documents import case_facts, files
from services.documents.case_record import DOCUMENTS, documents
from services.documents.case_suppliers import CASES
from services.documents.intake_journal import LETTER_NAMES, journal_letter
from services.documents.record import ArchiveState, CaseDocument, CaseFacts
from services.documents.rendering import Filling, render
from services.kernel.envelope import Envelope, utcnow
from services.kernel.errors import ConcurrencyConflict
from services.kernel.store import MongoStore, Transaction

log = logging.getLogger(__name__)
TEMPLATES = {"receipt": "receipt_letter", "personal_data": "personal_data_letter"}
BATCH = 20


def letter_documents(event: InquiryLetterRequested, event_id: str) -> list[CaseDocument]:
    """One unrendered letter per recipient."""
    return [
        CaseDocument(
            id=letter_document_id(event_id, index),
            case_id="",
            inquiry_id=event.inquiry_id,
            kind="letter",
            title=f"{LETTER_NAMES[event.letter_kind]} til {recipient.name}",
            created_by="system",
            created_by_role="system",
            created_at=event.requested_at,
            sent_to=[f"{recipient.name} ({recipient.role})"],
            render_pending=True,
            pending_template=TEMPLATES[event.letter_kind],
            pending_fields={
                "recipient_name": recipient.name,
                "consultant_name": event.consultant_name or event.consultant_id,
            },
        )
        for index, recipient in enumerate(event.recipients)
    ]


async def journal_and_record_letters(tx: Transaction, envelope: Envelope) -> None:
    """Journal the letter and record its documents, to be rendered."""
    await journal_letter(tx, envelope)
    event = envelope.payload_as(InquiryLetterRequested)
    documents.add_if_absent(tx, *letter_documents(event, envelope.event_id))


async def render_pending(store: MongoStore) -> int:
    """Render every recorded letter not yet rendered; the number rendered."""
    rendered = 0
    pending = store.db[DOCUMENTS].find({"render_pending": True}).limit(BATCH)
    async for doc in pending:
        rendered += await _render(store, documents.from_doc(doc))
    return rendered


async def _render(store: MongoStore, letter: CaseDocument) -> bool:
    """Render and store one letter as a final; False when another worker did it first."""
    assert letter.pending_template is not None
    facts = CaseFacts(case_id="", inquiry_id=letter.inquiry_id)
    if letter.case_id:  # a decision letter: the case's decision, reasoning and guidance
        found = await store.db[CASES].find_one({"_id": letter.case_id})
        facts = case_facts.facts_from(found) if found else CaseFacts(case_id=letter.case_id)
    made = render(
        letter.pending_template,
        facts,
        Filling(fields=letter.pending_fields, today=letter.created_at.date()),
        draft=False,
    )
    file_id = await files.store(
        store.db, made.data, filename=made.filename, metadata={"letter": letter.id}
    )
    now = utcnow()
    version = made.first_version(
        file_id=file_id, by="system", template=letter.pending_template, now=now
    )
    final = letter.model_copy(
        update={
            "versions": [version],
            "status": "final",
            "finalised_at": now,
            "archive": ArchiveState(status="pending"),
            "pending_template": None,
            "render_pending": False,
        }
    )

    async def save(tx: Transaction) -> None:
        await documents.save(tx, final, expected_version=letter.version)

    try:
        await store.transact(save)
    except BaseException as error:
        await files.delete(store.db, file_id)
        if isinstance(error, ConcurrencyConflict):
            return False
        raise
    return True


DECISION_TEMPLATES = {
    "closed_with_advice": "decision_closed_with_advice",
    "referred": "decision_referred",
    "outside_scope": "decision_outside_scope",
}


def decision_letter_id(event_id: str) -> str:
    """The decision letter of a VisitationDecided event."""
    return f"decision-{event_id}"


async def record_decision_letter(tx: Transaction, envelope: Envelope) -> None:
    """Visitation's decision without a course becomes a decision letter to the inquirer, with
    complaint guidance: recorded to be rendered, and announced for delivery."""
    await case_facts.record_decision(tx, envelope)
    decided = envelope.payload_as(VisitationDecided)
    template = DECISION_TEMPLATES.get(decided.outcome)
    if template is None:
        return
    letter = CaseDocument(
        id=decision_letter_id(envelope.event_id),
        case_id=decided.case_id,
        inquiry_id=decided.inquiry_id,
        kind="letter",
        title="Afgørelse fra VISO",
        created_by="system",
        created_by_role="system",
        created_at=utcnow(),
        sent_to=["henvender"],
        render_pending=True,
        pending_template=template,
    )
    documents.add_if_absent(tx, letter)
    tx.emit(
        DocumentReadyToSend(
            document_id=letter.id,
            case_id=decided.case_id,
            inquiry_id=decided.inquiry_id,
            message_kind="decision_letter",
            to_inquirer=True,
            title="Afgørelse fra VISO",
            body=(
                "VISO har truffet afgørelse om jeres henvendelse. Afgørelsen med begrundelse og "
                "klagevejledning er vedhæftet som PDF."
            ),
        )
    )
