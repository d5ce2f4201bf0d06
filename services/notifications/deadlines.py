"""Notices from deadline events: a reminder when a due date is set or moved, an escalation when
it is missed (to the responsible person and the case's consultant), the prompt to choose the
next supplier when one said no or did not answer, and the offer notice to a supplier's specialists.

Deadline notices use the deadline id as their subject and carry the deadline's case, so a case's
own notices (e.g. case_assigned) stay one per case and every notice lists with its case.
"""

from __future__ import annotations

from datetime import datetime

from services.contracts.deadlines import DeadlineChanged, DeadlineMissed, DeadlineSet
from services.contracts.visitation import NextSupplierNeeded, SupplierOffered
from services.kernel.consumer import EventHandler
from services.kernel.envelope import Envelope, utcnow
from services.kernel.store import Transaction
from services.notifications import texts
from services.notifications.domain import Notice, NoticeKind, notice
from services.notifications.handlers import notices


def _who_must_act(event: DeadlineSet | DeadlineChanged | DeadlineMissed) -> list[str]:
    """The named person; else everyone listed to notify; else the consultant if it is theirs."""
    if event.responsible_user_id:
        return [event.responsible_user_id]
    if event.notify_user_ids:
        return list(dict.fromkeys(event.notify_user_ids))
    if event.responsible_role == "consultant" and event.consultant_id:
        return [event.consultant_id]
    return []


def _to_each(
    event: DeadlineSet | DeadlineChanged | DeadlineMissed | SupplierOffered,
    recipients: list[str],
    kind: NoticeKind,
    text: str,
    *,
    subject_id: str,
    event_id: str,
    now: datetime,
) -> list[Notice]:
    """The notice of an event about a case to each recipient, once each."""
    return [
        notice(r, kind, event.case_id, text, event_id=event_id, now=now, subject_id=subject_id)
        for r in dict.fromkeys(recipients)
    ]


def _deadline_notices(
    event: DeadlineSet | DeadlineChanged | DeadlineMissed,
    kind: NoticeKind,
    recipients: list[str],
    text: str,
    *,
    event_id: str,
    now: datetime,
) -> list[Notice]:
    """A deadline's notices are about the deadline, on its case."""
    subject_id = event.deadline_id
    return _to_each(
        event, recipients, kind, text, subject_id=subject_id, event_id=event_id, now=now
    )


def _responsible(event: DeadlineSet | DeadlineChanged | DeadlineMissed) -> str:
    """Who must act, in words: "specialisten hos leverandør alpha"."""
    who = texts.role(event.responsible_role)
    return f"{who} hos leverandør {event.supplier_id}" if event.supplier_id else who


def _what(event: DeadlineSet | DeadlineChanged | DeadlineMissed) -> str:
    return texts.deadline_rule(event.rule, start=event.start)


def reminder_notices(event: DeadlineSet, *, event_id: str, now: datetime) -> list[Notice]:
    """A reminder to whoever must act (see _who_must_act), one each."""
    text = (
        f"Frist på sag {event.case_id}: {_what(event)} senest {texts.danish_date(event.due)}. "
        f"Ansvarlig: {_responsible(event)}."
    )
    recipients = _who_must_act(event)
    return _deadline_notices(
        event, "deadline_reminder", recipients, text, event_id=event_id, now=now
    )


def escalation_notices(event: DeadlineMissed, *, event_id: str, now: datetime) -> list[Notice]:
    """An escalation to the responsible person and to the case's consultant, once each."""
    recipients = [*_who_must_act(event), *([event.consultant_id] if event.consultant_id else [])]
    text = (
        f"Frist overskredet på sag {event.case_id}: {_what(event)} senest "
        f"{texts.danish_date(event.due)}. Ansvarlig: {_responsible(event)}."
    )
    return _deadline_notices(
        event, "deadline_escalation", recipients, text, event_id=event_id, now=now
    )


def changed_notices(event: DeadlineChanged, *, event_id: str, now: datetime) -> list[Notice]:
    """The responsible person is told the new due date."""
    text = (
        f"Frist flyttet på sag {event.case_id}: {_what(event)} nu senest "
        f"{texts.danish_date(event.due)} (tidligere {texts.danish_date(event.previous_due)}). "
        f"Begrundelse: {texts.sentence(event.reason)}"
    )
    recipients = _who_must_act(event)
    return _deadline_notices(
        event, "deadline_changed", recipients, text, event_id=event_id, now=now
    )


def next_supplier_notice(event: NextSupplierNeeded, *, event_id: str, now: datetime) -> Notice:
    """The consultant is prompted with the next candidate supplier."""
    what = "har sagt nej tak til" if event.why == "declined" else "har ikke svaret rettidigt på"
    text = f"Leverandør {event.previous_supplier_id} {what} opgaven på sag {event.case_id}."
    text += f" Begrundelse: {texts.sentence(event.reason)}" if event.reason else ""
    if event.next_supplier_id:
        text += f" Næste egnede leverandør: {event.next_supplier_name} ({event.next_supplier_id})."
    else:
        text += " Der er ikke flere egnede leverandører: udvid søgningen, eller genovervej ydelsen."
    return notice(
        event.consultant_id,
        "next_supplier",
        event.case_id,
        text,
        event_id=event_id,
        now=now,
        subject_id=event.offer_id,
    )


def offer_notices(event: SupplierOffered, *, event_id: str, now: datetime) -> list[Notice]:
    """The supplier's specialists are told of the offer; if the supplier lists none, the
    consultant is told that nobody there could be notified."""
    due = texts.danish_date(event.answer_due)
    kind: NoticeKind
    if event.notify_user_ids:
        text = (
            f"VISO sender henvendelsen på sag {event.case_id} til leverandør {event.supplier_id} "
            f"som visitationsydelse ({texts.service(event.service_id)}): svar 'ja tak' eller "
            f"'nej tak' senest {due}."
        )
        recipients, kind = event.notify_user_ids, "offer_received"
    elif event.consultant_id:
        text = (
            f"Leverandør {event.supplier_id} har ingen specialister registreret, så ingen hos "
            f"leverandøren har fået besked om opgaven på sag {event.case_id} (svarfrist {due}): "
            "kontakt leverandøren direkte."
        )
        recipients, kind = [event.consultant_id], "offer_unaddressed"
    else:
        return []
    return _to_each(
        event, recipients, kind, text, subject_id=event.offer_id, event_id=event_id, now=now
    )


async def on_deadline_set(tx: Transaction, envelope: Envelope) -> None:
    """Remind the responsible person of a new due date."""
    event = envelope.payload_as(DeadlineSet)
    notices.add_if_absent(tx, *reminder_notices(event, event_id=envelope.event_id, now=utcnow()))


async def on_deadline_missed(tx: Transaction, envelope: Envelope) -> None:
    """Escalate a missed due date."""
    event = envelope.payload_as(DeadlineMissed)
    notices.add_if_absent(tx, *escalation_notices(event, event_id=envelope.event_id, now=utcnow()))


async def on_deadline_changed(tx: Transaction, envelope: Envelope) -> None:
    """Tell the responsible person a due date moved."""
    event = envelope.payload_as(DeadlineChanged)
    notices.add_if_absent(tx, *changed_notices(event, event_id=envelope.event_id, now=utcnow()))


async def on_next_supplier_needed(tx: Transaction, envelope: Envelope) -> None:
    """Prompt the consultant with the next candidate supplier."""
    event = envelope.payload_as(NextSupplierNeeded)
    notices.add_if_absent(tx, next_supplier_notice(event, event_id=envelope.event_id, now=utcnow()))


async def on_supplier_offered(tx: Transaction, envelope: Envelope) -> None:
    """Tell the supplier's specialists of an offer."""
    event = envelope.payload_as(SupplierOffered)
    notices.add_if_absent(tx, *offer_notices(event, event_id=envelope.event_id, now=utcnow()))


def handlers() -> dict[str, EventHandler]:
    """The event handlers of this module, by event type."""
    return {
        "DeadlineSet": on_deadline_set,
        "DeadlineMissed": on_deadline_missed,
        "DeadlineChanged": on_deadline_changed,
        "NextSupplierNeeded": on_next_supplier_needed,
        "SupplierOffered": on_supplier_offered,
    }
