"""The delivery state machine; no I/O.

A delivery is queued in the transaction that causes it; its id is the idempotency key (the
cause: event id and recipient index), so one cause never makes two. The worker records each
attempt as "sending" before it tries (a crash then leaves a visible "sending", retried with the
same Message-ID), then "sent", or a failure: retried with exponential backoff up to the policy's
tries per channel or the send-by deadline, then on the recipient's next channel ("fallen_back"),
and when no channel is left "failed", which Team Support is told of. A receipt from the
recipient's side makes it "delivered".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from services.kernel.errors import IllegalTransition
from services.kernel.store import Aggregate

ChannelName = Literal["email", "digital_post", "secure_email"]
"""E-mail over SMTP; Digital Post to a citizen's CPR; secure e-mail (STARTTLS required) to a
municipality's notification mailbox."""

Status = Literal["queued", "sending", "sent", "delivered", "fallen_back", "failed"]
"""queued: waits for its (next) try; sending: a try is under way; sent: a channel took it;
delivered: the recipient's side acknowledged it; fallen_back: waits for its try on the next
channel; failed: no channel took it, Team Support has it as a task."""

MessageKind = Literal[
    "receipt_letter",
    "personal_data_letter",
    "decision_letter",
    "concern_report",
    "survey_invitation",
    "delay_letter",
    "access_package",
]

WAITING: tuple[Status, ...] = ("queued", "fallen_back")
STATUSES: tuple[Status, ...] = ("queued", "sending", "sent", "delivered", "fallen_back", "failed")
MESSAGE_ID_DOMAIN = "vias.viso.dk"


class Recipient(BaseModel):
    """Who a delivery goes to and how they can be reached; never a CPR number (a citizen is
    reached through `citizen_ref`, resolved by intake at the moment of delivery)."""

    name: str
    role: str
    email: str = ""
    municipality_code: str = ""
    citizen_ref: str = ""


class Attempt(BaseModel):
    """One try on one channel."""

    channel: ChannelName
    started_at: datetime
    outcome: Literal["sending", "sent", "failed", "undeliverable", "interrupted"] = "sending"
    detail: str = ""
    finished_at: datetime | None = None


class Delivery(Aggregate):
    """One outbound message to one recipient; `id` is its idempotency key."""

    message_kind: MessageKind
    inquiry_id: str
    case_id: str = ""
    consultant_id: str = ""
    recipient: Recipient
    channels: list[ChannelName]
    channel_index: int = 0
    subject: str
    body: str
    document_id: str = Field(default="", description="The rendered document in documents.")
    status: Status
    attempts: list[Attempt] = Field(default_factory=list)
    tries_on_channel: int = 0
    next_attempt_at: datetime
    send_by: datetime
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None
    sent_via: ChannelName | None = None
    acknowledged_at: datetime | None = None
    receipt: str = ""
    failure: str = ""
    source_event_id: str

    @property
    def channel(self) -> ChannelName | None:
        """The channel it is on; None when it has none left."""
        return (
            self.channels[self.channel_index] if self.channel_index < len(self.channels) else None
        )

    @property
    def message_id(self) -> str:
        """The SMTP Message-ID (and Digital Post message id): the same on every try, so a
        message sent twice after a crash is recognisable as one."""
        return f"<{self.id.replace(':', '.')}@{MESSAGE_ID_DOMAIN}>"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how fast a channel is tried before the next one."""

    tries_per_channel: int = 5
    backoff_s: float = 30.0
    backoff_max_s: float = 1800.0
    sending_lease_s: float = 300.0


Outcome = Literal["retry", "fallen_back", "failed"]


def backoff(tries: int, policy: RetryPolicy) -> timedelta:
    """The wait after the `tries`-th failed try on a channel: doubling, capped."""
    return timedelta(seconds=min(policy.backoff_max_s, policy.backoff_s * 2 ** max(0, tries - 1)))


def channels_for(recipient: Recipient) -> list[ChannelName]:
    """The recipient's channels, in the order they are tried: a citizen by Digital Post (then
    e-mail if known); anyone else by e-mail, then a municipal inquirer's notification mailbox."""
    found: list[ChannelName] = []
    if recipient.role == "citizen" and recipient.citizen_ref:
        found.append("digital_post")
    if recipient.email:
        found.append("email")
    if recipient.role == "inquirer" and recipient.municipality_code:
        found.append("secure_email")
    return found


def queue(
    delivery_id: str,
    *,
    message_kind: MessageKind,
    inquiry_id: str,
    recipient: Recipient,
    subject: str,
    body: str,
    now: datetime,
    send_within: timedelta,
    source_event_id: str,
    channels: list[ChannelName] | None = None,
    case_id: str = "",
    consultant_id: str = "",
    document_id: str = "",
) -> Delivery:
    """A new delivery, due now; failed at once when the recipient has no channel at all."""
    chosen = channels_for(recipient) if channels is None else channels
    return Delivery(
        id=delivery_id,
        message_kind=message_kind,
        inquiry_id=inquiry_id,
        case_id=case_id,
        consultant_id=consultant_id,
        recipient=recipient,
        channels=chosen,
        subject=subject,
        body=body,
        document_id=document_id,
        status="queued" if chosen else "failed",
        failure="" if chosen else "the recipient has no channel",
        next_attempt_at=now,
        send_by=now + send_within,
        created_at=now,
        updated_at=now,
        source_event_id=source_event_id,
    )


def is_due(delivery: Delivery, now: datetime) -> bool:
    """Whether the worker should try it now."""
    return delivery.status in WAITING and delivery.next_attempt_at <= now


def begin_attempt(delivery: Delivery, now: datetime) -> Delivery:
    """Record a try as under way, before it is made."""
    channel = delivery.channel
    if not is_due(delivery, now) or channel is None:
        raise IllegalTransition(f"delivery {delivery.id} is {delivery.status}, not due")
    return delivery.model_copy(
        update={
            "status": "sending",
            "tries_on_channel": delivery.tries_on_channel + 1,
            "attempts": [*delivery.attempts, Attempt(channel=channel, started_at=now)],
            "updated_at": now,
        }
    )


def _finish_attempt(delivery: Delivery, outcome: str, detail: str, now: datetime) -> list[Attempt]:
    last = delivery.attempts[-1].model_copy(
        update={"outcome": outcome, "detail": detail[:500], "finished_at": now}
    )
    return [*delivery.attempts[:-1], last]


def attempt_succeeded(delivery: Delivery, detail: str, now: datetime) -> Delivery:
    """The channel took the message."""
    if delivery.status != "sending":
        raise IllegalTransition(f"delivery {delivery.id} is {delivery.status}, not sending")
    return delivery.model_copy(
        update={
            "status": "sent",
            "attempts": _finish_attempt(delivery, "sent", detail, now),
            "sent_at": now,
            "sent_via": delivery.channel,
            "failure": "",
            "updated_at": now,
        }
    )


def attempt_failed(
    delivery: Delivery,
    error: str,
    now: datetime,
    policy: RetryPolicy,
    *,
    permanent: bool = False,
    outcome: Literal["failed", "undeliverable", "interrupted"] = "failed",
) -> tuple[Delivery, Outcome]:
    """A try failed: try the channel again after the backoff while tries and time are left
    (never when the channel cannot reach the recipient at all, `permanent`), else the next
    channel, else give up."""
    if delivery.status != "sending":
        raise IllegalTransition(f"delivery {delivery.id} is {delivery.status}, not sending")
    attempts = _finish_attempt(delivery, "undeliverable" if permanent else outcome, error, now)
    common = {"attempts": attempts, "failure": error[:500], "updated_at": now}
    tries = delivery.tries_on_channel
    if not permanent and tries < policy.tries_per_channel and now < delivery.send_by:
        wait = backoff(tries, policy)
        return delivery.model_copy(
            update={**common, "status": "queued", "next_attempt_at": now + wait}
        ), "retry"
    if delivery.channel_index + 1 < len(delivery.channels):
        moved = {
            "status": "fallen_back",
            "channel_index": delivery.channel_index + 1,
            "tries_on_channel": 0,
            "next_attempt_at": now,
        }
        return delivery.model_copy(update={**common, **moved}), "fallen_back"
    return delivery.model_copy(update={**common, "status": "failed"}), "failed"


def interrupted(delivery: Delivery, now: datetime, policy: RetryPolicy) -> bool:
    """Whether a try has been "sending" longer than the lease: the process making it died."""
    if delivery.status != "sending" or not delivery.attempts:
        return False
    started = delivery.attempts[-1].started_at
    return now - started >= timedelta(seconds=policy.sending_lease_s)


def acknowledge(delivery: Delivery, receipt: str, at: datetime, now: datetime) -> Delivery:
    """The recipient's side acknowledged the message (e.g. the municipality's receipt)."""
    if delivery.status not in ("sent", "delivered"):
        raise IllegalTransition(
            f"delivery {delivery.id} is {delivery.status}; only a sent one is received"
        )
    if delivery.status == "delivered":
        return delivery
    return delivery.model_copy(
        update={"status": "delivered", "acknowledged_at": at, "receipt": receipt, "updated_at": now}
    )


def requeue(delivery: Delivery, now: datetime) -> Delivery:
    """Team Support tries a failed delivery again from its first channel."""
    if delivery.status != "failed" or not delivery.channels:
        raise IllegalTransition(
            f"delivery {delivery.id} is {delivery.status}; only a failed one is retried"
        )
    return delivery.model_copy(
        update={
            "status": "queued",
            "channel_index": 0,
            "tries_on_channel": 0,
            "next_attempt_at": now,
            "send_by": max(delivery.send_by, now + (delivery.send_by - delivery.created_at)),
            "updated_at": now,
        }
    )
