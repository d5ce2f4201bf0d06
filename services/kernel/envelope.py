"""The event envelope every service publishes and consumes."""

from __future__ import annotations

import builtins
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

M = TypeVar("M", bound=BaseModel)

TOLERANT = "tolerant"
"""Validation context key: unknown fields are ignored instead of refused (reading events)."""
CLOUDEVENTS_SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


def new_id() -> str:
    """A fresh random identifier."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """The current time, timezone-aware UTC, at millisecond precision as stored in MongoDB."""
    now = datetime.now(UTC)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


class UnknownSchemaVersion(Exception):
    """An event in a major version of its contract the reader does not know."""

    def __init__(self, event_type: str, received: int, known: int) -> None:
        self.event_type = event_type
        self.received = received
        self.known = known
        super().__init__(
            f"{event_type} in schema_version {received}, this consumer reads version {known}"
        )


class ContractModel(BaseModel):
    """Base of every event payload and every model inside one.

    Strict where it is written (a producer's unknown field is an error) and tolerant where it
    is read: validated with the `tolerant` context (as `Envelope.payload_as` does), unknown
    fields are ignored at every level, so a producer may add an optional field without a
    consumer still on the older version retrying and dead-lettering the event.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _ignore_unknown_when_reading(cls, data: Any, info: ValidationInfo) -> Any:
        if not (isinstance(data, dict) and info.context and info.context.get(TOLERANT)):
            return data
        known = set(cls.model_fields)
        known |= {f.alias for f in cls.model_fields.values() if f.alias is not None}
        return {key: value for key, value in data.items() if key in known}


class EventPayload(ContractModel):
    """Base of every event payload; subclasses name their type and schema version.

    `schema_version` is the major version of the event's contract: within one, a contract only
    gains optional fields; anything else needs a new version, which older consumers refuse
    (`UnknownSchemaVersion`) instead of misreading.
    """

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def subject(self) -> str:
        """The aggregate this event is about; used as the partition key."""
        raise NotImplementedError


class Envelope(BaseModel):
    """One event as it travels on Kafka: metadata plus a typed payload."""

    model_config = ConfigDict(frozen=True)

    event_id: str = Field(description="Unique id; consumers deduplicate on it.")
    type: str = Field(description="Past-tense event name.", examples=["InquiryRegistered"])
    schema_version: int = Field(ge=1)
    source: str = Field(description="Service that published the event.", examples=["intake"])
    subject: str = Field(description="Aggregate id; also the Kafka partition key.")
    occurred_at: datetime
    correlation_id: str = Field(description="Id shared by everything one request caused.")
    causation_id: str | None = Field(default=None, description="Event or request that caused it.")
    traceparent: str | None = Field(
        default=None,
        description="W3C trace context of the span that emitted the event (CloudEvents "
        "distributed-tracing extension); its consumers' spans are children of it.",
        examples=["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
    )
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        payload: EventPayload,
        *,
        source: str,
        correlation_id: str,
        causation_id: str | None,
        occurred_at: datetime | None = None,
        traceparent: str | None = None,
    ) -> Self:
        """Put a payload in a new envelope."""
        return cls(
            event_id=new_id(),
            type=payload.event_type,
            schema_version=payload.schema_version,
            source=source,
            subject=payload.subject(),
            occurred_at=occurred_at or utcnow(),
            correlation_id=correlation_id,
            causation_id=causation_id,
            traceparent=traceparent,
            payload=payload.model_dump(mode="json"),
        )

    def payload_as(self, payload_type: builtins.type[M]) -> M:
        """The payload read as the given model (an event's class or a consumer's own narrow
        view of it): unknown fields ignored; an event in another major version of its
        contract than the model's (`schema_version`, 1 if it declares none) is refused with
        UnknownSchemaVersion, never misread."""
        known = int(getattr(payload_type, "schema_version", 1))
        if self.schema_version != known:
            raise UnknownSchemaVersion(self.type, self.schema_version, known)
        return payload_type.model_validate(self.payload, context={TOLERANT: True})

    def cloudevent_headers(self) -> list[tuple[str, str]]:
        """The CloudEvents 1.0 Kafka binary-mode headers of this event, with the correlation
        and causation ids as extension attributes, and the legacy `event_type` header."""
        headers = [
            ("ce_specversion", CLOUDEVENTS_SPEC_VERSION),
            ("ce_id", self.event_id),
            ("ce_type", self.type),
            ("ce_source", f"vias/{self.source}"),
            ("ce_subject", self.subject),
            ("ce_time", self.occurred_at.isoformat()),
            ("ce_correlationid", self.correlation_id),
            ("content-type", CONTENT_TYPE),
            ("event_type", self.type),
        ]
        if self.causation_id is not None:
            headers.append(("ce_causationid", self.causation_id))
        if self.traceparent is not None:
            headers.append(("traceparent", self.traceparent))
        return headers

    def to_bytes(self) -> bytes:
        """JSON encoding used on the wire."""
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Self:
        """Parse the wire encoding; raises pydantic.ValidationError when malformed."""
        return cls.model_validate_json(raw)
