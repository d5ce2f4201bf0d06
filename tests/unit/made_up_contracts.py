"""A made-up event for the tests of the contracts tooling: `Shipped` in its committed version 1,
and changed copies of it."""

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from services.kernel.envelope import EventPayload


class Recipient(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    email: str = ""


SHIPPED_FIELDS: dict[str, Any] = {
    "order_id": (str, ...),
    "shipped_on": (date, ...),
    "carrier": (str | None, None),
    "parcels": (int, Field(ge=1, description="How many parcels.")),
    "recipients": (list[Recipient], Field(default_factory=list)),
    "speed": (Literal["standard", "express"], "standard"),
}


class Order(EventPayload):
    """Base of the made-up events: keyed by their order."""

    order_id: str

    def subject(self) -> str:
        return self.order_id


def shipped(*, schema_version: int = 1, doc: str = "An order left.", **changes: Any) -> type[Order]:
    """`Shipped` with fields changed or added (`name=(type, default)`, `...` when required) or
    removed (`name=None`)."""
    fields = {name: spec for name, spec in {**SHIPPED_FIELDS, **changes}.items() if spec}
    model = create_model("Shipped", __base__=Order, __doc__=doc, **fields)
    model.event_type = "Shipped"
    model.schema_version = schema_version
    return model
