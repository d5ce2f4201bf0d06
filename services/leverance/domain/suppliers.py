"""Suppliers, their framework contracts and specialists; the profile visitation ranks from."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field, ValidationInfo, field_validator

from services.contracts.common import MainArea
from services.contracts.leverance import ContractTerms, SupplierProfileChanged
from services.kernel.errors import IllegalTransition
from services.kernel.store import Aggregate
from services.leverance.domain.reference import SupplierKind, TrainingStatus, is_known_service
from services.leverance.domain.types import Amount, RequestDay, Value


class Address(Value):
    """Where a supplier is."""

    street: str = Field(default="", max_length=200)
    postcode: str = Field(default="", pattern=r"^(\d{4})?$")
    city: str = Field(default="", max_length=100)
    municipality_code: str | None = Field(default=None, pattern=r"^\d{3}$")


class Contract(Value):
    """One framework contract: area, period, what it covers and its prices."""

    contract_id: str = Field(min_length=1, max_length=100)
    main_area: MainArea
    services: tuple[str, ...] = Field(min_length=1)
    valid_from: RequestDay
    valid_to: RequestDay
    min_age: int = Field(ge=0, le=130)
    max_age: int = Field(ge=0, le=130)
    target_groups: tuple[str, ...] = ()
    competences: tuple[str, ...] = ()
    hourly_rate_dkk: Amount
    transport_rate_dkk_per_km: Amount
    transport_hourly_rate_dkk: Amount

    # Field validators, not one model validator: each bad field is named on its own, together
    # with any other bad field (a model validator runs only once every field is valid).
    @field_validator("services")
    @classmethod
    def _known_services(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [s for s in value if not is_known_service(s)]
        if unknown:
            raise ValueError(f"unknown services: {', '.join(unknown)}")
        return value

    @field_validator("valid_to")
    @classmethod
    def _ends_after_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("valid_from")
        if start is not None and value < start:
            raise ValueError("valid_to is before valid_from")
        return value

    @field_validator("max_age")
    @classmethod
    def _ages_in_order(cls, value: int, info: ValidationInfo) -> int:
        lowest = info.data.get("min_age")
        if lowest is not None and value < lowest:
            raise ValueError("max_age is below min_age")
        return value

    def covers(self, *, main_area: str, service: str, on: date) -> bool:
        """Whether the contract prices this service in this area on this day."""
        return (
            self.main_area == main_area
            and service in self.services
            and self.valid_from <= on <= self.valid_to
        )

    def terms(self) -> ContractTerms:
        """The contract as the profile event carries it."""
        return ContractTerms(
            contract_id=self.contract_id,
            main_area=self.main_area,
            services=list(self.services),
            min_age=self.min_age,
            max_age=self.max_age,
            target_groups=list(self.target_groups),
            competences=list(self.competences),
            hourly_rate_dkk=Decimal(self.hourly_rate_dkk),
            transport_rate_dkk_per_km=Decimal(self.transport_rate_dkk_per_km),
            transport_hourly_rate_dkk=Decimal(self.transport_hourly_rate_dkk),
            valid_from=self.valid_from,
            valid_to=self.valid_to,
        )


class TrainingModule(Value):
    """A VISO training module and how far a person is with it."""

    module: str = Field(min_length=1, max_length=200)
    status: TrainingStatus


class Specialist(Value):
    """A supplier's specialist (or administrative employee) and their training."""

    specialist_id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(default="specialist", pattern="^(specialist|supplier_admin)$")
    training: tuple[TrainingModule, ...] = ()

    @property
    def trained(self) -> bool:
        """Whether every recorded module is completed (and at least one is recorded)."""
        return bool(self.training) and all(m.status == "completed" for m in self.training)


class SupplierProfile(Value):
    """The fields of a supplier set as a whole (by hand or by an import row)."""

    name: str = Field(min_length=1, max_length=200)
    kind: SupplierKind
    kas: bool = False
    active: bool = True
    address: Address = Address()
    free_capacity: int = Field(default=0, ge=0, le=10_000)


class Supplier(Aggregate):
    """A contracted supplier."""

    profile: SupplierProfile
    contracts: tuple[Contract, ...] = ()
    specialists: tuple[Specialist, ...] = ()
    changed_at: datetime

    def contract_for(self, *, main_area: str, service: str, on: date) -> Contract | None:
        """The contract that prices a service in an area on a day, if any."""
        for contract in self.contracts:
            if contract.covers(main_area=main_area, service=service, on=on):
                return contract
        return None

    def profile_changed(self) -> SupplierProfileChanged:
        """The full profile snapshot; its revision is the stored version."""
        return SupplierProfileChanged(
            supplier_id=self.id,
            revision=self.version,
            name=self.profile.name,
            kind=self.profile.kind,
            kas=self.profile.kas,
            active=self.profile.active,
            municipality_code=self.profile.address.municipality_code,
            free_capacity=self.profile.free_capacity,
            contracts=[c.terms() for c in self.contracts],
            changed_at=self.changed_at,
            specialists_trained=sum(1 for s in self.specialists if s.trained),
            specialist_ids=[s.specialist_id for s in self.specialists if s.role == "specialist"],
        )


def _same(a: Supplier, b: Supplier) -> bool:
    keys = {"profile", "contracts", "specialists"}
    return a.model_dump(include=keys) == b.model_dump(include=keys)


def new_supplier(supplier_id: str, profile: SupplierProfile, *, now: datetime) -> Supplier:
    """A supplier with no contracts or specialists yet."""
    return Supplier(id=supplier_id, profile=profile, changed_at=now)


def with_profile(supplier: Supplier, profile: SupplierProfile, *, now: datetime) -> Supplier | None:
    """The supplier with a new profile, or None when nothing changes."""
    changed = supplier.model_copy(update={"profile": profile, "changed_at": now})
    return None if _same(changed, supplier) else changed


def with_contract(supplier: Supplier, contract: Contract, *, now: datetime) -> Supplier | None:
    """The supplier with a contract added or replaced (by id), or None when nothing changes."""
    others = tuple(c for c in supplier.contracts if c.contract_id != contract.contract_id)
    contracts = tuple(sorted((*others, contract), key=lambda c: c.contract_id))
    changed = supplier.model_copy(update={"contracts": contracts, "changed_at": now})
    return None if _same(changed, supplier) else changed


def with_contracts(
    supplier: Supplier, contracts: tuple[Contract, ...], *, now: datetime
) -> Supplier | None:
    """The supplier with exactly these contracts, or None when nothing changes."""
    ordered = tuple(sorted(contracts, key=lambda c: c.contract_id))
    changed = supplier.model_copy(update={"contracts": ordered, "changed_at": now})
    return None if _same(changed, supplier) else changed


def without_contract(supplier: Supplier, contract_id: str, *, now: datetime) -> Supplier:
    """The supplier without a contract; refused when it has no such contract."""
    kept = tuple(c for c in supplier.contracts if c.contract_id != contract_id)
    if len(kept) == len(supplier.contracts):
        raise IllegalTransition(f"supplier {supplier.id} has no contract {contract_id}")
    return supplier.model_copy(update={"contracts": kept, "changed_at": now})


def with_specialist(
    supplier: Supplier, specialist: Specialist, *, now: datetime
) -> Supplier | None:
    """The supplier with a specialist added or replaced (by id), or None when nothing changes."""
    others = tuple(s for s in supplier.specialists if s.specialist_id != specialist.specialist_id)
    specialists = tuple(sorted((*others, specialist), key=lambda s: s.specialist_id))
    changed = supplier.model_copy(update={"specialists": specialists, "changed_at": now})
    return None if _same(changed, supplier) else changed


def lists_specialist(supplier: Supplier | None, specialist_id: str) -> bool:
    """Whether the supplier lists this person as one of its specialists."""
    return supplier is not None and any(
        s.specialist_id == specialist_id and s.role == "specialist" for s in supplier.specialists
    )


def require_qualified_specialist(supplier: Supplier | None, specialist_id: str) -> None:
    """Only a listed specialist who completed the training modules recorded for them proposes."""
    if supplier is None or not lists_specialist(supplier, specialist_id):
        raise IllegalTransition(
            f"{specialist_id} is not listed as a specialist of the supplier; "
            "the supplier must add them first"
        )
    specialist = next(s for s in supplier.specialists if s.specialist_id == specialist_id)
    unfinished = [m.module for m in specialist.training if m.status != "completed"]
    if unfinished:
        raise IllegalTransition(
            f"{specialist_id} has not completed the training modules: {', '.join(unfinished)}"
        )
