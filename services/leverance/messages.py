"""Leverance's events; also the Kafka payload schema."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.intake.messages import MainArea
from services.kernel.envelope import EventPayload

SupplierKind = str  # "municipal", "regional", "self_owning", "private"


class ContractTerms(BaseModel):
    """One framework contract of a supplier, as visitation needs it for ranking."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contract_id: str
    main_area: MainArea
    services: list[str] = Field(description="Advisory service ids the contract covers.")
    min_age: int = Field(ge=0, description="Youngest citizen age covered, in years.")
    max_age: int = Field(le=130, description="Oldest citizen age covered, in years.")
    target_groups: list[str] = Field(description="Reference-data target-group ids covered.")
    competences: list[str] = Field(default_factory=list)
    hourly_rate_dkk: Decimal = Field(ge=0, description="Price of one hour, DKK.")
    transport_rate_dkk_per_km: Decimal = Field(ge=0)
    transport_hourly_rate_dkk: Decimal = Field(ge=0, description="Price of transport time.")
    valid_from: date
    valid_to: date


class SupplierProfileChanged(EventPayload):
    """A supplier's full profile after any change (snapshot, newest wins by `revision`).

    Contract: visitation keeps its own read model of eligible suppliers from these.
    """

    event_type = "SupplierProfileChanged"

    supplier_id: str
    revision: int = Field(ge=1, description="Increases with every change of the supplier.")
    name: str
    kind: SupplierKind
    kas: bool = Field(description="Whether it is one of the KaS suppliers.")
    active: bool
    municipality_code: str | None = Field(default=None, description="Where it is located.")
    free_capacity: int = Field(ge=0, description="New courses it can take now.")
    contracts: list[ContractTerms]
    changed_at: datetime

    def subject(self) -> str:
        return self.supplier_id
