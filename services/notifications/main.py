"""Notifications' wiring."""

from __future__ import annotations

from services.kernel.consumer import EventHandler
from services.kernel.runtime import Deps, ServiceSpec
from services.kernel.topics import events_topic
from services.notifications import deadlines, handlers, letters, leverance_notices, surveys
from services.notifications.api import registrations


async def _setup(deps: Deps) -> None:
    await handlers.create_indexes(deps.store)
    await letters.create_indexes(deps.store)
    await surveys.create_indexes(deps.store)


_HANDLERS: dict[str, EventHandler] = {
    "VisitationCaseOpened": handlers.notify_case_assigned,
    **leverance_notices.HANDLERS,
    **letters.HANDLERS,
    **deadlines.handlers(),
}
HANDLED_EVENTS = frozenset({*_HANDLERS, *surveys.handlers(questions=())})
"""The event types notifications' consumer handles, known without building anything (which
events the survey sender handles does not depend on its questions, read at start-up)."""

SPEC = ServiceSpec(
    name="notifications",
    subscribes_to=(events_topic("visitation"), events_topic("leverance"), events_topic("intake")),
    handlers=lambda deps: {
        **_HANDLERS,
        **surveys.handlers(surveys.questions_from_settings()),
    },
    servicers=lambda deps: [
        *registrations(deps.store),
        *letters.registrations(deps.store),
        *surveys.registrations(deps.store, surveys.questions_from_settings()),
    ],
    setup=_setup,
)
