"""JSON Schemas of the events, from the pydantic models: one file per event version, and the set
the AsyncAPI document holds under `components.schemas`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from services.contracts.docs.catalog import EventContract

DIALECT = "https://json-schema.org/draft/2020-12/schema"
MODE: JsonSchemaMode = "serialization"
"""What a producer writes on the wire (an amount in DKK is a string there, for example)."""
COMPONENT_REF = "#/components/schemas/{model}"


def event_schema(event: EventContract) -> dict[str, Any]:
    """The standalone JSON Schema of an event's payload: `docs/contracts/<Event>.v<N>.json`."""
    schema = event.model.model_json_schema(mode=MODE)
    return {
        "$schema": DIALECT,
        **schema,
        "x-event-type": event.name,
        "x-schema-version": event.version,
    }


def component_schemas(
    models: Sequence[type[BaseModel]],
) -> tuple[dict[type[BaseModel], str], dict[str, Any]]:
    """Each model's name under `components.schemas`, and every schema there by name (the models
    inside the given ones too, each once)."""
    refs, bundle = models_json_schema([(m, MODE) for m in models], ref_template=COMPONENT_REF)
    names: dict[type[BaseModel], str] = {}
    for (model, _), ref in refs.items():
        if isinstance(model, type) and issubclass(model, BaseModel):
            names[model] = str(ref["$ref"]).rsplit("/", 1)[1]
    return names, dict(bundle.get("$defs", {}))
