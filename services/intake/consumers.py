"""What intake learns from other services: when the case an assignment opened has ended.

The ongoing-course check (H 4.2) holds a new inquiry about a citizen for the consultant of the
citizen's ongoing course; a course stops being ongoing when visitation closes the case without
a course, stops it, or leverance closes its course. Each handler changes the inquiry at most
once (the status guard in `domain.end_course`), so a redelivered or late event changes nothing.
The payloads are read through intake's own narrow models, not the publishers' classes.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from services.intake import domain
from services.intake.handlers import inquiries
from services.kernel.envelope import Envelope
from services.kernel.store import Transaction


class _CaseEnd(BaseModel):
    """The fields intake reads of VisitationDecided, VisitationCaseClosed and CourseClosed."""

    model_config = ConfigDict(extra="ignore")

    inquiry_id: str
    outcome: str = ""
    kind: str = ""
    interrupted: bool = False


async def _end(tx: Transaction, envelope: Envelope, reason: str) -> None:
    ended = envelope.payload_as(_CaseEnd)
    inquiry = await inquiries.get(tx, ended.inquiry_id)
    if inquiry is None:
        return
    result = domain.end_course(inquiry, reason=reason, now=envelope.occurred_at)
    if result is None:
        return
    changed, event = result
    await inquiries.save(tx, changed, expected_version=inquiry.version)
    tx.emit(event)


async def visitation_decided(tx: Transaction, envelope: Envelope) -> None:
    """Visitation closed the case without a course (advised, referred, outside scope)."""
    decided = envelope.payload_as(_CaseEnd)
    if decided.outcome == "proceed":
        return
    await _end(tx, envelope, f"visitation_{decided.outcome or 'closed'}")


async def visitation_case_closed(tx: Transaction, envelope: Envelope) -> None:
    """Visitation stopped the case (interrupted, consent withdrawn)."""
    closed = envelope.payload_as(_CaseEnd)
    await _end(tx, envelope, f"case_closed_{closed.kind or 'stopped'}")


async def course_closed(tx: Transaction, envelope: Envelope) -> None:
    """Leverance closed the course, completed or interrupted."""
    closed = envelope.payload_as(_CaseEnd)
    await _end(tx, envelope, "course_interrupted" if closed.interrupted else "course_closed")


HANDLERS = {
    "VisitationDecided": visitation_decided,
    "VisitationCaseClosed": visitation_case_closed,
    "CourseClosed": course_closed,
}
