"""Notifications' wiring."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Mapping, Sequence
from datetime import timedelta

from services.kernel.consumer import EventHandler
from services.kernel.envelope import Envelope
from services.kernel.runtime import Deps, ServiceSpec
from services.kernel.store import Transaction
from services.kernel.topics import events_topic
from services.notifications import (
    case_record_notices,
    deadlines,
    handlers,
    intake_notices,
    letters,
    leverance_notices,
    surveys,
)
from services.notifications.api import registrations
from services.notifications.delivery import api as delivery_api
from services.notifications.delivery import concern_reports as concern_deliveries
from services.notifications.delivery import documents_to_send
from services.notifications.delivery import handlers as delivery_handlers
from services.notifications.delivery import worker as delivery_worker
from services.notifications.delivery.settings import DeliverySettings
from services.notifications.supplier_feed import handlers as supplier_feed
from services.notifications.supplier_feed.rules import RULES as FEED_RULES
from services.notifications.supplier_feed.topics import FeedTopics
from services.notifications.survey_page import server as survey_page

_feed_topics: dict[int, FeedTopics] = {}


def _topics(deps: Deps) -> FeedTopics:
    """The suppliers' feed topics, one keeper per process."""
    return _feed_topics.setdefault(id(deps.store), FeedTopics(deps.settings, deps.store))


def in_turn(*steps: EventHandler) -> EventHandler:
    """One handler running each of `steps` on the event, in order, in the same transaction."""

    async def handle(tx: Transaction, envelope: Envelope) -> None:
        for step in steps:
            await step(tx, envelope)

    return handle


def merged(*tables: Mapping[str, EventHandler]) -> dict[str, EventHandler]:
    """The handlers of several tables by event type; a type several tables handle runs each
    table's handler in turn (a notice and a feed event from one event, say)."""
    by_type: dict[str, list[EventHandler]] = {}
    for table in tables:
        for event_type, handler in table.items():
            by_type.setdefault(event_type, []).append(handler)
    return {t: steps[0] if len(steps) == 1 else in_turn(*steps) for t, steps in by_type.items()}


def _handlers(deps: Deps) -> dict[str, EventHandler]:
    return merged(
        {"VisitationCaseOpened": handlers.notify_case_assigned},
        leverance_notices.HANDLERS,
        case_record_notices.HANDLERS,
        letters.handlers(DeliverySettings().send_within),
        concern_deliveries.handlers(DeliverySettings().send_within),
        documents_to_send.handlers(DeliverySettings().send_within),
        intake_notices.HANDLERS,
        deadlines.handlers(),
        surveys.handlers(
            surveys.questions_from_settings(),
            # Read when the first survey is recorded: building the handlers needs no key.
            functools.cache(lambda: surveys.SurveySettings().links(deps.settings)),
            DeliverySettings().send_within,
        ),
        supplier_feed.handlers(_topics(deps)),
    )


async def _setup(deps: Deps) -> None:
    await handlers.create_indexes(deps.store)
    await letters.create_indexes(deps.store)
    await surveys.create_indexes(deps.store)
    await delivery_handlers.create_indexes(deps.store)


def _survey_page(deps: Deps) -> Awaitable[None]:
    page = surveys.SurveySettings()
    app = survey_page.build_app(deps.store, page.links(deps.settings))
    return survey_page.serve(app, page.web_host(deps.settings), page.survey_web_port)


def _background(deps: Deps) -> Sequence[Awaitable[None]]:
    settings = DeliverySettings()
    worker = delivery_worker.build_worker(
        deps.store, settings, deps.auth.credentials, deps.metrics.registry
    )
    return [
        _topics(deps).keep(),
        _survey_page(deps),
        delivery_worker.keep_delivering(worker, settings.delivery_interval_s),
    ]


HANDLED_EVENTS = frozenset(
    {
        "VisitationCaseOpened",
        *leverance_notices.HANDLERS,
        *case_record_notices.HANDLERS,
        *letters.handlers(send_within=timedelta(0)),
        *concern_deliveries.handlers(send_within=timedelta(0)),
        *documents_to_send.handlers(send_within=timedelta(0)),
        *intake_notices.HANDLERS,
        *deadlines.handlers(),
        *surveys.handlers(questions=()),
        "SupplierProfileChanged",
        *FEED_RULES,
    }
)
"""The event types notifications' consumer handles, known without building anything (which
events the survey sender and the feed curator handle does not depend on their settings)."""

SPEC = ServiceSpec(
    name="notifications",
    subscribes_to=(
        events_topic("visitation"),
        events_topic("leverance"),
        events_topic("intake"),
        events_topic("documents"),
    ),
    handlers=_handlers,
    servicers=lambda deps: [
        *registrations(deps.store),
        *letters.registrations(deps.store),
        *delivery_api.registrations(deps.store),
        *surveys.registrations(
            deps.store,
            surveys.questions_from_settings(),
            surveys.SurveySettings().links(deps.settings),
        ),
    ],
    setup=_setup,
    background=_background,
)
