"""Delivery-agreement use cases: proposals, approvals, changes, consumption and closure."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from services.kernel.context import Principal
from services.kernel.envelope import new_id, utcnow
from services.kernel.errors import FieldViolation, IllegalTransition, InvalidInput
from services.kernel.store import MongoStore, Transaction
from services.leverance.commands import (
    ConfirmClosingStep,
    DecideAgreement,
    DeliveryStep,
    LogConsumption,
    ProposeAgreement,
    ReturnAgreement,
    ReviewConsumption,
)
from services.leverance.domain import agreements, closure, consumption
from services.leverance.domain import course as course_rules
from services.leverance.domain import suppliers as supplier_rules
from services.leverance.domain.agreements import Delivery
from services.leverance.domain.consumption import ConsumptionEntry, Expense, Totals
from services.leverance.domain.course import Course
from services.leverance.domain.types import total
from services.leverance.handlers.base import (
    BY_ID,
    ENTRY_ORDER,
    actor,
    check_version,
    courses,
    deliveries,
    documents,
    emit,
    entries,
    find_all,
    load_delivery,
    page_of,
    save_all,
    suppliers,
    today,
)
from services.leverance.settings import LeveranceSettings
from services.workdays import WorkingDayCalendar


async def _case_deliveries(tx: Transaction, case_id: str) -> list[Delivery]:
    return await find_all(tx, deliveries, {"case_id": case_id})


async def _start_course_if_ready(
    tx: Transaction, case_id: str, calendar: WorkingDayCalendar
) -> None:
    """Start the course once this approval completed every part."""
    course = await courses.get(tx, case_id)
    if course is None:
        return
    started, events = course_rules.start_if_ready(
        course, await _case_deliveries(tx, case_id), now=utcnow(), calendar=calendar
    )
    if started != course:
        await courses.save(tx, started, expected_version=course.version)
    await emit(tx, events)


async def _extend_course(tx: Transaction, delivery: Delivery, calendar: WorkingDayCalendar) -> None:
    """Move the course's duration deadline when an approved change runs past the limit."""
    course = await courses.get(tx, delivery.case_id)
    version = delivery.current
    if course is None or version is None:
        return
    ordinary = [a.planned_on for a in version.activities if not a.anchoring]
    if not ordinary:
        return
    extended, events = course_rules.extend_duration(
        course,
        await _case_deliveries(tx, course.id),
        last_day=max(ordinary),
        justification=version.duration_justification,
        calendar=calendar,
    )
    if extended != course:
        await courses.save(tx, extended, expected_version=course.version)
    await emit(tx, events)


async def propose(
    command: ProposeAgreement,
    *,
    change: bool,
    store: MongoStore,
    principal: Principal,
    calendar: WorkingDayCalendar,
    high_price_threshold: Decimal,
) -> Delivery:
    """The specialist proposes the agreement (change=False) or a change of it (change=True)."""

    async def work(tx: Transaction) -> Delivery:
        delivery = await load_delivery(tx, command.delivery_id, principal)
        check_version(delivery, command.expected_version, "delivery")
        if change != (delivery.status == "running"):
            use = "ProposeChange" if delivery.status == "running" else "ProposeAgreement"
            raise IllegalTransition(f"the delivery is {delivery.status}: use {use}")
        supplier = await suppliers.get(tx, delivery.supplier_id)
        supplier_rules.require_qualified_specialist(supplier, principal.user_id)
        contract = (
            supplier.contract_for(
                main_area=delivery.main_area,
                service=delivery.service,
                on=delivery.clarifying_meeting_on,
            )
            if supplier
            else None
        )
        # A plain find on the indexed delivery_id; `distinct` is a command SecantusDB may scan for.
        logged = {
            doc["activity_id"]
            for doc in await tx.find(
                entries.collection, {"delivery_id": delivery.id}, {"activity_id": 1}
            )
        }
        drafts, description, read_violations = agreements.read_proposal(
            command.activities, command.description
        )
        updated, events = agreements.propose(
            delivery,
            drafts=drafts,
            description=description,
            read_violations=read_violations,
            calendar=calendar,
            contract=contract,
            actor=actor(principal),
            now=utcnow(),
            justification=command.justification,
            duration_justification=command.duration_justification,
            activities_with_consumption=logged,
            high_price_threshold=high_price_threshold,
        )
        stored = await deliveries.save(tx, updated, expected_version=delivery.version)
        await emit(tx, events)
        return stored

    return await store.transact(work)


async def approve(
    command: DecideAgreement,
    *,
    store: MongoStore,
    principal: Principal,
    settings: LeveranceSettings,
    calendar: WorkingDayCalendar,
    manager_of: Callable[[str], Awaitable[str]],
) -> Delivery:
    """Approve the pending version; a fully approved first agreement may start the course.
    A high-price version goes to the consultant's manager as the directory names them."""

    async def work(tx: Transaction) -> Delivery:
        delivery = await load_delivery(tx, command.delivery_id, principal)
        check_version(delivery, command.expected_version, "delivery")
        threshold = settings.high_price_threshold_dkk
        pending = delivery.pending
        manager = settings.default_manager
        if (
            pending is not None
            and pending.status == "proposed"
            and agreements.needs_manager(pending, delivery.current, threshold)
        ):
            manager = await manager_of(delivery.consultant_id)
        updated, events = agreements.approve(
            delivery,
            actor=actor(principal),
            threshold=threshold,
            manager_of=lambda _consultant: manager,
            now=utcnow(),
        )
        stored = await deliveries.save(tx, updated, expected_version=delivery.version)
        await emit(tx, events)
        if stored.started and not delivery.started:
            await _start_course_if_ready(tx, delivery.case_id, calendar)
        in_force = stored.current
        if in_force and in_force.duration_justification and stored.current != delivery.current:
            await _extend_course(tx, stored, calendar)
        return stored

    return await store.transact(work)


async def return_for_renegotiation(
    command: ReturnAgreement, *, store: MongoStore, principal: Principal
) -> Delivery:
    """The consultant asks for renegotiation, or the manager rejects."""

    async def work(tx: Transaction) -> Delivery:
        delivery = await load_delivery(tx, command.delivery_id, principal)
        check_version(delivery, command.expected_version, "delivery")
        updated, events = agreements.return_for_renegotiation(
            delivery, actor=actor(principal), objections=command.objections, now=utcnow()
        )
        stored = await deliveries.save(tx, updated, expected_version=delivery.version)
        await emit(tx, events)
        return stored

    return await store.transact(work)


async def log_consumption(
    command: LogConsumption, *, store: MongoStore, principal: Principal
) -> ConsumptionEntry:
    """Log hours or an expense on an activity."""
    expense = None
    if command.expense_category is not None or command.expense_amount_dkk is not None:
        if command.expense_category is None or command.expense_amount_dkk is None:
            raise InvalidInput(
                [
                    FieldViolation(name, "an expense needs both its category and its amount")
                    for name in ("expense_category", "expense_amount_dkk")
                ]
            )
        expense = Expense(category=command.expense_category, amount_dkk=command.expense_amount_dkk)

    async def work(tx: Transaction) -> ConsumptionEntry:
        delivery = await load_delivery(tx, command.delivery_id, principal)
        now = utcnow()
        updated, entry, events = consumption.log(
            delivery,
            entry_id=new_id(),
            activity_id=command.activity_id,
            worked_on=command.worked_on,
            hours=Decimal(command.hours),
            expense=expense,
            note=command.note,
            actor=actor(principal),
            today=today(now),
            now=now,
        )
        stored = await entries.add(tx, entry)
        if updated != delivery:
            await deliveries.save(tx, updated, expected_version=delivery.version)
        await emit(tx, events)
        return stored

    return await store.transact(work)


async def review_consumption(
    command: ReviewConsumption, *, store: MongoStore, principal: Principal
) -> tuple[list[ConsumptionEntry], Totals]:
    """The consultant approves or rejects logged entries."""

    async def work(tx: Transaction) -> tuple[list[ConsumptionEntry], Totals]:
        delivery = await load_delivery(tx, command.delivery_id, principal)
        found = await find_all(tx, entries, {"delivery_id": delivery.id})
        by_id = {e.id: e for e in found}
        unknown = [
            FieldViolation(f"entry_ids.{i}", "no such entry on this delivery")
            for i, entry_id in enumerate(command.entry_ids)
            if entry_id not in by_id
        ]
        if unknown:
            raise InvalidInput(unknown)
        chosen = [by_id[i] for i in dict.fromkeys(command.entry_ids)]
        reviewed, events = consumption.review(
            delivery, chosen, approve=command.approve, reason=command.reason, actor=actor(principal)
        )
        await save_all(tx, entries, reviewed)
        await emit(tx, events)
        merged = [next((r for r in reviewed if r.id == e.id), e) for e in found]
        return merged, consumption.totals(delivery, merged)

    return await store.transact(work)


async def list_consumption(
    delivery_id: str, *, size: int, token: str, store: MongoStore, principal: Principal
) -> tuple[list[ConsumptionEntry], Totals, str]:
    """A page of a delivery's entries, oldest logged first, its totals against the budget
    over every entry, and the next page's token."""
    delivery, totals = await get_delivery(delivery_id, store=store, principal=principal)
    query = {"delivery_id": delivery.id}
    found, following = await page_of(entries, store, query, ENTRY_ORDER, size=size, token=token)
    return found, totals, following


async def _course_of(tx: Transaction, delivery: Delivery) -> Course:
    """The course the delivery is a part of; closing steps need it."""
    course = await courses.get(tx, delivery.case_id)
    if course is None:
        raise IllegalTransition("the delivery has no course")
    return course


async def confirm_closing_step(
    command: ConfirmClosingStep, *, store: MongoStore, principal: Principal
) -> Delivery:
    """The specialist confirms a closing step (recipient checked, working papers destroyed)."""

    async def work(tx: Transaction) -> Delivery:
        delivery = await load_delivery(tx, command.delivery_id, principal)
        check_version(delivery, command.expected_version, "delivery")
        course = await _course_of(tx, delivery)
        updated, events = closure.confirm_closing_step(
            course, delivery, step=command.step, actor=actor(principal), today=today(utcnow())
        )
        stored = await deliveries.save(tx, updated, expected_version=delivery.version)
        await emit(tx, events)
        return stored

    return await store.transact(work)


async def submit_statement(
    command: DeliveryStep, *, store: MongoStore, principal: Principal, calendar: WorkingDayCalendar
) -> Delivery:
    """The specialist submits the financial statement once the closing checklist holds."""

    async def work(tx: Transaction) -> Delivery:
        delivery = await load_delivery(tx, command.delivery_id, principal)
        check_version(delivery, command.expected_version, "delivery")
        course = await _course_of(tx, delivery)
        logged = await find_all(tx, entries, {"delivery_id": delivery.id})
        updated, events = closure.submit_statement(
            course,
            delivery,
            await find_all(tx, documents, {"case_id": course.id}),
            consumed_dkk=total(e.amount_dkk for e in logged if e.status != "rejected"),
            actor=actor(principal),
            today=today(utcnow()),
            calendar=calendar,
        )
        stored = await deliveries.save(tx, updated, expected_version=delivery.version)
        await emit(tx, events)
        return stored

    return await store.transact(work)


async def approve_statement(
    command: DeliveryStep, *, store: MongoStore, principal: Principal, calendar: WorkingDayCalendar
) -> Delivery:
    """The consultant approves the statement and the logged consumption; closes what is done."""

    async def work(tx: Transaction) -> Delivery:
        delivery = await load_delivery(tx, command.delivery_id, principal)
        check_version(delivery, command.expected_version, "delivery")
        course = await _course_of(tx, delivery)
        now = utcnow()
        updated, events = closure.approve_statement(
            course,
            delivery,
            await find_all(tx, documents, {"case_id": course.id}),
            actor=actor(principal),
            today=today(now),
            calendar=calendar,
        )
        stored = await deliveries.save(tx, updated, expected_version=delivery.version)
        pending = await find_all(tx, entries, {"delivery_id": delivery.id, "status": "logged"})
        if pending:
            reviewed, review_events = consumption.review(
                delivery, pending, approve=True, reason="", actor=actor(principal)
            )
            await save_all(tx, entries, reviewed)
            events += review_events
        others = [d for d in await _case_deliveries(tx, course.id) if d.id != stored.id]
        closed, close_events = closure.close_if_done(course, [*others, stored], now=now)
        if closed != course:
            await courses.save(tx, closed, expected_version=course.version)
        await emit(tx, [*events, *close_events])
        return stored

    return await store.transact(work)


async def get_delivery(
    delivery_id: str, *, store: MongoStore, principal: Principal
) -> tuple[Delivery, Totals]:
    """One delivery the caller may see, with its totals against the budget."""

    async def work(tx: Transaction) -> tuple[Delivery, Totals]:
        delivery = await load_delivery(tx, delivery_id, principal)
        every = await find_all(tx, entries, {"delivery_id": delivery.id})
        return delivery, consumption.totals(delivery, every)

    return await store.transact(work)


async def list_deliveries(
    *,
    case_id: str,
    supplier_id: str,
    status: str,
    size: int,
    token: str,
    store: MongoStore,
    principal: Principal,
) -> tuple[list[Delivery], str]:
    """A page of the deliveries matching the filters, by id, and the next page's token;
    supplier roles only ever get their own supplier's."""
    query: dict[str, object] = {}
    if case_id:
        query["case_id"] = case_id
    if status:
        query["status"] = status
    if principal.is_supplier:
        if not principal.supplier_id or (supplier_id and supplier_id != principal.supplier_id):
            return [], ""
        query["supplier_id"] = principal.supplier_id
    elif supplier_id:
        query["supplier_id"] = supplier_id
    return await page_of(deliveries, store, query, BY_ID, size=size, token=token)
