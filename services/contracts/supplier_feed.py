"""The supplier event feed: what one supplier's own staff may see, on that supplier's own topic.

Notifications curates these from visitation's and leverance's events and publishes each on the
topic of the supplier it concerns, `feed_topic(supplier_id)`. A feed event carries only ids,
codes, dates, deadlines and amounts of that supplier's own offers, cases, agreements and
settlements, and user ids of its own specialists: never a CPR number, a citizen's name or
reference, another supplier's id, the consultant's ranking or justification, nor any free text
(objections, reasons, notes), which could name a citizen. The envelope's `subject` (the Kafka
key) is the case id, or the settlement id for a settlement.

An event may arrive more than once (after a broker lost its data every retained event is
published again): a subscriber deduplicates on the envelope's `event_id`.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Literal

from pydantic import Field

from services.contracts.channel import Channel
from services.contracts.common import MainArea
from services.contracts.leverance import Dkk
from services.kernel.envelope import EventPayload

PRODUCER = "notifications"
"""The service that publishes every feed topic."""
TOPIC_TEMPLATE = "vias.supplier.{supplier_id}.v1"
"""One topic per supplier; `{supplier_id}` is the supplier id made topic-safe (`topic_id`)."""

CHANNELS = (
    Channel(
        address=TOPIC_TEMPLATE,
        producer=PRODUCER,
        description="One supplier's feed: only what that supplier's own staff may see (offers "
        "to it and their deadlines, cases handed to it, its agreements returned or approved, "
        "consumption reviewed, its settlements, deadlines its staff must meet). No CPR number, "
        "no citizen's name, no other supplier's data, no comparison of suppliers.",
        parameters={
            "supplier_id": "The supplier the feed is for, made topic-safe: letters, digits "
            "and '-' as they are, any other byte as '_' and two hex digits (see topic_id)."
        },
    ),
)

MAX_TOPIC_LENGTH = 249
"""Kafka's limit on a topic name."""
_TOPIC_OVERHEAD = len(TOPIC_TEMPLATE.format(supplier_id=""))
MAX_TOPIC_ID_LENGTH = MAX_TOPIC_LENGTH - _TOPIC_OVERHEAD
_KEPT = re.compile(r"[A-Za-z0-9-]")
_HASHED_KEEP = 200
"""A topic id too long for Kafka keeps this much of its escaped form, then `__` and a hash."""


def topic_id(supplier_id: str) -> str:
    """The supplier id as it stands in its topic's name: letters, digits and `-` as they are,
    every other UTF-8 byte (`.` and `_` too) as `_` and two hex digits.

    Different ids give different topic ids, and a topic id never holds a `.`, so the prefix
    `feed_prefix(a)` never matches the topic of another supplier `b` (an id `a` would
    otherwise read the feed of `a.b`). One whose escaped form is too long for Kafka keeps its
    first 200 characters, then `__` (which no escaped form holds) and 24 hex digits of its
    SHA-256.
    """
    if not supplier_id:
        raise ValueError("a supplier id is needed for a feed topic")
    escaped = "".join(
        char if _KEPT.fullmatch(char) else "".join(f"_{b:02x}" for b in char.encode())
        for char in supplier_id
    )
    if len(escaped) <= MAX_TOPIC_ID_LENGTH:
        return escaped
    digest = hashlib.sha256(supplier_id.encode()).hexdigest()[:24]
    return f"{escaped[:_HASHED_KEEP]}__{digest}"


def feed_topic(supplier_id: str) -> str:
    """The topic carrying one supplier's feed."""
    return TOPIC_TEMPLATE.format(supplier_id=topic_id(supplier_id))


def feed_prefix(supplier_id: str) -> str:
    """The prefix of the supplier's feed topic and of its own consumer groups: what its Kafka
    user may read (`deploy/kubernetes/supplier-feed/`)."""
    return f"vias.supplier.{topic_id(supplier_id)}."


class _FeedEvent(EventPayload):
    supplier_id: str = Field(description="The supplier whose feed this is; never another.")


class _CaseFeedEvent(_FeedEvent):
    case_id: str = Field(description="The visitation case (also the Kafka key).")

    def subject(self) -> str:
        return self.case_id


class _DeliveryFeedEvent(_CaseFeedEvent):
    delivery_id: str = Field(description="The supplier's part of the course (its agreement).")


class OfferReceived(_CaseFeedEvent):
    """VISO offers the supplier a case as a visitation service; answer yes or no by the due date.

    Curated from visitation's `SupplierOffered`, without the consultant's ranking and
    justification.
    """

    event_type = "OfferReceived"

    offer_id: str
    service_id: str = Field(description="The advisory service offered.", examples=["single_case"])
    answer_due: date = Field(description="The supplier answers by this day (5 working days).")
    specialist_ids: list[str] = Field(
        default_factory=list,
        description="The supplier's specialists told of the offer (user ids): the one the "
        "consultant named, else every specialist the supplier lists.",
    )


class CaseHandedOver(_CaseFeedEvent):
    """The clarifying meeting was held: the case is the supplier's, and its specialist proposes
    the delivery agreement.

    Curated from visitation's `CaseHandedToLeverance`.
    """

    event_type = "CaseHandedOver"

    offer_id: str | None = None
    service: str = Field(description="The advisory service.", examples=["single_case"])
    main_area: MainArea
    specialist_id: str = Field(description="The supplier's specialist who took the task.")
    clarifying_meeting_on: date
    summary_note_due: date | None = Field(
        default=None, description="When the summary note (opsamlingsnotat) is due."
    )
    course_max_months: int | None = Field(
        default=None, description="The service's limit, clarifying to closing meeting."
    )


class AgreementReturned(_DeliveryFeedEvent):
    """A proposed agreement version came back for renegotiation (or a high-price version was
    rejected by the manager). The objections are read in leverance (`GetDelivery`).

    Curated from leverance's `DeliveryAgreementReturned`, without the objections' text.
    """

    event_type = "AgreementReturned"

    version: int = Field(ge=1)
    returned_by_role: str = Field(examples=["consultant", "manager"])
    specialist_id: str = Field(description="The supplier's specialist who proposed it.")


class AgreementApproved(_DeliveryFeedEvent):
    """An agreement version is fully approved and in force.

    Curated from leverance's `DeliveryAgreementApproved`.
    """

    event_type = "AgreementApproved"

    version: int = Field(ge=1)
    change: bool = Field(description="Whether it changes a running agreement.")
    total_dkk: Dkk = Field(description="The version's total, DKK, as a decimal string.")
    approved_at: datetime


class _ConsumptionFeedEvent(_DeliveryFeedEvent):
    entry_ids: list[str] = Field(description="The logged consumption entries reviewed.")


class ConsumptionApproved(_ConsumptionFeedEvent):
    """The consultant approved logged consumption: it is paid with the month's settlement.

    Curated from leverance's `ConsumptionReviewed` (approved).
    """

    event_type = "ConsumptionApproved"


class ConsumptionRejected(_ConsumptionFeedEvent):
    """The consultant rejected logged consumption. The reason is read in leverance.

    Curated from leverance's `ConsumptionReviewed` (rejected), without the reason's text.
    """

    event_type = "ConsumptionRejected"


class SettlementIssued(_FeedEvent):
    """A monthly settlement of the supplier's approved consumption; the agency pays from it.

    Curated from leverance's `SettlementCreated`.
    """

    event_type = "SettlementIssued"

    settlement_id: str = Field(description="Also the Kafka key.")
    month: str = Field(examples=["2026-10"])
    total_dkk: Dkk
    entries: int = Field(ge=0, description="How many consumption entries it pays.")
    created_at: datetime

    def subject(self) -> str:
        return self.settlement_id


DeadlineStatus = Literal["set", "changed", "met", "missed", "cancelled"]


class DeadlineUpdated(_CaseFeedEvent):
    """A deadline the supplier's specialist must meet was set, moved, met, missed or cancelled.

    Curated from the `Deadline*` events of visitation and leverance whose responsible role is
    a supplier's (specialist, supplier admin) and which name this supplier.
    """

    event_type = "DeadlineUpdated"

    deadline_id: str = Field(description="Stable across the deadline's updates.")
    status: DeadlineStatus
    rule: str = Field(description="Rule id.", examples=["visitation.supplier_answer"])
    rule_text: str = Field(description="The rule in words.")
    start: date
    due: date = Field(description="The due date; the new one when `changed`.")
    previous_due: date | None = Field(default=None, description="Set when `changed`.")
    met_on: date | None = Field(default=None, description="Set when `met`.")
    specialist_ids: list[str] = Field(
        default_factory=list,
        description="Who at the supplier must act: the responsible specialist, else every "
        "specialist told (empty: anyone at the supplier).",
    )


FEED_EVENTS: tuple[type[EventPayload], ...] = (
    OfferReceived,
    CaseHandedOver,
    AgreementReturned,
    AgreementApproved,
    ConsumptionApproved,
    ConsumptionRejected,
    SettlementIssued,
    DeadlineUpdated,
)
"""Every event a supplier feed carries."""

FeedEvent = (
    OfferReceived
    | CaseHandedOver
    | AgreementReturned
    | AgreementApproved
    | ConsumptionApproved
    | ConsumptionRejected
    | SettlementIssued
    | DeadlineUpdated
)
