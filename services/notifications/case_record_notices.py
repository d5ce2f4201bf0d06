"""Notices on every change of a case (advis, H 5.2.4): a note, a document's new version or its
final, and a delivery agreement in force reach the consultant and the specialist of the case,
never the one who made the change (the producing service names them in `notify_user_ids`)."""

from __future__ import annotations

from datetime import datetime

from services.contracts.documents import (
    NOTE_CATEGORY_NAMES,
    ConcernReportStepRecorded,
    DocumentJournaled,
    DocumentVersionAdded,
    NoteWritten,
)
from services.contracts.leverance import DeliveryAgreementApproved
from services.kernel.envelope import Envelope, utcnow
from services.kernel.store import Transaction
from services.notifications import texts
from services.notifications.domain import Notice, NoticeKind, notice
from services.notifications.handlers import notices


def _each(
    users: list[str],
    kind: NoticeKind,
    event_id: str,
    now: datetime,
    case_id: str,
    text: str,
    subject_id: str,
) -> list[Notice]:
    return [
        notice(user, kind, case_id, text, event_id=event_id, now=now, subject_id=subject_id)
        for user in users
    ]


def _category(category: str) -> str:
    return NOTE_CATEGORY_NAMES.get(category, category)


def note_notices(event: NoteWritten, *, event_id: str, now: datetime) -> list[Notice]:
    """A new note (or a correction) on the case; its text is read in the case record."""
    what = "Rettelse af notat" if event.corrects_note_id else "Nyt notat"
    text = (
        f"{what} på sag {event.case_id} ({_category(event.category)}) af "
        f"{texts.role(event.author_role)} {event.author_id}. Læs det i sagens journal."
    )
    return _each(
        event.notify_user_ids, "case_note", event_id, now, event.case_id, text, event.note_id
    )


def version_notices(event: DocumentVersionAdded, *, event_id: str, now: datetime) -> list[Notice]:
    """A document was uploaded or rendered on the case (a draft's new version)."""
    text = (
        f'Dokumentet "{event.title}" (version {event.version}) er lagt på sag {event.case_id} '
        f"af {texts.role(event.added_by_role)} {event.added_by}."
    )
    return _each(
        event.notify_user_ids,
        "document_added",
        event_id,
        now,
        event.case_id,
        text,
        event.document_id,
    )


def final_notices(event: DocumentJournaled, *, event_id: str, now: datetime) -> list[Notice]:
    """A document on the case was finalised and journaled."""
    sent = f" og sendt til {', '.join(event.sent_to)}" if event.sent_to else ""
    text = (
        f'Dokumentet "{event.title}" er endeligt og journaliseret{sent} på sag '
        f"{event.case_id} af {texts.role(event.journaled_by_role)} {event.journaled_by}."
    )
    return _each(
        event.notify_user_ids,
        "document_finalised",
        event_id,
        now,
        event.case_id,
        text,
        event.document_id,
    )


def agreement_notices(
    event: DeliveryAgreementApproved, *, event_id: str, now: datetime
) -> list[Notice]:
    """The specialist hears that an agreement (or its change) is in force."""
    if not event.specialist_id:
        return []
    what = "Ændringen af leveranceaftale" if event.change else "Leveranceaftale"
    text = (
        f"{what} {event.delivery_id} (version {event.version}, {texts.kroner(event.total_dkk)}) "
        f"på sag {event.case_id} er godkendt og gælder nu."
    )
    return [
        notice(
            event.specialist_id,
            "agreement_approved",
            event.case_id,
            text,
            event_id=event_id,
            now=now,
        )
    ]


CONCERN_STEPS = {
    "drafted": "En underretning er udarbejdet som udkast",
    "released": "En underretning er sendt",
    "received": "Modtagelsen af en underretning er kvitteret",
    "ankestyrelsen": "Vurderingen af underretning til Ankestyrelsen er registreret",
}


def concern_notices(
    event: ConcernReportStepRecorded, *, event_id: str, now: datetime
) -> list[Notice]:
    """A step of a concern report on the case (its text is read audited in the case record)."""
    what = CONCERN_STEPS.get(event.step, f"Underretningen er opdateret ({event.step})")
    text = f"{what} på sag {event.case_id} af {texts.role(event.by_role)} {event.by}."
    users, case_id = event.notify_user_ids, event.case_id
    return _each(users, "concern_report", event_id, now, case_id, text, event.report_id)


async def _on_concern(tx: Transaction, envelope: Envelope) -> None:
    event = envelope.payload_as(ConcernReportStepRecorded)
    notices.add_if_absent(tx, *concern_notices(event, event_id=envelope.event_id, now=utcnow()))


async def _on_note(tx: Transaction, envelope: Envelope) -> None:
    made = note_notices(envelope.payload_as(NoteWritten), event_id=envelope.event_id, now=utcnow())
    notices.add_if_absent(tx, *made)


async def _on_version(tx: Transaction, envelope: Envelope) -> None:
    event = envelope.payload_as(DocumentVersionAdded)
    notices.add_if_absent(tx, *version_notices(event, event_id=envelope.event_id, now=utcnow()))


async def _on_final(tx: Transaction, envelope: Envelope) -> None:
    event = envelope.payload_as(DocumentJournaled)
    notices.add_if_absent(tx, *final_notices(event, event_id=envelope.event_id, now=utcnow()))


async def _on_agreement(tx: Transaction, envelope: Envelope) -> None:
    event = envelope.payload_as(DeliveryAgreementApproved)
    notices.add_if_absent(tx, *agreement_notices(event, event_id=envelope.event_id, now=utcnow()))


HANDLERS = {
    "NoteWritten": _on_note,
    "DocumentVersionAdded": _on_version,
    "DocumentJournaled": _on_final,
    "DeliveryAgreementApproved": _on_agreement,
    "ConcernReportStepRecorded": _on_concern,
}
