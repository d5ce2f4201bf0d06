"""Where a contracts module's events travel: the declaration the AsyncAPI document is made from.

Every module of this package that defines events declares, at module level,

    CHANNELS = (Channel.events_of("intake"),)

the topics its events are published to, each with the one service that publishes there. A
module whose events several services publish on their own topics lists each (`deadlines`).
A topic per value of something (a supplier, a tenant) is a template with its parameters:

    CHANNELS = (
        Channel(
            address="vias.supplier.{supplier_id}.v1",
            producer="leverance",
            parameters={"supplier_id": "The supplier the feed is for."},
        ),
    )

`scripts/contracts.py generate` then writes the channel and its events into `docs/asyncapi.yaml`
(a parameterised channel for a template) and each event's JSON Schema into `docs/contracts/`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.kernel.topics import events_topic

_PARAMETER_NAME = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class Channel:
    """A Kafka topic (or a template of topics) and the service that publishes to it."""

    address: str
    """The topic, or a template naming its parameters in braces `vias.x.{x_id}.v1`."""
    producer: str
    """The service that publishes every event on it."""
    description: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict)
    """Each parameter of the template, with its description."""

    def __post_init__(self) -> None:
        named = [name for _, name, _, _ in string.Formatter().parse(self.address) if name]
        if sorted(named) != sorted(self.parameters):
            raise ValueError(
                f"channel {self.address!r}: its parameters {sorted(self.parameters)} are not "
                f"the names in its address {sorted(named)}"
            )
        for name in named:
            if not _PARAMETER_NAME.match(name):
                raise ValueError(f"channel {self.address!r}: {name!r} is not a parameter name")

    @classmethod
    def events_of(cls, service: str) -> Channel:
        """The topic carrying every event a service publishes about its own aggregates."""
        return cls(
            address=events_topic(service),
            producer=service,
            description=f"Every event {service} publishes; the key is the envelope's subject.",
        )

    @property
    def channel_id(self) -> str:
        """The channel's key in the AsyncAPI document: the address without braces."""
        return self.address.replace("{", "").replace("}", "")

    def matches(self, topic: str) -> bool:
        """Whether a topic is this channel: its address, or the template with any value filled in
        for each parameter."""
        if topic == self.address:
            return True
        pattern = "".join(
            re.escape(literal) + ("[^.]+" if name else "")
            for literal, name, _, _ in string.Formatter().parse(self.address)
        )
        return re.fullmatch(pattern, topic) is not None
