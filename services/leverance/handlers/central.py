"""Use cases of a course the central unit runs itself: opened from visitation's hand-over,
planned, its hours logged and closed by the consultant."""

from __future__ import annotations

import logging
from decimal import Decimal

from services.contracts.visitation import CaseHandedToCentralUnit
from services.kernel.context import Principal
from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.store import MongoStore, Transaction
from services.leverance.commands import CloseCentralCourse, LogCentralHours, StartCentralCourse
from services.leverance.domain import agreements
from services.leverance.domain import central as rules
from services.leverance.domain.course import Course
from services.leverance.handlers.base import (
    actor,
    central_hours,
    check_version,
    courses,
    documents,
    emit,
    find_all,
    load_course,
    today,
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

    async def work(tx: Transaction) -> Course:
        course = await load_course(tx, command.case_id, principal)
        check_version(course, command.expected_version, "course")
        started, events = rules.start_central_course(
            course,
            description=description,
            read_violations=read_violations,
            planned_hours=Decimal(command.planned_hours),
            actor=actor(principal),
            now=utcnow(),
            calendar=calendar,
        )
        stored = await courses.save(tx, started, expected_version=course.version)
        await emit(tx, events)
        return stored

    return await store.transact(work)


async def log_central_hours(
    command: LogCentralHours, *, store: MongoStore, principal: Principal
) -> Course:
    """Hours the central unit spent on the course."""

    async def work(tx: Transaction) -> Course:
        course = await load_course(tx, command.case_id, principal)
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
        stored = await courses.save(tx, logged, expected_version=course.version)
        await emit(tx, events)
        return stored

    return await store.transact(work)


async def close_central_course(
    command: CloseCentralCourse,
    *,
    store: MongoStore,
    principal: Principal,
    calendar: WorkingDayCalendar,
) -> Course:
    """The consultant closes the course once its checklist holds."""

    async def work(tx: Transaction) -> Course:
        course = await load_course(tx, command.case_id, principal)
        check_version(course, command.expected_version, "course")
        now = utcnow()
        closed, events = rules.close_central_course(
            course,
            await find_all(tx, documents, {"case_id": course.id}),
            actor=actor(principal),
            today=today(now),
            now=now,
            calendar=calendar,
        )
        stored = await courses.save(tx, closed, expected_version=course.version)
        await emit(tx, events)
        return stored

    return await store.transact(work)
