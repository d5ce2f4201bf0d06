"""The record a consumer group writes to its dead-letter topic, as documented in the AsyncAPI
document (the kernel's consumer writes it; tests/integration/test_reliability.py reads real
ones with this model, so the two cannot drift apart)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class DeadLetter(BaseModel):
    """A record a consumer group gave up on: after its attempts, at once for an unknown schema
    version, or because it was no envelope at all. Keyed like the record it holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group: str = Field(description="The consumer group that gave up.", examples=["vias.leverance"])
    error: str = Field(description="Why, cut to a bounded length.")
    attempts: int = Field(ge=1, description="How often the group tried.")
    failed_at: datetime
    topic: str = Field(description="Where the record was read.")
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    event_id: str | None = Field(description="The envelope's event id; null if none was read.")
    event_type: str = Field(description="The envelope's type, or `unparseable`.")
    value_base64: str = Field(description="The record's value as it was read, base64-encoded.")
