"""Statistics' wiring: the annual report's read model from every service's events."""

from __future__ import annotations

from services.kernel.runtime import Deps, ServiceSpec
from services.kernel.topics import events_topic
from services.statistics import consumers, queries
from services.statistics.api import registrations
from services.statistics.reference import Reference
from services.statistics.settings import StatisticsSettings


async def _setup(deps: Deps) -> None:
    await queries.create_indexes(deps.store.db)


HANDLED_EVENTS = frozenset(consumers.handlers(Reference({})))
"""The event types statistics' consumer handles."""

SPEC = ServiceSpec(
    name="statistics",
    subscribes_to=(
        events_topic("intake"),
        events_topic("visitation"),
        events_topic("leverance"),
        events_topic("documents"),
        events_topic("notifications"),
    ),
    handlers=lambda deps: consumers.handlers(Reference.load()),
    servicers=lambda deps: registrations(
        deps.store, Reference.load(), StatisticsSettings().min_cell
    ),
    setup=_setup,
    background_consumer=True,
)
