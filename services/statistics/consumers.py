"""The events of every service -> one fact document per inquiry, course, KaS registration,
survey, consumption entry, appropriation and deadline, keyed by its pseudonymous id, and the
report's counters per year (`counters.py`) kept with them.

Each handler sets fields on its fact (upsert) and adds the change of the fact's contribution
to its year's counters in the same transaction, so an event applied again changes nothing
(neither the fact nor a counter) and the read model can be rebuilt by replaying the topics.
Payloads are read through statistics' own narrow models (unknown fields ignored); no CPR or
name is ever read or stored.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from services.kernel.consumer import EventHandler
from services.kernel.envelope import Envelope
from services.kernel.store import Transaction
from services.statistics import counters
from services.statistics.counters import (
    APPROPRIATIONS,
    COUNTERS,
    COURSES,
    DEADLINES,
    INQUIRIES,
    KAS,
    SPENDING,
    SURVEYS,
)
from services.statistics.reference import Reference

DANISH_TIME = ZoneInfo("Europe/Copenhagen")


def danish_year(at: datetime) -> int:
    """The year of a moment in Danish time."""
    return at.astimezone(DANISH_TIME).year


def ore(amount: Decimal) -> int:
    """An amount in DKK as whole øre (sums exactly in the database)."""
    return int((amount * 100).to_integral_value())


class _View(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Registered(_View):
    inquiry_id: str
    main_area: str
    registered_at: datetime
    kind: str | None = None
    inquirer_type: str | None = None


class _Assigned(_View):
    inquiry_id: str
    main_area: str
    target_groups: list[str] = []


class _CourseOpened(_View):
    case_id: str
    inquiry_id: str
    service: str
    main_area: str


class _CourseStarted(_View):
    case_id: str
    inquiry_id: str
    service: str
    started_at: datetime
    delivered_by: str | None = None


class _Kas(_View):
    registration_id: str
    supplier_id: str
    status: str
    inquiry_date: date | None = None
    course_expected: bool | None = None


class _SurveyRequested(_View):
    case_id: str
    main_area: str
    closed_at: datetime


class _Answer(_View):
    question_id: str
    answer: str


class _SurveyAnswered(_View):
    case_id: str
    main_area: str
    year: int
    answers: list[_Answer]


class _Consumption(_View):
    case_id: str
    entry_id: str
    worked_on: date
    amount_dkk: Decimal


class _Reviewed(_View):
    entry_ids: list[str]
    approved: bool


class _Appropriation(_View):
    year: int
    main_area: str
    amount_dkk: Decimal


class _Deadline(_View):
    deadline_id: str
    rule: str
    due: date
    met_on: date | None = None


async def _set(
    tx: Transaction,
    collection: str,
    key: str,
    fields: dict[str, Any],
    *,
    old: dict[str, Any] | None = None,
) -> None:
    """Set fields on a fact and count the change of what it adds to its year's counters
    (`old`: the fact as just read, if the handler read it)."""
    if old is None:
        old = await tx.find_one(collection, {"_id": key}) or {}
    tx.update(collection, {"_id": key}, {"$set": fields}, upsert=True)
    for year, change in counters.delta(collection, old, {**old, **fields}).items():
        tx.update(COUNTERS, {"_id": year}, {"$inc": counters.increments(change)}, upsert=True)


async def _target_groups(tx: Transaction, inquiry_id: str) -> list[str]:
    inquiry = await tx.find_one(INQUIRIES, {"_id": inquiry_id}, {"target_groups": 1})
    return list((inquiry or {}).get("target_groups") or [])


def handlers(reference: Reference) -> dict[str, EventHandler]:
    """Statistics' handler of each event type it counts."""

    async def inquiry_registered(tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(_Registered)
        group = reference.inquirer_group(event.inquirer_type) if event.inquirer_type else None
        await _set(
            tx,
            INQUIRIES,
            event.inquiry_id,
            {
                "year": danish_year(event.registered_at),
                "main_area": event.main_area,
                "kind": event.kind or "form",
                "inquirer_group": group,
            },
        )

    async def inquiry_assigned(tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(_Assigned)
        groups = sorted(set(event.target_groups))
        await _set(tx, INQUIRIES, event.inquiry_id, {"target_groups": groups})
        # A course counts in its inquiry's target groups, also when it started before.
        for course in await tx.find(COURSES, {"inquiry_id": event.inquiry_id}):
            await _set(tx, COURSES, course["_id"], {"target_groups": groups}, old=course)

    async def course_opened(tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(_CourseOpened)
        await _set(
            tx,
            COURSES,
            event.case_id,
            {
                "inquiry_id": event.inquiry_id,
                "main_area": event.main_area,
                "service": event.service,
                "target_groups": await _target_groups(tx, event.inquiry_id),
            },
        )

    async def course_started(tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(_CourseStarted)
        await _set(
            tx,
            COURSES,
            event.case_id,
            {
                "inquiry_id": event.inquiry_id,
                "service": event.service,
                "year": danish_year(event.started_at),
                "central_unit": event.delivered_by == "central_unit",
                "target_groups": await _target_groups(tx, event.inquiry_id),
            },
        )

    async def kas_saved(tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(_Kas)
        when = event.inquiry_date or envelope.occurred_at.astimezone(DANISH_TIME).date()
        await _set(
            tx,
            KAS,
            event.registration_id,
            {
                "supplier_id": event.supplier_id,
                "year": when.year,
                "draft": event.status == "draft",
                "course": bool(event.course_expected),
            },
        )

    async def survey_requested(tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(_SurveyRequested)
        await _set(
            tx,
            SURVEYS,
            event.case_id,
            {"main_area": event.main_area, "year": danish_year(event.closed_at)},
        )

    async def survey_answered(tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(_SurveyAnswered)
        await _set(
            tx,
            SURVEYS,
            event.case_id,
            {
                "main_area": event.main_area,
                "year": event.year,
                "answers": {a.question_id: a.answer for a in event.answers},
            },
        )

    async def consumption_logged(tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(_Consumption)
        # The course's CourseOpened came before on the same partition (both keyed by the case).
        course = await tx.find_one(COURSES, {"_id": event.case_id}, {"main_area": 1})
        await _set(
            tx,
            SPENDING,
            event.entry_id,
            {
                "case_id": event.case_id,
                "main_area": (course or {}).get("main_area", "other"),
                "year": event.worked_on.year,
                "amount_ore": ore(event.amount_dkk),
            },
        )

    async def consumption_reviewed(tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(_Reviewed)
        for entry_id in event.entry_ids:
            await _set(tx, SPENDING, entry_id, {"approved": event.approved})

    async def appropriation_set(tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(_Appropriation)
        await _set(
            tx,
            APPROPRIATIONS,
            f"{event.year}:{event.main_area}",
            {"year": event.year, "main_area": event.main_area, "amount_ore": ore(event.amount_dkk)},
        )

    async def deadline(tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(_Deadline)
        found = await tx.find_one(DEADLINES, {"_id": event.deadline_id}) or {}
        fields: dict[str, Any] = {"rule": event.rule}
        status = found.get("status", "open")
        if envelope.type in ("DeadlineSet", "DeadlineChanged") or "due" not in found:
            fields |= {"due": event.due.isoformat(), "year": event.due.year}
        due = date.fromisoformat(
            str(fields.get("due") or found.get("due") or event.due.isoformat())
        )
        if envelope.type == "DeadlineMet" and event.met_on is not None:
            late = (event.met_on - due).days
            fields |= {"status": "late" if late > 0 else "met", "days_late": max(late, 0)}
        elif envelope.type == "DeadlineMissed" and status == "open":
            fields["status"] = "missed"
        elif envelope.type == "DeadlineCancelled" and status == "open":
            fields["status"] = "cancelled"
        elif "status" not in found:
            fields["status"] = "open"
        await _set(tx, DEADLINES, event.deadline_id, fields, old=found)

    return {
        "InquiryRegistered": inquiry_registered,
        "InquiryAssigned": inquiry_assigned,
        "CourseOpened": course_opened,
        "CentralCourseOpened": course_opened,
        "CourseStarted": course_started,
        "KasRegistrationSaved": kas_saved,
        "SatisfactionSurveyRequested": survey_requested,
        "SatisfactionSurveyAnswered": survey_answered,
        "ConsumptionLogged": consumption_logged,
        "ConsumptionReviewed": consumption_reviewed,
        "AppropriationSet": appropriation_set,
        "DeadlineSet": deadline,
        "DeadlineMet": deadline,
        "DeadlineMissed": deadline,
        "DeadlineChanged": deadline,
        "DeadlineCancelled": deadline,
    }
