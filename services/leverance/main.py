"""Leverance's wiring."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from services.kernel.consumer import EventHandler
from services.kernel.envelope import utcnow
from services.kernel.grpc_server import Registration
from services.kernel.runtime import Deps, ServiceSpec
from services.kernel.topics import events_topic
from services.leverance.api import registrations
from services.leverance.handlers import cases, central, courses, deadline_check
from services.leverance.handlers.base import today
from services.leverance.handlers.indexes import create_indexes
from services.leverance.managers import DirectoryManagers
from services.leverance.settings import LeveranceSettings
from services.workdays.calendar import WorkingDayCalendar
from services.workdays.settings import platform_calendar

_HANDLERS: dict[str, Callable[[WorkingDayCalendar], EventHandler]] = {
    "VisitationCaseOpened": lambda calendar: cases.reference_opened_case,
    "CaseHandedToLeverance": lambda calendar: courses.open_course,
    "CaseHandedToCentralUnit": lambda calendar: central.open_central_course,
    "DocumentJournaled": lambda calendar: partial(
        courses.record_journaled_document, calendar=calendar
    ),
    "VisitationCaseClosed": lambda calendar: partial(
        courses.stop_for_visitation, calendar=calendar
    ),
}
HANDLED_EVENTS = frozenset(_HANDLERS)
"""The event types leverance's consumer handles, known without building anything."""


def _handlers(deps: Deps) -> dict[str, EventHandler]:
    calendar = platform_calendar()
    return {event_type: make(calendar) for event_type, make in _HANDLERS.items()}


log = logging.getLogger(__name__)


async def _setup(deps: Deps) -> None:
    await create_indexes(deps.store)


async def _check_deadlines_periodically(deps: Deps, interval_s: float) -> None:
    """Report overdue deadlines missed, at the configured interval."""
    while True:
        try:
            reported = await deadline_check.check_deadlines(store=deps.store, today=today(utcnow()))
            if reported:
                log.info("reported %d missed deadlines", reported)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("deadline check failed: %r", error)
        await asyncio.sleep(interval_s)


def _background(deps: Deps) -> Sequence[Awaitable[None]]:
    return [_check_deadlines_periodically(deps, LeveranceSettings().deadline_check_interval_s)]


def _registrations(deps: Deps) -> list[Registration]:
    settings = LeveranceSettings()
    managers = DirectoryManagers(
        deps.settings.identity_address, deps.auth.credentials, settings.default_manager
    )
    return registrations(deps.store, settings, platform_calendar(), managers)


SPEC = ServiceSpec(
    name="leverance",
    subscribes_to=(events_topic("visitation"), events_topic("documents")),
    handlers=_handlers,
    servicers=lambda deps: _registrations(deps),
    setup=_setup,
    background_consumer=True,
    background=_background,
)
