"""Visitation's read model of suppliers and the ranking of eligible ones for a case (H 5.1.2)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from services.contracts.common import MainArea
from services.contracts.leverance import ContractTerms, SupplierProfileChanged
from services.kernel.store import Aggregate
from services.visitation.catalog import Estimate


class SupplierProfile(Aggregate):
    """A supplier as leverance last described it; `id` is the supplier id."""

    revision: int
    name: str
    kind: str
    kas: bool
    active: bool
    municipality_code: str | None = None
    free_capacity: int
    contracts: list[ContractTerms]
    changed_at: datetime
    specialist_ids: list[str] = Field(
        default_factory=list, description="The supplier's specialists (user ids), from leverance."
    )


def profile_from_event(event: SupplierProfileChanged) -> SupplierProfile:
    """The read-model row of a supplier snapshot."""
    return SupplierProfile(
        id=event.supplier_id,
        revision=event.revision,
        name=event.name,
        kind=event.kind,
        kas=event.kas,
        active=event.active,
        municipality_code=event.municipality_code,
        free_capacity=event.free_capacity,
        contracts=list(event.contracts),
        changed_at=event.changed_at,
        specialist_ids=list(event.specialist_ids),
    )


KAS_REASON = "KaS supplier: registers and visits its own inquiries (KaS), not offered by VISO"


def is_newer(current: SupplierProfile | None, incoming: SupplierProfileChanged) -> bool:
    """Whether a snapshot replaces what the read model holds (highest revision wins)."""
    return current is None or incoming.revision > current.revision


@dataclass(frozen=True)
class Need:
    """What the case needs of a supplier."""

    main_area: MainArea
    service_id: str
    citizen_age_years: int | None
    target_groups: tuple[str, ...]
    on: date


@dataclass(frozen=True)
class Candidate:
    """An eligible supplier, its best contract for the case, price and the reasons."""

    supplier_id: str
    name: str
    contract_id: str
    covered: tuple[str, ...]
    missing: tuple[str, ...]
    free_capacity: int
    hourly_rate_dkk: Decimal
    estimated_price_dkk: Decimal
    reasons: tuple[str, ...]
    rank: int = 0
    offer_status: str | None = None
    specialist_ids: tuple[str, ...] = ()
    tied_with: tuple[str, ...] = ()
    """The other candidates with the same rank: as qualified, the same estimated price."""


@dataclass(frozen=True)
class Excluded:
    """A supplier that is not eligible, and why."""

    supplier_id: str
    name: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Ranking:
    """Eligible suppliers best first, and the ones left out with their reasons."""

    candidates: tuple[Candidate, ...]
    excluded: tuple[Excluded, ...] = field(default=())

    def candidate(self, supplier_id: str) -> Candidate | None:
        """The candidate with this supplier id."""
        return next((c for c in self.candidates if c.supplier_id == supplier_id), None)

    def first_not_offered(self) -> Candidate | None:
        """The best candidate the case has not yet been offered to."""
        return next((c for c in self.candidates if c.offer_status is None), None)


def estimated_price(terms: ContractTerms, estimate: Estimate) -> Decimal:
    """Hours at the hourly rate plus transport (km and time), DKK."""
    return (
        estimate.hours * terms.hourly_rate_dkk
        + estimate.transport_km * terms.transport_rate_dkk_per_km
        + estimate.transport_hours * terms.transport_hourly_rate_dkk
    ).quantize(Decimal("0.01"))


def _contract_gaps(terms: ContractTerms, need: Need) -> list[str]:
    gaps = []
    if not terms.valid_from <= need.on <= terms.valid_to:
        gaps.append(f"contract {terms.contract_id} not valid on {need.on.isoformat()}")
    if terms.main_area != need.main_area:
        gaps.append(f"contract {terms.contract_id} is for {terms.main_area}")
    if need.service_id not in terms.services:
        gaps.append(f"contract {terms.contract_id} does not cover {need.service_id}")
    age = need.citizen_age_years
    if age is not None and not terms.min_age <= age <= terms.max_age:
        gaps.append(f"age {age} outside {terms.min_age}-{terms.max_age}")
    if need.target_groups and not set(need.target_groups) & set(terms.target_groups):
        gaps.append("covers none of the target groups " + ", ".join(need.target_groups))
    return gaps


def _candidate(
    supplier: SupplierProfile, terms: ContractTerms, need: Need, estimate: Estimate
) -> Candidate:
    covered = tuple(g for g in need.target_groups if g in terms.target_groups)
    missing = tuple(g for g in need.target_groups if g not in terms.target_groups)
    price = estimated_price(terms, estimate)
    age = need.citizen_age_years
    reasons = [
        f"contract {terms.contract_id}: {need.main_area}, {need.service_id}",
        f"age {age} within {terms.min_age}-{terms.max_age}"
        if age is not None
        else f"ages {terms.min_age}-{terms.max_age} (citizen's age not recorded)",
        f"target groups covered {len(covered)} of {len(need.target_groups)}"
        + (f": {', '.join(covered)}" if covered else ""),
        f"free capacity {supplier.free_capacity}",
        f"estimated price {price} DKK = {estimate.hours} h x {terms.hourly_rate_dkk} "
        f"+ {estimate.transport_km} km x {terms.transport_rate_dkk_per_km} "
        f"+ {estimate.transport_hours} h transport x {terms.transport_hourly_rate_dkk}",
    ]
    if missing:
        reasons.append("not covered: " + ", ".join(missing))
    return Candidate(
        supplier_id=supplier.id,
        name=supplier.name,
        contract_id=terms.contract_id,
        covered=covered,
        missing=missing,
        free_capacity=supplier.free_capacity,
        hourly_rate_dkk=terms.hourly_rate_dkk,
        estimated_price_dkk=price,
        reasons=tuple(reasons),
        specialist_ids=tuple(supplier.specialist_ids),
    )


def _sort_key(c: Candidate) -> tuple[int, Decimal, str, str]:
    return (*_merit(c), c.name, c.supplier_id)


def _merit(c: Candidate) -> tuple[int, Decimal]:
    """What ranks a candidate: the target groups covered, then the estimated price."""
    return (-len(c.covered), c.estimated_price_dkk)


def _ranked(ordered: list[Candidate], offered: dict[str, str]) -> tuple[Candidate, ...]:
    """Ranks in order, the same rank for a tie (1, 1, 3): a tie is reported, not broken by
    the name the list happens to sort by."""
    ranked: list[Candidate] = []
    for position, candidate in enumerate(ordered, start=1):
        ties = [c for c in ordered if c is not candidate and _merit(c) == _merit(candidate)]
        tied_above = bool(ranked) and _merit(ranked[-1]) == _merit(candidate)
        rank = ranked[-1].rank if tied_above else position
        reasons = candidate.reasons
        if ties:
            names = ", ".join(c.name for c in ties)
            reasons = (
                *reasons,
                f"tied with {names}: the same estimated price {candidate.estimated_price_dkk} "
                f"DKK and target groups covered; the consultant chooses and justifies",
            )
        ranked.append(
            replace(
                candidate,
                rank=rank,
                offer_status=offered.get(candidate.supplier_id),
                tied_with=tuple(c.supplier_id for c in ties),
                reasons=reasons,
            )
        )
    return tuple(ranked)


def rank_suppliers(
    suppliers: list[SupplierProfile],
    need: Need,
    estimate: Estimate,
    *,
    offered: dict[str, str] | None = None,
) -> Ranking:
    """Eligible suppliers: the best qualified first (most of the case's target groups covered),
    equally qualified ones by the lowest estimated total price; with the reasons. Candidates
    equal on both share a rank and say whom they tie with.

    Eligible: not a KaS supplier, active, free capacity, and a contract valid on the day for the
    case's main area and service, covering the citizen's age and at least one of the target groups.
    KaS suppliers register and visit their own inquiries (DOMAIN §1, §3; the KaS guide), so
    VISO's consultants do not offer cases to them.
    """
    offered = offered or {}
    candidates: list[Candidate] = []
    excluded: list[Excluded] = []
    for supplier in suppliers:
        reasons: list[str] = []
        if supplier.kas:
            reasons.append(KAS_REASON)
        if not supplier.active:
            reasons.append("not active")
        if supplier.free_capacity <= 0:
            reasons.append("no free capacity")
        options, gaps = [], []
        for terms in supplier.contracts:
            contract_gaps = _contract_gaps(terms, need)
            if contract_gaps:
                gaps += contract_gaps
            else:
                options.append(_candidate(supplier, terms, need, estimate))
        if not options:
            reasons += gaps or ["no contracts"]
        if reasons:
            excluded.append(Excluded(supplier.id, supplier.name, tuple(reasons)))
            continue
        candidates.append(min(options, key=_sort_key))
    ranked = _ranked(sorted(candidates, key=_sort_key), offered)
    return Ranking(ranked, tuple(sorted(excluded, key=lambda e: (e.name, e.supplier_id))))
