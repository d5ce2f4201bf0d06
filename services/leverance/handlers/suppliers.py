"""Supplier use cases: every change stores the supplier and its profile event together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.kernel.context import Principal
from services.kernel.envelope import utcnow
from services.kernel.errors import NotFound
from services.kernel.store import MongoStore, Transaction
from services.leverance.commands import (
    ImportSuppliers,
    RemoveContract,
    SaveSupplier,
    SetContract,
    SetSpecialist,
)
from services.leverance.domain import suppliers as rules
from services.leverance.domain.supplier_csv import parse_suppliers
from services.leverance.domain.suppliers import Supplier, SupplierProfile
from services.leverance.handlers.base import BY_ID, check_version, may_see, page_of, suppliers


async def _store_change(tx: Transaction, before: Supplier, after: Supplier | None) -> Supplier:
    if after is None:
        return before
    stored = await suppliers.save(tx, after, expected_version=before.version)
    tx.emit(stored.profile_changed())
    return stored


async def _change(
    store: MongoStore,
    supplier_id: str,
    expected_version: int,
    principal: Principal,
    change: Callable[[Supplier], Supplier | None],
) -> Supplier:
    async def work(tx: Transaction) -> Supplier:
        found = await suppliers.get(tx, supplier_id)
        if found is None or not may_see(principal, supplier_id):
            raise NotFound("supplier", supplier_id)
        check_version(found, expected_version, "supplier")
        return await _store_change(tx, found, change(found))

    return await store.transact(work)


async def save_supplier(command: SaveSupplier, *, store: MongoStore) -> Supplier:
    """Create a supplier, or update its profile."""
    profile = SupplierProfile(
        name=command.name,
        kind=command.kind,
        kas=command.kas,
        active=command.active,
        address=command.address,
        free_capacity=command.free_capacity,
    )

    async def work(tx: Transaction) -> Supplier:
        now = utcnow()
        found = await suppliers.get(tx, command.supplier_id)
        if found is None:
            stored = await suppliers.add(
                tx, rules.new_supplier(command.supplier_id, profile, now=now)
            )
            tx.emit(stored.profile_changed())
            return stored
        check_version(found, command.expected_version, "supplier")
        return await _store_change(tx, found, rules.with_profile(found, profile, now=now))

    return await store.transact(work)


async def set_contract(
    command: SetContract, *, store: MongoStore, principal: Principal
) -> Supplier:
    """Add or replace a framework contract."""
    return await _change(
        store,
        command.supplier_id,
        command.expected_version,
        principal,
        lambda s: rules.with_contract(s, command.contract, now=utcnow()),
    )


async def remove_contract(
    command: RemoveContract, *, store: MongoStore, principal: Principal
) -> Supplier:
    """Remove a framework contract."""
    return await _change(
        store,
        command.supplier_id,
        command.expected_version,
        principal,
        lambda s: rules.without_contract(s, command.contract_id, now=utcnow()),
    )


async def set_specialist(
    command: SetSpecialist, *, store: MongoStore, principal: Principal
) -> Supplier:
    """Add or replace a specialist and their training status."""
    return await _change(
        store,
        command.supplier_id,
        command.expected_version,
        principal,
        lambda s: rules.with_specialist(s, command.specialist, now=utcnow()),
    )


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    created: int
    updated: int
    unchanged: int
    supplier_ids: list[str]


async def import_suppliers(command: ImportSuppliers, *, store: MongoStore) -> ImportResult:
    """Import a supplier list, all or nothing; only changed suppliers get a new revision."""
    imported = parse_suppliers(command.csv_text)

    async def work(tx: Transaction) -> ImportResult:
        now = utcnow()
        created = updated = unchanged = 0
        for item in imported:
            found = await suppliers.get(tx, item.supplier_id)
            if found is None:
                fresh = rules.new_supplier(item.supplier_id, item.profile, now=now)
                fresh = rules.with_contracts(fresh, item.contracts, now=now) or fresh
                tx.emit((await suppliers.add(tx, fresh)).profile_changed())
                created += 1
                continue
            after = rules.with_profile(found, item.profile, now=now) or found
            after = rules.with_contracts(after, item.contracts, now=now) or after
            if after is found:
                unchanged += 1
            else:
                await _store_change(tx, found, after)
                updated += 1
        return ImportResult(created, updated, unchanged, [i.supplier_id for i in imported])

    return await store.transact(work)


async def get_supplier(supplier_id: str, *, store: MongoStore, principal: Principal) -> Supplier:
    """One supplier the caller may see."""
    found = await suppliers.read(store.db, supplier_id)
    if found is None or not may_see(principal, supplier_id):
        raise NotFound("supplier", supplier_id)
    return found


async def list_suppliers(*, store: MongoStore, size: int, token: str) -> tuple[list[Supplier], str]:
    """A page of the suppliers ordered by id, and the next page's token."""
    return await page_of(suppliers, store, {}, BY_ID, size=size, token=token)
