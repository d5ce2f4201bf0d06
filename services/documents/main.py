"""Documents' wiring."""

from __future__ import annotations

from services.documents import case_suppliers, handlers, intake_journal, visitation_journal
from services.documents.api import registrations
from services.kernel.consumer import EventHandler
from services.kernel.runtime import Deps, ServiceSpec
from services.kernel.topics import events_topic


async def _setup(deps: Deps) -> None:
    await handlers.create_indexes(deps.store)


_HANDLERS: dict[str, EventHandler] = {
    "InquiryRegistered": handlers.journal_registration,
    "VisitationCaseOpened": handlers.journal_and_record_opened_case,
    "CaseHandedToLeverance": case_suppliers.record_hand_over,
    **intake_journal.HANDLERS,
    **visitation_journal.HANDLERS,
}
HANDLED_EVENTS = frozenset(_HANDLERS)
"""The event types documents' consumer handles, known without building anything."""

SPEC = ServiceSpec(
    name="documents",
    subscribes_to=(events_topic("intake"), events_topic("visitation")),
    handlers=lambda deps: dict(_HANDLERS),
    servicers=lambda deps: registrations(deps.store),
    setup=_setup,
    background_consumer=True,
)
