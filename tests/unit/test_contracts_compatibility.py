"""The compatibility gate's rules, on schemas of pydantic models as the generator writes them."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.contracts.docs.compatibility import breaking_changes
from services.kernel.envelope import EventPayload
from tests.unit.made_up_contracts import shipped


def _breaks(committed: type[BaseModel], current: type[BaseModel]) -> list[str]:
    return breaking_changes(
        committed.model_json_schema(mode="serialization"),
        current.model_json_schema(mode="serialization"),
    )


def _where(breaks: list[str]) -> list[str]:
    return [b.split(":")[0] for b in breaks]


def test_the_same_model_passes() -> None:
    assert _breaks(shipped(), shipped()) == []


def test_a_removed_field_fails() -> None:
    assert _breaks(shipped(), shipped(carrier=None)) == ["carrier: removed (or renamed)"]


def test_a_renamed_field_fails_as_removed_and_added_required() -> None:
    assert _breaks(shipped(), shipped(shipped_on=None, sent_on=(date, ...))) == [
        "shipped_on: removed (or renamed)",
        "sent_on: added as a required field (a new field must be optional)",
    ]
    assert _breaks(shipped(), shipped(carrier=None, carrier_name=(str | None, None))) == [
        "carrier: removed (or renamed)"
    ]


def test_a_changed_type_fails() -> None:
    assert _breaks(shipped(), shipped(shipped_on=(datetime, ...))) == [
        'shipped_on: type changed from {"format": "date", "type": "string"} '
        'to {"format": "date-time", "type": "string"}'
    ]


def test_a_changed_type_inside_an_optional_or_a_list_fails() -> None:
    changed = shipped(carrier=(int | None, None), recipients=(list[str], Field(default=[])))
    assert _where(_breaks(shipped(), changed)) == ["carrier", "recipients[]"]


def test_a_changed_constraint_or_a_new_enum_value_fails() -> None:
    changed = shipped(
        parcels=(int, Field(ge=0)),
        speed=(Literal["standard", "express", "same_day"], "standard"),
    )
    assert _where(_breaks(shipped(), changed)) == ["parcels", "speed"]


def test_an_optional_field_made_required_fails() -> None:
    assert _breaks(shipped(), shipped(carrier=(str | None, ...))) == [
        "carrier: optional field made required"
    ]


def test_a_field_removed_from_a_model_inside_the_payload_fails() -> None:
    class NameOnly(BaseModel):
        name: str

    changed = shipped(recipients=(list[NameOnly], Field(default_factory=list)))
    assert _breaks(shipped(), changed) == ["recipients[].email: removed (or renamed)"]


def test_new_optional_fields_descriptions_and_defaults_pass() -> None:
    grown = shipped(
        doc="Another docstring.",
        order_id=(str, Field(description="Now described.", examples=["o-1"])),
        carrier=(str | None, Field(default=None, title="Carrier name")),
        parcels=(int, Field(ge=1, description="Parcels in the shipment.")),
        speed=(Literal["standard", "express"], "express"),
        tracking_url=(str | None, None),
        notes=(list[str], Field(default_factory=list)),
    )
    assert _breaks(shipped(), grown) == []


def test_whether_unknown_fields_are_allowed_is_not_compared() -> None:
    class Strict(BaseModel):
        model_config = ConfigDict(extra="forbid")

        order_id: str

    class Tolerant(BaseModel):
        model_config = ConfigDict(extra="ignore")

        order_id: str

    assert "additionalProperties" in Strict.model_json_schema(mode="serialization")
    assert _breaks(Strict, Tolerant) == []


def test_a_required_field_made_optional_with_the_same_type_passes() -> None:
    relaxed = shipped(shipped_on=(date, date(2026, 1, 1)), parcels=(int, Field(default=1, ge=1)))
    assert _breaks(shipped(), relaxed) == []


class Node(BaseModel):
    name: str
    children: list["Node"] = Field(default_factory=list)


class Leaf(BaseModel):
    children: list["Leaf"] = Field(default_factory=list)


def test_a_recursive_model_is_compared_level_by_level() -> None:
    class Tree(EventPayload):
        root: Node

    class Pruned(EventPayload):
        root: Leaf

    assert _breaks(Tree, Tree) == []
    assert _breaks(Tree, Pruned) == ["root.name: removed (or renamed)"]
