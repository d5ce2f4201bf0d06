"""Visitation's wiring."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from services.kernel.consumer import EventHandler
from services.kernel.runtime import Deps, ServiceSpec
from services.kernel.topics import events_topic
from services.visitation import consumers, deadline_check, handlers
from services.visitation.api import registrations
from services.visitation.catalog import load_catalog
from services.visitation.handlers import Visitation
from services.visitation.settings import VisitationSettings

log = logging.getLogger(__name__)


_built: dict[int, Visitation] = {}


def _visitation(deps: Deps) -> Visitation:
    """The use cases' surroundings, built once per process from the environment."""
    key = id(deps.store)
    if key not in _built:
        settings = VisitationSettings()
        _built[key] = Visitation(
            store=deps.store,
            settings=settings,
            calendar=settings.calendar(),
            catalog=load_catalog(settings.services_file),
        )
    return _built[key]


_HANDLERS: dict[str, Callable[[Visitation], EventHandler]] = {
    "InquiryAssigned": lambda env: consumers.open_case_handler(env.calendar, env.settings.zone()),
    "SupplierProfileChanged": lambda env: consumers.apply_supplier_profile,
    "InquiryConsentWithdrawn": lambda env: consumers.consent_withdrawn_handler(env.settings),
}
HANDLED_EVENTS = frozenset(_HANDLERS)
"""The event types visitation's consumer handles, known without building anything."""


def _handlers(deps: Deps) -> dict[str, EventHandler]:
    env = _visitation(deps)
    return {event_type: make(env) for event_type, make in _HANDLERS.items()}


async def _setup(deps: Deps) -> None:
    _visitation(deps)
    await handlers.create_indexes(deps.store)


async def _check_deadlines_periodically(env: Visitation) -> None:
    """Report overdue deadlines missed, at the configured interval."""
    while True:
        try:
            reported = await deadline_check.check_deadlines(env)
            if reported:
                log.info("reported %d missed deadlines", reported)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("deadline check failed: %r", error)
        await asyncio.sleep(env.settings.deadline_check_interval_s)


def _background(deps: Deps) -> Sequence[Awaitable[None]]:
    return [_check_deadlines_periodically(_visitation(deps))]


SPEC = ServiceSpec(
    name="visitation",
    subscribes_to=(events_topic("intake"), events_topic("leverance")),
    handlers=_handlers,
    servicers=lambda deps: registrations(_visitation(deps)),
    setup=_setup,
    background=_background,
)
