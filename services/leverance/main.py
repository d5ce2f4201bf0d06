"""Leverance's wiring."""

from __future__ import annotations

from functools import partial

from services.kernel.consumer import EventHandler
from services.kernel.runtime import Deps, ServiceSpec
from services.kernel.topics import events_topic
from services.leverance.api import registrations
from services.leverance.handlers import cases, courses
from services.leverance.handlers.indexes import create_indexes
from services.leverance.settings import LeveranceSettings
from services.workdays import DEFAULT_CALENDAR


def _handlers(deps: Deps) -> dict[str, EventHandler]:
    return {
        "VisitationCaseOpened": cases.reference_opened_case,
        "CaseHandedToLeverance": courses.open_course,
        "DocumentJournaled": partial(courses.record_journaled_document, calendar=DEFAULT_CALENDAR),
    }


async def _setup(deps: Deps) -> None:
    await create_indexes(deps.store)


SPEC = ServiceSpec(
    name="leverance",
    subscribes_to=(events_topic("visitation"), events_topic("documents")),
    handlers=_handlers,
    servicers=lambda deps: registrations(deps.store, LeveranceSettings(), DEFAULT_CALENDAR),
    setup=_setup,
    background_consumer=True,
)
