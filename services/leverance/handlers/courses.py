"""Course use cases: hand-over from visitation, coordinator, interruption, closing, anchoring."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from services.contracts.documents import DocumentJournaled
from services.contracts.visitation import CaseHandedToLeverance, VisitationCaseClosed
from services.kernel.context import Principal
from services.kernel.envelope import Envelope, EventPayload, new_id, utcnow
from services.kernel.store import MongoStore, Transaction
from services.leverance.commands import (
    BookAnchoringActivity,
    InterruptCourse,
    NameCoordinator,
    RecordAnchoringActivityHeld,
    RecordAnchoringAgendaSent,
    RecordClosingMeeting,
)
from services.leverance.domain import agreements, closure
from services.leverance.domain import course as rules
from services.leverance.domain import suppliers as supplier_rules
from services.leverance.domain.agreements import Delivery
from services.leverance.domain.closure import ClosingChecklist
from services.leverance.domain.course import Course, JournaledDocument
from services.leverance.domain.goals import GoalEvaluation
from services.leverance.domain.reference import CLARIFYING_SUMMARY_NOTE
from services.leverance.handlers.base import (
    actor,
    check_version,
    courses,
    deliveries,
    documents,
    emit,
    find_all,
    load_course,
    save_all,
    suppliers,
    today,
    update_course,
)
from services.workdays import WorkingDayCalendar

log = logging.getLogger(__name__)


async def open_course(tx: Transaction, envelope: Envelope) -> None:
    """Open the course, or add the supplier's part, when visitation hands a case over."""
    handed = envelope.payload_as(CaseHandedToLeverance)
    course = await courses.get(tx, handed.case_id)
    supplier = await suppliers.get(tx, handed.supplier_id)
    known = supplier_rules.lists_specialist(supplier, handed.specialist_id)
    if not known:
        log.info(
            "case %s: specialist %s is not listed by supplier %s",
            handed.case_id,
            handed.specialist_id,
            handed.supplier_id,
        )
    opened = rules.hand_over(
        course, handed, delivery_id=new_id(), now=utcnow(), specialist_known=known
    )
    if opened is None:
        log.info("case %s already has supplier %s or ended", handed.case_id, handed.supplier_id)
        return
    updated, delivery, events = opened
    if course is None:
        await courses.add(tx, updated)
    else:
        await courses.save(tx, updated, expected_version=course.version)
    await deliveries.add(tx, delivery)
    await emit(tx, events)


async def record_journaled_document(
    tx: Transaction, envelope: Envelope, *, calendar: WorkingDayCalendar
) -> None:
    """Keep what documents journaled on a case (the closing checklist is read from it); a sent
    summary note of the clarifying meeting makes the agreement proposals due."""
    journaled = envelope.payload_as(DocumentJournaled)
    if await documents.get(tx, journaled.document_id) is not None:
        return
    if journaled.kind == CLARIFYING_SUMMARY_NOTE and journaled.sent_to:
        parts = await find_all(tx, deliveries, {"case_id": journaled.case_id})
        for delivery in parts:
            if journaled.supplier_id not in (None, delivery.supplier_id):
                continue
            due, events = agreements.expect_proposal(
                delivery, sent_on=today(journaled.journaled_at), calendar=calendar
            )
            if due != delivery:
                await deliveries.save(tx, due, expected_version=delivery.version)
            await emit(tx, events)
    await documents.add(
        tx,
        JournaledDocument(
            id=journaled.document_id,
            case_id=journaled.case_id,
            kind=journaled.kind,
            title=journaled.title,
            sent_to=tuple(journaled.sent_to),
            supplier_id=journaled.supplier_id,
            journaled_at=journaled.journaled_at,
            status=journaled.status,
        ),
    )


async def get_course(
    case_id: str, *, store: MongoStore, principal: Principal
) -> tuple[Course, ClosingChecklist]:
    """A course the caller may see (supplier roles: only their own part) and its checklist."""

    async def work(tx: Transaction) -> tuple[Course, ClosingChecklist]:
        course = await load_course(tx, case_id, principal)
        parts = await find_all(tx, deliveries, {"case_id": case_id})
        if principal.is_supplier:
            parts = [d for d in parts if d.supplier_id == principal.supplier_id]
        checklist = closure.checklist(
            course, await find_all(tx, documents, {"case_id": case_id}), parts
        )
        if principal.is_supplier:
            own = tuple(p for p in course.parts if p.supplier_id == principal.supplier_id)
            course = course.model_copy(update={"parts": own})
        return course, checklist

    return await store.transact(work)


async def name_coordinator(
    command: NameCoordinator,
    *,
    store: MongoStore,
    principal: Principal,
    calendar: WorkingDayCalendar,
) -> Course:
    """The consultant names the coordinating supplier; the course may start with it."""

    async def decide(tx: Transaction, course: Course) -> tuple[Course, list[EventPayload]]:
        named, events = rules.name_coordinator(course, command.supplier_id, actor=actor(principal))
        started, start_events = rules.start_if_ready(
            named,
            await find_all(tx, deliveries, {"case_id": course.id}),
            now=utcnow(),
            calendar=calendar,
        )
        return started, [*events, *start_events]

    return await update_course(store, command.case_id, command.expected_version, principal, decide)


async def interrupt(
    command: InterruptCourse,
    *,
    store: MongoStore,
    principal: Principal,
    calendar: WorkingDayCalendar,
) -> Course:
    """Stop the course and its open parts."""

    async def work(tx: Transaction) -> Course:
        course = await load_course(tx, command.case_id, principal)
        check_version(course, command.expected_version, "course")
        now = utcnow()
        updated, changed, events = rules.interrupt(
            course,
            await find_all(tx, deliveries, {"case_id": course.id}),
            reason=command.reason,
            note=command.note,
            actor=actor(principal),
            now=now,
            calendar=calendar,
        )
        return await _store_stopped(tx, course, updated, changed, events, now=now)

    return await store.transact(work)


async def _store_stopped(
    tx: Transaction,
    course: Course,
    updated: Course,
    changed: list[Delivery],
    events: Sequence[EventPayload],
    *,
    now: datetime,
) -> Course:
    """Save a stopped course and its changed parts; close the course once no part is open."""
    stored = await courses.save(tx, updated, expected_version=course.version)
    await save_all(tx, deliveries, changed)
    closed, close_events = closure.close_if_done(
        stored, await find_all(tx, deliveries, {"case_id": course.id}), now=now
    )
    if closed != stored:
        stored = await courses.save(tx, closed, expected_version=stored.version)
    await emit(tx, [*events, *close_events])
    return stored


async def stop_for_visitation(
    tx: Transaction, envelope: Envelope, *, calendar: WorkingDayCalendar
) -> None:
    """Visitation stopped the case (consent withdrawn, interrupted): interrupt its open course."""
    stopped = envelope.payload_as(VisitationCaseClosed)
    course = await courses.get(tx, stopped.case_id)
    if course is None:
        return
    parts = await find_all(tx, deliveries, {"case_id": course.id})
    now = utcnow()
    result = rules.stop_for_visitation(
        course, parts, kind=stopped.kind, reason=stopped.reason, now=now, calendar=calendar
    )
    if result is None:
        return
    updated, changed, events = result
    await _store_stopped(tx, course, updated, changed, events, now=now)


async def record_closing_meeting(
    command: RecordClosingMeeting,
    *,
    store: MongoStore,
    principal: Principal,
    calendar: WorkingDayCalendar,
) -> Course:
    """Record the closing meeting; each running part's statement becomes due."""

    async def decide(tx: Transaction, course: Course) -> tuple[Course, list[EventPayload]]:
        return closure.record_closing_meeting(
            course,
            await find_all(tx, deliveries, {"case_id": course.id}),
            held_on=command.held_on,
            today=today(utcnow()),
            actor=actor(principal),
            calendar=calendar,
            evaluations=[GoalEvaluation(**e.model_dump()) for e in command.goal_evaluations],
            consultant_attended=command.consultant_attended,
        )

    return await update_course(store, command.case_id, command.expected_version, principal, decide)


async def book_anchoring(
    command: BookAnchoringActivity,
    *,
    store: MongoStore,
    principal: Principal,
    calendar: WorkingDayCalendar,
) -> Course:
    """Book an anchoring activity."""

    async def decide(tx: Transaction, course: Course) -> tuple[Course, list[EventPayload]]:
        return rules.book_anchoring(
            course,
            await find_all(tx, deliveries, {"case_id": course.id}),
            activity_id=f"F{len(course.anchoring) + 1}",
            kind=command.kind,
            on=command.on,
            actor=actor(principal),
            today=today(utcnow()),
            calendar=calendar,
        )

    return await update_course(store, command.case_id, command.expected_version, principal, decide)


async def hold_anchoring(
    command: RecordAnchoringActivityHeld, *, store: MongoStore, principal: Principal
) -> Course:
    """Record that an anchoring activity took place."""

    async def decide(tx: Transaction, course: Course) -> tuple[Course, list[EventPayload]]:
        return rules.hold_anchoring(
            course, activity_id=command.activity_id, actor=actor(principal), today=today(utcnow())
        )

    return await update_course(store, command.case_id, command.expected_version, principal, decide)


async def send_anchoring_agenda(
    command: RecordAnchoringAgendaSent,
    *,
    store: MongoStore,
    principal: Principal,
    calendar: WorkingDayCalendar,
) -> Course:
    """Record that the anchoring meeting's agenda was sent; its deadline is met."""

    async def decide(tx: Transaction, course: Course) -> tuple[Course, list[EventPayload]]:
        return rules.send_anchoring_agenda(
            course,
            await find_all(tx, deliveries, {"case_id": course.id}),
            activity_id=command.activity_id,
            actor=actor(principal),
            today=today(utcnow()),
            calendar=calendar,
        )

    return await update_course(store, command.case_id, command.expected_version, principal, decide)
