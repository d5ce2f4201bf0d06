"""Intake's wiring."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence

from services.intake import consumers, deadline_check, handlers
from services.intake.api import registrations
from services.intake.handlers import Intake
from services.intake.kas import handlers as kas_handlers
from services.intake.privacy import CprVault, IntakeSettings
from services.intake.reference import load_reference
from services.kernel.grpc_server import Registration
from services.kernel.runtime import Deps, ServiceSpec
from services.kernel.topics import events_topic

log = logging.getLogger(__name__)
_built: dict[int, Intake] = {}


def build(deps: Deps) -> Intake:
    """Intake's use-case context: reference data and CPR keys are read here, at start-up."""
    settings = IntakeSettings()
    return Intake(
        store=deps.store,
        ref=load_reference(settings.intake_themes_file),
        vault=CprVault.from_settings(settings),
        settings=settings,
        calendar=settings.calendar(),
    )


def _intake(deps: Deps) -> Intake:
    key = id(deps)
    if key not in _built:
        _built[key] = build(deps)
    return _built[key]


async def _setup(deps: Deps) -> None:
    await handlers.create_indexes(deps.store)
    await kas_handlers.create_indexes(deps.store)


def _servicers(deps: Deps) -> list[Registration]:
    return registrations(_intake(deps))


async def _check_form_deadlines_periodically(app: Intake) -> None:
    """Report overdue extended-phone-advice form deadlines missed, at the configured interval."""
    while True:
        try:
            reported = await deadline_check.check_form_deadlines(app)
            if reported:
                log.info("reported %d missed form deadlines", reported)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("form deadline check failed: %r", error)
        await asyncio.sleep(app.settings.intake_deadline_check_interval_s)


def _background(deps: Deps) -> Sequence[Awaitable[None]]:
    return [_check_form_deadlines_periodically(_intake(deps))]


HANDLED_EVENTS = frozenset(consumers.HANDLERS)
"""The event types intake's consumer handles, known without building anything."""

SPEC = ServiceSpec(
    name="intake",
    subscribes_to=(events_topic("visitation"), events_topic("leverance")),
    handlers=lambda deps: dict(consumers.HANDLERS),
    servicers=_servicers,
    setup=_setup,
    background_consumer=True,
    background=_background,
)
