"""Money use cases: monthly settlements per supplier and spending against the appropriation."""

from __future__ import annotations

from services.contracts.leverance import AppropriationSet
from services.kernel.context import Principal
from services.kernel.envelope import utcnow
from services.kernel.errors import ConcurrencyConflict, NotFound
from services.kernel.store import MongoStore, Transaction
from services.leverance.commands import CreateMonthlySettlement, SetAppropriation
from services.leverance.domain import money
from services.leverance.domain.money import Appropriation, AreaSpending, Settlement
from services.leverance.handlers.base import (
    appropriations,
    central_hours,
    entries,
    find_all,
    may_see,
    settlements,
    suppliers,
    today,
)


async def create_settlement(
    command: CreateMonthlySettlement, *, store: MongoStore, principal: Principal
) -> Settlement:
    """Settle a supplier's month once; asking again returns the same settlement."""

    async def work(tx: Transaction) -> Settlement:
        key = money.settlement_id(command.supplier_id, command.month)
        existing = await settlements.get(tx, key)
        if existing is not None:
            return existing
        if await suppliers.get(tx, command.supplier_id) is None:
            raise NotFound("supplier", command.supplier_id)
        last = money.month_end(command.month)
        payable = await find_all(
            tx,
            entries,
            {
                "supplier_id": command.supplier_id,
                "status": "approved",
                "settlement_id": None,
                "worked_on": {"$lte": last.isoformat()},
            },
        )
        now = utcnow()
        settlement, event = money.settle(
            command.supplier_id,
            command.month,
            payable,
            today=today(now),
            by=principal.user_id,
            now=now,
        )
        stored = await settlements.add(tx, settlement)
        # One update per entry by id: an `$in` filter scans the collection on SecantusDB, and an
        # entry changed since it was read aborts the whole settlement.
        paid = {line.entry_id for line in settlement.lines}
        for entry in payable:
            if entry.id not in paid:
                continue
            tx.update(
                entries.collection,
                {"_id": entry.id, "version": entry.version},
                {"$set": {"settlement_id": settlement.id}, "$inc": {"version": 1}},
                conflict=ConcurrencyConflict(entries.collection, entry.id, entry.version),
            )
        tx.emit(event)
        return stored

    return await store.transact(work)


async def get_settlement(
    supplier_id: str, month: str, *, store: MongoStore, principal: Principal
) -> Settlement:
    """A settlement the caller may see; a month not written YYYY-MM is INVALID_ARGUMENT."""
    money.month_end(month)
    key = money.settlement_id(supplier_id, month)
    found = await settlements.read(store.db, key)
    if found is None or not may_see(principal, found.supplier_id):
        raise NotFound("settlement", key)
    return found


async def set_appropriation(command: SetAppropriation, *, store: MongoStore) -> Appropriation:
    """Set (or replace) the appropriation of a year and main area."""

    async def work(tx: Transaction) -> Appropriation:
        wanted = Appropriation(
            id=f"{command.year}:{command.main_area}",
            year=command.year,
            main_area=command.main_area,
            amount_dkk=command.amount_dkk,
        )
        found = await appropriations.get(tx, wanted.id)
        tx.emit(
            AppropriationSet(
                year=command.year,
                main_area=command.main_area,
                amount_dkk=command.amount_dkk,
                set_at=utcnow(),
            )
        )
        if found is None:
            return await appropriations.add(tx, wanted)
        return await appropriations.save(
            tx, wanted.model_copy(update={"version": found.version}), expected_version=found.version
        )

    return await store.transact(work)


async def get_spending(year: int, *, store: MongoStore) -> list[AreaSpending]:
    """Approved consumption worked in a year against the appropriation, per main area."""

    async def work(tx: Transaction) -> list[AreaSpending]:
        approved = await find_all(
            tx,
            entries,
            {"status": "approved", "worked_on": {"$gte": f"{year}-01-01", "$lte": f"{year}-12-31"}},
        )
        set_for_year = await find_all(tx, appropriations, {"year": year})
        worked = await find_all(
            tx, central_hours, {"worked_on": {"$gte": f"{year}-01-01", "$lte": f"{year}-12-31"}}
        )
        return money.spending(
            year, approved, {a.main_area: a.amount_dkk for a in set_for_year}, worked
        )

    return await store.transact(work)
