"""Use cases of a course the central unit runs itself: opened from visitation's hand-over,
planned, its hours logged and closed by the consultant."""

from __future__ import annotations

import logging
from decimal import Decimal

from services.contracts.visitation import CaseHandedToCentralUnit
from services.kernel.context import Principal
from services.kernel.envelope import Envelope, EventPayload, new_id, utcnow
from services.kernel.store import MongoStore, Transaction
from services.leverance.commands import CloseCentralCourse, LogCentralHours, StartCentralCourse
from services.leverance.domain import agreements
from services.leverance.domain import central as rules
from services.leverance.domain.course import Course
from services.leverance.handlers.base import (
    actor,
    central_hours,
    courses,
    documents,
    emit,
    find_all,
    today,
    update_course,
)
from services.workdays import WorkingDayCalendar

log = logging.getLogger(__name__)


async def open_central_course(tx: Transaction, envelope: Envelope) -> None:
    """Open the course the central unit runs, when visitation hands the case to it."""
    handed = envelope.payload_as(CaseHandedToCentralUnit)
    existing = await courses.get(tx, handed.case_id)
    opened = rules.open_central_course(existing, handed, now=utcnow())
    if opened is None:
        log.info("case %s already has a course", handed.case_id)
        return
    course, events = opened
    await courses.add(tx, course)
    await emit(tx, events)


async def start_central_course(
    command: StartCentralCourse,
    *,
    store: MongoStore,
    principal: Principal,
    calendar: WorkingDayCalendar,
) -> Course:
    """The consultant plans the course; it runs."""
    description, read_violations = agreements.read_description(command.description)

    async def decide(tx: Transaction, course: Course) -> tuple[Course, list[EventPayload]]:
        return rules.start_central_course(
            course,
            description=description,
            read_violations=read_violations,
            planned_hours=Decimal(command.planned_hours),
            actor=actor(principal),
            now=utcnow(),
            calendar=calendar,
        )

    return await update_course(store, command.case_id, command.expected_version, principal, decide)


async def log_central_hours(
    command: LogCentralHours, *, store: MongoStore, principal: Principal
) -> Course:
    """Hours the central unit spent on the course."""

    async def decide(tx: Transaction, course: Course) -> tuple[Course, list[EventPayload]]:
        now = utcnow()
        logged, entry, events = rules.log_hours(
            course,
            entry_id=new_id(),
            activity_kind=command.activity_kind,
            worked_on=command.worked_on,
            hours=Decimal(command.hours),
            note=command.note,
            actor=actor(principal),
            today=today(now),
            now=now,
        )
        await central_hours.add(tx, entry)
        return logged, events

    return await update_course(store, command.case_id, 0, principal, decide)


async def close_central_course(
    command: CloseCentralCourse,
    *,
    store: MongoStore,
    principal: Principal,
    calendar: WorkingDayCalendar,
) -> Course:
    """The consultant closes the course once its checklist holds."""

    async def decide(tx: Transaction, course: Course) -> tuple[Course, list[EventPayload]]:
        now = utcnow()
        return rules.close_central_course(
            course,
            await find_all(tx, documents, {"case_id": course.id}),
            actor=actor(principal),
            today=today(now),
            now=now,
            calendar=calendar,
        )

    return await update_course(store, command.case_id, command.expected_version, principal, decide)
