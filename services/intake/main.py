"""Intake's wiring."""

from __future__ import annotations

from services.intake.api import registrations
from services.kernel.runtime import ServiceSpec

SPEC = ServiceSpec(
    name="intake",
    subscribes_to=(),
    handlers=lambda deps: {},
    servicers=lambda deps: registrations(deps.store),
)
