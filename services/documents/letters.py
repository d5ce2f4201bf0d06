"""The letters intake's assignment triggers (receipt and personal-data letter, H 4.2), rendered
from documents' Danish templates: one final document per recipient, recorded (unrendered) in
the transaction that journals the letter, rendered and stored by the worker after it (GridFS
cannot join a transaction), then archived like every final."""

from __future__ import annotations

import logging

from services.contracts.intake import InquiryLetterRequested, letter_document_id
from services.documents import files
from services.documents.case_record import DOCUMENTS, documents
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
    made = render(
        letter.pending_template,
        CaseFacts(case_id="", inquiry_id=letter.inquiry_id),
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
