"""Leverance's wiring."""

from __future__ import annotations

from services.kernel.runtime import ServiceSpec
from services.kernel.topics import events_topic
from services.leverance import handlers
from services.leverance.api import registrations

SPEC = ServiceSpec(
    name="leverance",
    subscribes_to=(events_topic("visitation"),),
    handlers=lambda deps: {"VisitationCaseOpened": handlers.reference_opened_case},
    servicers=lambda deps: registrations(deps.store),
    background_consumer=True,
)
