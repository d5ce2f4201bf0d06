"""Intake's wiring."""

from __future__ import annotations

from services.intake import handlers
from services.intake.api import registrations
from services.intake.handlers import Intake
from services.intake.kas import handlers as kas_handlers
from services.intake.privacy import CprVault, IntakeSettings
from services.intake.reference import load_reference
from services.kernel.grpc_server import Registration
from services.kernel.runtime import Deps, ServiceSpec


def build(deps: Deps) -> Intake:
    """Intake's use-case context: reference data and CPR keys are read here, at start-up."""
    settings = IntakeSettings()
    return Intake(
        store=deps.store,
        ref=load_reference(),
        vault=CprVault.from_settings(settings),
        settings=settings,
    )


async def _setup(deps: Deps) -> None:
    await handlers.create_indexes(deps.store)
    await kas_handlers.create_indexes(deps.store)


def _servicers(deps: Deps) -> list[Registration]:
    return registrations(build(deps))


SPEC = ServiceSpec(
    name="intake",
    subscribes_to=(),
    handlers=lambda deps: {},
    servicers=_servicers,
    setup=_setup,
)
