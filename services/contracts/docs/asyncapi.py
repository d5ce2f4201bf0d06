"""The AsyncAPI 3.0 document of every VIAS topic: its channels, messages and operations.

Each channel is a topic (or a template of topics) a contracts module declares, with the events
its producer publishes there; each message is an event in its current `schema_version`: the
kernel's envelope wrapping the event's payload schema, the record headers, and the key. Who
publishes is a `send` operation of the producing service, who consumes a `receive` operation of
the consuming service's group; every message also names both (`x-producers`, `x-consumers`).
The dead-letter topic of each consumer group is a channel too.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from services.contracts.channel import Channel
from services.contracts.docs.catalog import Catalog, ContractError, EventContract
from services.contracts.docs.dead_letter import DeadLetter
from services.contracts.docs.schemas import component_schemas
from services.kernel.envelope import Envelope, EventPayload
from services.kernel.topics import consumer_group, dead_letter_topic

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
CONTENT_TYPE = "application/json"
HEADERS = "CloudEventsHeaders"
DEAD_LETTER_HEADERS = "DeadLetterHeaders"
CORRELATION = "correlation_id"

Document = dict[str, Any]


@dataclass(frozen=True)
class Consumer:
    """A service's consumer: the topics its group subscribes to and the event types it handles."""

    service: str
    topics: tuple[str, ...]
    events: frozenset[str]

    @property
    def group(self) -> str:
        """Its Kafka consumer group."""
        return consumer_group(self.service)


def build(
    catalog: Catalog, consumers: Sequence[Consumer], servers: Mapping[str, Mapping[str, Any]]
) -> Document:
    """The AsyncAPI document of the catalog's channels and events and the consumers' groups."""
    models: list[type[BaseModel]] = [Envelope, DeadLetter, *(e.model for e in catalog.events)]
    names, schemas = component_schemas(models)
    for name, schema in (
        (HEADERS, _cloudevents_headers()),
        (DEAD_LETTER_HEADERS, _dead_letter_headers()),
    ):
        if name in schemas:
            raise ContractError(f"{name} is a schema of the AsyncAPI document; rename the model")
        schemas[name] = schema
    receivers = {e.name: _receivers(e, consumers) for e in catalog.events}

    channels: Document = {}
    operations: Document = {}
    messages: Document = {}
    for channel in catalog.channels:
        carried = catalog.on(channel)
        channels[channel.channel_id] = _channel(channel, [e.name for e in carried])
        operations[f"{channel.producer}.send.{channel.channel_id}"] = _send(channel, carried)
        for consumer in consumers:
            handled = [e for e in carried if e.name in consumer.events]
            if handled and any(channel.matches(topic) for topic in consumer.topics):
                operations[f"{consumer.service}.receive.{channel.channel_id}"] = _receive(
                    channel, consumer, handled
                )
    for event in catalog.events:
        messages[event.name] = _message(event, names[event.model], receivers[event.name])
    for consumer in consumers:
        letters = Channel(
            address=dead_letter_topic(consumer.group),
            producer=consumer.service,
            description=f"Records the consumer group {consumer.group} gave up on.",
        )
        channels[letters.channel_id] = _channel(letters, [DeadLetter.__name__])
        operations[f"{consumer.service}.send.{letters.channel_id}"] = {
            "action": "send",
            "channel": _ref("channels", letters.channel_id),
            "summary": f"The {consumer.service} consumer dead-letters a record it gave up on.",
            "messages": [_ref("channels", letters.channel_id, "messages", DeadLetter.__name__)],
        }
    messages[DeadLetter.__name__] = _dead_letter_message(names[DeadLetter])

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "VIAS events",
            "version": "1.0.0",
            "description": (
                "Every topic of the VIAS platform and every event on it. Generated from the "
                "pydantic models in services/contracts by `scripts/contracts.py generate`; "
                "do not edit. The prose (what each consumer does with an event) is in "
                "docs/CONTRACTS.md; each event version's payload schema is also a file in "
                "docs/contracts/."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {name: dict(server) for name, server in servers.items()},
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "correlationIds": {
                CORRELATION: {
                    "description": "Shared by every event one request caused.",
                    "location": "$message.payload#/correlation_id",
                }
            },
        },
    }


def consumer_problems(catalog: Catalog, consumers: Iterable[Consumer]) -> list[str]:
    """Handlers of event types no contract defines or no subscribed channel carries, and topics
    subscribed to that no contracts module declares."""
    known = {e.name: e for e in catalog.events}
    problems = []
    for consumer in consumers:
        for topic in consumer.topics:
            if not any(channel.matches(topic) for channel in catalog.channels):
                problems.append(
                    f"{consumer.service} subscribes to {topic}, which no contract declares"
                )
        for name in sorted(consumer.events):
            event = known.get(name)
            if event is None:
                problems.append(f"{consumer.service} handles {name}, which no contract defines")
            elif not any(c.matches(t) for c in event.channels for t in consumer.topics):
                problems.append(
                    f"{consumer.service} handles {name} but subscribes to none of its channels "
                    f"({', '.join(c.address for c in event.channels)})"
                )
    return problems


def _channel(channel: Channel, message_names: Sequence[str]) -> Document:
    document: Document = {
        "address": channel.address,
        "description": channel.description,
        "messages": {name: _ref("components", "messages", name) for name in message_names},
        "x-producer": channel.producer,
    }
    if channel.parameters:
        document["parameters"] = {
            name: {"description": description} for name, description in channel.parameters.items()
        }
    return document


def _send(channel: Channel, events: Sequence[EventContract]) -> Document:
    return {
        "action": "send",
        "channel": _ref("channels", channel.channel_id),
        "summary": f"{channel.producer} publishes these events through its outbox relay.",
        "messages": [_ref("channels", channel.channel_id, "messages", e.name) for e in events],
    }


def _receive(channel: Channel, consumer: Consumer, events: Sequence[EventContract]) -> Document:
    return {
        "action": "receive",
        "channel": _ref("channels", channel.channel_id),
        "summary": f"{consumer.service} handles these events (group {consumer.group}).",
        "messages": [_ref("channels", channel.channel_id, "messages", e.name) for e in events],
        "bindings": {
            "kafka": {
                "groupId": {"type": "string", "const": consumer.group},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _receivers(event: EventContract, consumers: Iterable[Consumer]) -> list[str]:
    return sorted(
        consumer.service
        for consumer in consumers
        if event.name in consumer.events
        and any(c.matches(t) for c in event.channels for t in consumer.topics)
    )


def _message(event: EventContract, schema_name: str, consumers: list[str]) -> Document:
    summary, description = _docstring(event.model)
    producers = sorted({channel.producer for channel in event.channels})
    message: Document = {
        "name": event.name,
        "title": event.name,
        "contentType": CONTENT_TYPE,
        "headers": {
            "allOf": [
                _ref("components", "schemas", HEADERS),
                {
                    "type": "object",
                    "properties": {
                        "ce_type": {"const": event.name},
                        "ce_source": {"enum": [f"vias/{p}" for p in producers]},
                        "event_type": {"const": event.name},
                    },
                },
            ]
        },
        "payload": {
            "allOf": [
                _ref("components", "schemas", "Envelope"),
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": event.name},
                        "schema_version": {"const": event.version},
                        "payload": _ref("components", "schemas", schema_name),
                    },
                },
            ]
        },
        "correlationId": _ref("components", "correlationIds", CORRELATION),
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": _key_description(event.model)},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "x-schema-version": event.version,
        "x-json-schema": f"contracts/{event.schema_file}",
        "x-producers": producers,
        "x-consumers": consumers,
    }
    if summary:
        message["summary"] = summary
    if description:
        message["description"] = description
    return message


def _dead_letter_message(schema_name: str) -> Document:
    summary, description = _docstring(DeadLetter)
    return {
        "name": DeadLetter.__name__,
        "title": DeadLetter.__name__,
        "summary": summary,
        "description": description,
        "contentType": CONTENT_TYPE,
        "headers": _ref("components", "schemas", DEAD_LETTER_HEADERS),
        "payload": _ref("components", "schemas", schema_name),
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The key of the record given up on."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _cloudevents_headers() -> Document:
    def text(description: str, **more: Any) -> Document:
        return {"type": "string", "description": description, **more}

    return {
        "type": "object",
        "description": "The record headers of every event: CloudEvents 1.0 in Kafka binary "
        "mode, the correlation and causation ids as extension attributes, and the older "
        "`event_type` header.",
        "properties": {
            "ce_specversion": text("The CloudEvents version.", const="1.0"),
            "ce_id": text("The envelope's event_id."),
            "ce_type": text("The envelope's type: the event type."),
            "ce_source": text("vias/ and the publishing service.", examples=["vias/intake"]),
            "ce_subject": text("The envelope's subject, also the record's key."),
            "ce_time": text("The envelope's occurred_at (RFC 3339).", format="date-time"),
            "ce_correlationid": text("The envelope's correlation_id (extension attribute)."),
            "ce_causationid": text(
                "The envelope's causation_id (extension attribute); absent when it has none."
            ),
            "content-type": text("The payload's media type.", const=CONTENT_TYPE),
            "event_type": text("The envelope's type, as records before CloudEvents carried it."),
        },
        "required": [
            "ce_specversion",
            "ce_id",
            "ce_type",
            "ce_source",
            "ce_subject",
            "ce_time",
            "ce_correlationid",
            "content-type",
            "event_type",
        ],
    }


def _dead_letter_headers() -> Document:
    return {
        "type": "object",
        "properties": {
            "event_type": {
                "type": "string",
                "description": "The type of the event given up on, or `unparseable`.",
            },
            "content-type": {"type": "string", "const": CONTENT_TYPE},
        },
        "required": ["event_type"],
    }


def _key_description(model: type[EventPayload]) -> str:
    """What the key of an event's records is, from its `subject()` over placeholder fields."""
    placeholders: dict[str, Any] = {name: f"{{{name}}}" for name in model.model_fields}
    try:
        subject = model.model_construct(None, **placeholders).subject()
    except (AttributeError, TypeError, ValueError, NotImplementedError):
        return "The envelope's subject."
    return f"The envelope's subject: {subject} (payload fields in braces)."


def _docstring(model: type[BaseModel]) -> tuple[str, str]:
    """A model's own docstring as (first paragraph, the rest); empty when it has none."""
    own = model.__dict__.get("__doc__")
    if not isinstance(own, str):
        return "", ""
    first, _, rest = inspect.cleandoc(own).partition("\n\n")
    return " ".join(first.split()), rest.strip()


def _ref(*path: str) -> Document:
    return {"$ref": "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in path)}
