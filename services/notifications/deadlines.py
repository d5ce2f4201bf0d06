"""Notices from deadline events: a reminder when a due date is set or moved, an escalation when
it is missed (to the responsible person and the case's consultant), the prompt to choose the
next supplier when one said no or did not answer, and the offer notice to a supplier's specialists.

Deadline notices use the deadline id as their subject (it names the case), so a case's own
notices (e.g. case_assigned) stay one per case. A notice's id is derived from the event, its kind
and its recipient, so an event delivered again after the inbox forgot it adds no second notice.
"""

from __future__ import annotations

from datetime import datetime

from services.contracts.deadlines import DeadlineChanged, DeadlineMissed, DeadlineSet
from services.contracts.visitation import NextSupplierNeeded, SupplierOffered
from services.kernel.consumer import EventHandler
from services.kernel.envelope import Envelope, utcnow
from services.kernel.store import Transaction
from services.notifications.domain import Notice
from services.notifications.handlers import notices


def _notice(
    recipient: str, kind: str, subject_id: str, text: str, *, event_id: str, now: datetime
) -> Notice:
    return Notice(
        id=f"{event_id}:{kind}:{recipient}",
        recipient_id=recipient,
        kind=kind,
        subject_id=subject_id,
        text=text,
        created_at=now,
        source_event_id=event_id,
    )


def _who_must_act(event: DeadlineSet | DeadlineChanged | DeadlineMissed) -> list[str]:
    """The named person; else everyone listed to notify; else the consultant if it is theirs."""
    if event.responsible_user_id:
        return [event.responsible_user_id]
    if event.notify_user_ids:
        return list(dict.fromkeys(event.notify_user_ids))
    if event.responsible_role == "consultant" and event.consultant_id:
        return [event.consultant_id]
    return []


def reminder_notices(event: DeadlineSet, *, event_id: str, now: datetime) -> list[Notice]:
    """A reminder to whoever must act (see _who_must_act), one each."""
    text = (
        f"Deadline on case {event.case_id}: {event.rule_text}, due {event.due.isoformat()} "
        f"({event.explanation})."
    )
    return [
        _notice(r, "deadline_reminder", event.deadline_id, text, event_id=event_id, now=now)
        for r in _who_must_act(event)
    ]


def escalation_notices(event: DeadlineMissed, *, event_id: str, now: datetime) -> list[Notice]:
    """An escalation to the responsible person and to the case's consultant, once each."""
    recipients = [*_who_must_act(event), *([event.consultant_id] if event.consultant_id else [])]
    text = (
        f"Deadline missed on case {event.case_id}: {event.rule_text} was due "
        f"{event.due.isoformat()} ({event.responsible_role}"
        + (f" at supplier {event.supplier_id}" if event.supplier_id else "")
        + ")."
    )
    return [
        _notice(r, "deadline_escalation", event.deadline_id, text, event_id=event_id, now=now)
        for r in dict.fromkeys(recipients)
    ]


def changed_notices(event: DeadlineChanged, *, event_id: str, now: datetime) -> list[Notice]:
    """The responsible person is told the new due date."""
    text = (
        f"Deadline moved on case {event.case_id}: {event.rule_text} now due "
        f"{event.due.isoformat()} (was {event.previous_due.isoformat()}): {event.reason}."
    )
    return [
        _notice(r, "deadline_changed", event.deadline_id, text, event_id=event_id, now=now)
        for r in _who_must_act(event)
    ]


def next_supplier_notice(event: NextSupplierNeeded, *, event_id: str, now: datetime) -> Notice:
    """The consultant is prompted with the next candidate supplier."""
    what = "said no" if event.why == "declined" else "did not answer in time"
    text = f"Supplier {event.previous_supplier_id} {what} on case {event.case_id}"
    text += f" ({event.reason})" if event.reason else ""
    if event.next_supplier_id:
        text += f". Next candidate: {event.next_supplier_name} ({event.next_supplier_id})."
    else:
        text += ". No further eligible supplier: widen the search or reconsider the service."
    return _notice(
        event.consultant_id, "next_supplier", event.offer_id, text, event_id=event_id, now=now
    )


def offer_notices(event: SupplierOffered, *, event_id: str, now: datetime) -> list[Notice]:
    """The supplier's specialists are told of the offer; if the supplier lists none, the
    consultant is told that nobody there could be notified."""
    due = event.answer_due.isoformat()
    if event.notify_user_ids:
        text = (
            f"Case {event.case_id} ({event.service_id}) is offered to your supplier "
            f"{event.supplier_id}: answer yes or no by {due}."
        )
        return [
            _notice(r, "offer_received", event.offer_id, text, event_id=event_id, now=now)
            for r in dict.fromkeys(event.notify_user_ids)
        ]
    if not event.consultant_id:
        return []
    text = (
        f"Supplier {event.supplier_id} lists no specialist, so nobody there was notified of "
        f"the offer on case {event.case_id} (answer due {due}): contact the supplier directly."
    )
    return [
        _notice(
            event.consultant_id,
            "offer_unaddressed",
            event.offer_id,
            text,
            event_id=event_id,
            now=now,
        )
    ]


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
