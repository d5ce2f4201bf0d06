"""Repositories and helpers every leverance use case shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar, cast

from pymongo import ASCENDING

from services.kernel.context import Principal
from services.kernel.envelope import EventPayload
from services.kernel.errors import ConcurrencyConflict, NotFound
from services.kernel.paging import Paging
from services.kernel.store import Aggregate, MongoStore, Repository, Transaction
from services.leverance.domain.agreements import Actor, Delivery
from services.leverance.domain.central import CentralHours
from services.leverance.domain.consumption import ConsumptionEntry
from services.leverance.domain.course import Course, JournaledDocument
from services.leverance.domain.ledger import (
    DeadlineEvent,
    TrackedDeadline,
    is_deadline_event,
    track,
)
from services.leverance.domain.money import Appropriation, Settlement
from services.leverance.domain.suppliers import Supplier
from services.leverance.domain.types import danish_day

A = TypeVar("A", bound=Aggregate)

suppliers = Repository(Supplier, "suppliers")
courses = Repository(Course, "courses")
deliveries = Repository(Delivery, "deliveries")
entries = Repository(ConsumptionEntry, "consumption")
documents = Repository(JournaledDocument, "journaled_documents")
settlements = Repository(Settlement, "settlements")
appropriations = Repository(Appropriation, "appropriations")
ledger = Repository(TrackedDeadline, "deadlines")
central_hours = Repository(CentralHours, "central_hours")

BY_ID = (("_id", ASCENDING),)
"""The order of ListSuppliers and ListDeliveries."""
ENTRY_ORDER = (("logged_at", ASCENDING), ("_id", ASCENDING))
"""The order of ListConsumption: oldest logged first."""


def today(now: datetime) -> date:
    """The Danish calendar day of a moment."""
    return danish_day(now)


def actor(principal: Principal) -> Actor:
    """The domain's view of the caller."""
    return Actor(user_id=principal.user_id, role=principal.role, supplier_id=principal.supplier_id)


def may_see(principal: Principal, supplier_id: str) -> bool:
    """VISO staff see every supplier; supplier roles only their own."""
    return not principal.is_supplier or principal.supplier_id == supplier_id


async def page_of(
    repository: Repository[A],
    store: MongoStore,
    query: dict[str, Any],
    order: Sequence[tuple[str, int]],
    *,
    size: int,
    token: str,
) -> tuple[list[A], str]:
    """A page of the aggregates matching a query in a given order (AIP-158, keyset), and the
    next page's token, bound to the query."""
    docs, following = await Paging(order, {"query": query}).page(
        store.db[repository.collection], query, size=size, token=token
    )
    return [repository.from_doc(doc) for doc in docs], following


def check_version(aggregate: Aggregate, expected: int, kind: str) -> None:
    """Refuse when the caller read an older version (0: no check)."""
    if expected and expected != aggregate.version:
        raise ConcurrencyConflict(kind, aggregate.id, expected)


async def find_all(tx: Transaction, repository: Repository[A], query: dict[str, Any]) -> list[A]:
    """Every aggregate matching a query, read inside the transaction."""
    docs = await tx.find(repository.collection, query, sort=[("_id", 1)])
    return [repository.from_doc(doc) for doc in docs]


async def load_delivery(tx: Transaction, delivery_id: str, principal: Principal) -> Delivery:
    """A delivery the caller may see; NOT_FOUND alike whether missing or another supplier's."""
    found = await deliveries.get(tx, delivery_id)
    if found is None or not may_see(principal, found.supplier_id):
        raise NotFound("delivery", delivery_id)
    return found


async def load_course(tx: Transaction, case_id: str, principal: Principal) -> Course:
    """A course the caller may see: VISO staff, or a supplier with a part in it."""
    found = await courses.get(tx, case_id)
    if found is None or (
        principal.is_supplier
        and (principal.supplier_id is None or found.part_of(principal.supplier_id) is None)
    ):
        raise NotFound("course", case_id)
    return found


async def save_all(tx: Transaction, repository: Repository[A], changed: list[A]) -> None:
    """Save aggregates each at the version it was read."""
    for aggregate in changed:
        await repository.save(tx, aggregate, expected_version=aggregate.version)


async def emit(tx: Transaction, events: Sequence[EventPayload]) -> None:
    """Emit events; a deadline event also updates the deadline ledger in the same transaction."""
    for event in events:
        if is_deadline_event(event):
            deadline = cast(DeadlineEvent, event)
            found = await ledger.get(tx, deadline.deadline_id)
            if found is None:
                await ledger.add(tx, track(None, deadline))
            else:
                await ledger.save(tx, track(found, deadline), expected_version=found.version)
        tx.emit(event)


DecideCourse = Callable[[Transaction, Course], Awaitable[tuple[Course, Sequence[EventPayload]]]]


async def update_course(
    store: MongoStore,
    case_id: str,
    expected_version: int,
    principal: Principal,
    decide: DecideCourse,
) -> Course:
    """Load a course the caller may see, at the version read; let the domain decide (reading
    more in the transaction where it needs to); save the course with its events. One
    transaction."""

    async def work(tx: Transaction) -> Course:
        course = await load_course(tx, case_id, principal)
        check_version(course, expected_version, "course")
        updated, events = await decide(tx, course)
        stored = await courses.save(tx, updated, expected_version=course.version)
        await emit(tx, events)
        return stored

    return await store.transact(work)
