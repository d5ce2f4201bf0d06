"""Notification rules; no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from services.contracts.visitation import VisitationCaseOpened
from services.kernel.store import Aggregate
from services.notifications import texts

NoticeKind = Literal[
    "case_assigned",
    "supplementary_material",
    "course_decision",
    "offer_received",
    "offer_unaddressed",
    "next_supplier",
    "deadline_reminder",
    "deadline_changed",
    "deadline_escalation",
    "agreement_proposed",
    "agreement_returned",
    "high_price_approval_requested",
    "high_price_decided",
    "agreement_approved",
    "case_note",
    "document_added",
    "document_finalised",
    "concern_report",
    "delivery_fallen_back",
    "delivery_failed",
]
"""Every kind of notice notifications writes; `Notice.kind` in notifications.proto documents each
(a unit test holds the two together)."""

NOTICE_KINDS: tuple[str, ...] = get_args(NoticeKind)


class Notice(Aggregate):
    """A message to one user about something that needs their attention."""

    recipient_id: str
    kind: NoticeKind
    subject_id: str
    case_id: str = ""
    text: str
    created_at: datetime
    source_event_id: str
    urgent: bool = False


def notice(
    recipient: str,
    kind: NoticeKind,
    case_id: str,
    text: str,
    *,
    event_id: str,
    now: datetime,
    subject_id: str | None = None,
    urgent: bool = False,
) -> Notice:
    """One notice of an event to one recipient, about the case unless `subject_id` names what on
    it (an offer, a deadline). Its id comes from the event, the kind and the recipient, so an
    event delivered again after the inbox forgot it adds no second notice."""
    return Notice(
        id=f"{event_id}:{kind}:{recipient}",
        recipient_id=recipient,
        kind=kind,
        subject_id=subject_id or case_id,
        case_id=case_id,
        text=text,
        created_at=now,
        source_event_id=event_id,
        urgent=urgent,
    )


def case_assigned_notice(opened: VisitationCaseOpened, *, event_id: str, now: datetime) -> Notice:
    """The notice telling a consultant a case is theirs."""
    text = (
        f"Henvendelse {opened.inquiry_id} er fordelt til dig: visitationssag {opened.case_id} "
        f"(hovedområde: {texts.main_area(opened.main_area)}) er oprettet med dig som ansvarlig "
        "fagkonsulent."
    )
    return notice(
        opened.consultant_id, "case_assigned", opened.case_id, text, event_id=event_id, now=now
    )
