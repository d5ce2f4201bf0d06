"""Team Support's notices of deliveries: a channel given up for the next one, and a delivery
no channel took (a task: send it another way). Danish; no I/O."""

from __future__ import annotations

from datetime import datetime

from services.notifications.delivery.domain import Delivery
from services.notifications.domain import Notice, notice

TEAM_SUPPORT = "team-support"
"""The shared inbox of Team Support (role support reads it)."""

MESSAGE_KINDS = {
    "receipt_letter": "Kvitteringsbrevet",
    "personal_data_letter": "Persondatabrevet",
    "decision_letter": "Afgørelsesbrevet",
    "concern_report": "Underretningen",
    "survey_invitation": "Invitationen til tilfredshedsundersøgelsen",
    "delay_letter": "Forsinkelsesbrevet",
}
CHANNELS = {
    "email": "e-mail",
    "digital_post": "Digital Post",
    "secure_email": "sikker e-mail til kommunens underretningspostkasse",
}


def _what(delivery: Delivery) -> str:
    return (
        f"{MESSAGE_KINDS[delivery.message_kind]} til {delivery.recipient.name} "
        f"(henvendelse {delivery.inquiry_id})"
    )


def fallback_notice(delivery: Delivery, *, event_id: str, now: datetime) -> Notice:
    """A channel kept failing; the delivery goes on by the next one."""
    tried = CHANNELS[delivery.channels[delivery.channel_index - 1]]
    text = (
        f"{_what(delivery)} kunne ikke sendes med {tried} ({delivery.failure}). "
        f"Det sendes nu med {CHANNELS[delivery.channels[delivery.channel_index]]}."
    )
    return notice(
        TEAM_SUPPORT,
        "delivery_fallen_back",
        delivery.case_id,
        text,
        event_id=event_id,
        now=now,
        subject_id=delivery.id,
    )


def failed_notice(delivery: Delivery, *, event_id: str, now: datetime) -> Notice:
    """No channel took the delivery: Team Support sends it another way (a task)."""
    tried = ", ".join(CHANNELS[c] for c in delivery.channels) or "ingen kendt kanal"
    text = (
        f"{_what(delivery)} kunne ikke leveres (forsøgt: {tried}; {delivery.failure}). "
        "Send det på anden vis, fx med almindelig post, eller prøv igen, når fejlen er rettet."
    )
    return notice(
        TEAM_SUPPORT,
        "delivery_failed",
        delivery.case_id,
        text,
        event_id=event_id,
        now=now,
        subject_id=delivery.id,
        urgent=True,
    )
