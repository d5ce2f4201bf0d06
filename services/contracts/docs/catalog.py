"""Every event of the contracts package, with the channels its module declares."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType

from services.contracts.channel import Channel
from services.kernel.envelope import EventPayload

PACKAGE = "services.contracts"
TOOLING = f"{PACKAGE}.docs"


class ContractError(ValueError):
    """The contracts package does not follow its conventions; the message says where."""


@dataclass(frozen=True)
class EventContract:
    """One event type in its current version, and where it travels."""

    model: type[EventPayload]
    channels: tuple[Channel, ...]

    @property
    def name(self) -> str:
        """The event type, as in the envelope's `type`."""
        return self.model.event_type

    @property
    def version(self) -> int:
        """The major version of its contract, as in the envelope's `schema_version`."""
        return self.model.schema_version

    @property
    def schema_file(self) -> str:
        """The name of its JSON Schema file in docs/contracts."""
        return schema_file(self.name, self.version)


def schema_file(event_type: str, version: int) -> str:
    """The name of an event version's JSON Schema file: `<Event>.v<N>.json`."""
    return f"{event_type}.v{version}.json"


@dataclass(frozen=True)
class Catalog:
    """The events by name and the channels by address, each once."""

    events: tuple[EventContract, ...]
    channels: tuple[Channel, ...]

    def on(self, channel: Channel) -> list[EventContract]:
        """The events travelling on a channel."""
        return [e for e in self.events if any(c.address == channel.address for c in e.channels)]


def load() -> Catalog:
    """The catalog of the contracts package as the code defines it now; raises ContractError
    when an event class of the package is not in it."""
    catalog = from_modules(contracts_modules())
    missing = undeclared_events(catalog)
    if missing:
        raise ContractError(f"events the contracts package defines outside its modules: {missing}")
    return catalog


def contracts_modules() -> list[ModuleType]:
    """Every module of the contracts package, imported (the docs tooling left out)."""
    package = importlib.import_module(PACKAGE)
    modules = [package]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{PACKAGE}."):
        if info.name == TOOLING or info.name.startswith(f"{TOOLING}."):
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def from_modules(modules: Iterable[ModuleType]) -> Catalog:
    """The catalog of the events the modules define, on the channels each module declares."""
    events: dict[str, EventContract] = {}
    channels: dict[str, tuple[Channel, str]] = {}
    for module in modules:
        defined = list(_events_defined_in(module))
        if not defined:
            continue
        declared = _declared_channels(module)
        for channel in declared:
            known, where = channels.setdefault(channel.address, (channel, module.__name__))
            if known != channel:
                raise ContractError(
                    f"{module.__name__} declares channel {channel.address!r} otherwise than "
                    f"{where}: {channel} != {known}"
                )
        for model in defined:
            if model.event_type in events:
                other = events[model.event_type].model
                raise ContractError(
                    f"event type {model.event_type!r} is defined twice: "
                    f"{other.__module__}.{other.__name__} and {module.__name__}.{model.__name__}"
                )
            events[model.event_type] = EventContract(model, declared)
    return Catalog(
        events=tuple(events[name] for name in sorted(events)),
        channels=tuple(channels[address][0] for address in sorted(channels)),
    )


def undeclared_events(catalog: Catalog) -> list[str]:
    """Event classes defined in the contracts package that are missing from the catalog."""
    listed = {event.model for event in catalog.events}
    return sorted(
        {
            f"{model.__module__}.{model.__name__}"
            for model in _subclasses(EventPayload)
            if is_event(model)
            and (model.__module__ == PACKAGE or model.__module__.startswith(f"{PACKAGE}."))
            and model not in listed
        }
    )


def is_event(model: type) -> bool:
    """Whether a class is a concrete event: an EventPayload naming its event type."""
    return (
        inspect.isclass(model)
        and issubclass(model, EventPayload)
        and isinstance(getattr(model, "event_type", None), str)
    )


def _events_defined_in(module: ModuleType) -> Iterator[type[EventPayload]]:
    for value in vars(module).values():
        if is_event(value) and value.__module__ == module.__name__:
            yield value


def _declared_channels(module: ModuleType) -> tuple[Channel, ...]:
    declared = getattr(module, "CHANNELS", None)
    if (
        not isinstance(declared, tuple)
        or not declared
        or not all(isinstance(c, Channel) for c in declared)
    ):
        raise ContractError(
            f"{module.__name__} defines events but no CHANNELS: declare the topics they travel "
            "on, e.g. CHANNELS = (Channel.events_of('intake'),) (services/contracts/channel.py)"
        )
    return declared


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)
