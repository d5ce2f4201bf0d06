"""Visitation's wiring."""

from __future__ import annotations

from services.kernel.consumer import EventHandler
from services.kernel.runtime import Deps, ServiceSpec
from services.kernel.topics import events_topic
from services.visitation import handlers
from services.visitation.api import registrations


def _handlers(deps: Deps) -> dict[str, EventHandler]:
    return {"InquiryAssigned": handlers.open_case_for_inquiry}


async def _setup(deps: Deps) -> None:
    await handlers.create_indexes(deps.store)


SPEC = ServiceSpec(
    name="visitation",
    subscribes_to=(events_topic("intake"),),
    handlers=_handlers,
    servicers=lambda deps: registrations(deps.store),
    setup=_setup,
)
