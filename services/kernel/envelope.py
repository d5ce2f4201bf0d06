"""The event envelope every service publishes and consumes."""

from __future__ import annotations

import builtins
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

P = TypeVar("P", bound="EventPayload")


def new_id() -> str:
    """A fresh random identifier."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """The current time, timezone-aware UTC, at millisecond precision as stored in MongoDB."""
    now = datetime.now(UTC)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


class EventPayload(BaseModel):
    """Base of every event payload; subclasses name their type and schema version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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
            payload=payload.model_dump(mode="json"),
        )

    def payload_as(self, payload_type: builtins.type[P]) -> P:
        """The payload parsed as the given event type."""
        return payload_type.model_validate(self.payload)

    def to_bytes(self) -> bytes:
        """JSON encoding used on the wire."""
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Self:
        """Parse the wire encoding; raises pydantic.ValidationError when malformed."""
        return cls.model_validate_json(raw)
