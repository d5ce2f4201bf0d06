"""Consumer handlers: an internal event becomes its supplier's feed event, emitted to that
supplier's topic in the transaction that applies the internal event (inbox and outbox)."""

from __future__ import annotations

from typing import Any

from services.contracts.leverance import SupplierProfileChanged
from services.kernel.consumer import EventHandler
from services.kernel.envelope import Envelope
from services.kernel.store import Transaction
from services.notifications.supplier_feed.rules import RULES, Rule
from services.notifications.supplier_feed.topics import FeedTopics


def _curator(rule: Rule[Any], topics: FeedTopics) -> EventHandler:
    async def curate(tx: Transaction, envelope: Envelope) -> None:
        event = rule.apply(envelope.payload)
        if event is not None:
            tx.emit(event, topic=await topics.ready(tx, event.supplier_id))

    return curate


def handlers(topics: FeedTopics) -> dict[str, EventHandler]:
    """The feed's handlers by event type: a supplier's profile makes sure its topic exists,
    and each event a rule curates goes to its supplier's topic."""

    async def supplier_seen(tx: Transaction, envelope: Envelope) -> None:
        await topics.ready(tx, envelope.payload_as(SupplierProfileChanged).supplier_id)

    return {
        "SupplierProfileChanged": supplier_seen,
        **{event_type: _curator(rule, topics) for event_type, rule in RULES.items()},
    }
