"""The delivery state machine: retries with backoff, fallback in the recipient's channel order,
giving up, the idempotency key, receipts and Team Support's retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.kernel.errors import IllegalTransition
from services.notifications.delivery import domain
from services.notifications.delivery.domain import Delivery, Recipient, RetryPolicy

NOW = datetime(2026, 5, 20, 8, tzinfo=UTC)
POLICY = RetryPolicy(tries_per_channel=3, backoff_s=10, backoff_max_s=25, sending_lease_s=60)
INQUIRER = Recipient(
    name="Odense Kommune", role="inquirer", email="r@odense.dk", municipality_code="461"
)


def queued(recipient: Recipient = INQUIRER, **fields: object) -> Delivery:
    return domain.queue(
        "event-1:0",
        message_kind="receipt_letter",
        inquiry_id="h-1",
        recipient=recipient,
        subject="Kvittering",
        body="Kære Odense Kommune.",
        now=NOW,
        send_within=timedelta(hours=48),
        source_event_id="event-1",
        **fields,  # type: ignore[arg-type]
    )


def fail(delivery: Delivery, at: datetime, **kw: object) -> tuple[Delivery, domain.Outcome]:
    return domain.attempt_failed(
        domain.begin_attempt(delivery, at),
        "connection refused",
        at,
        POLICY,
        **kw,  # type: ignore[arg-type]
    )


def test_channels_follow_the_recipient_in_order() -> None:
    assert domain.channels_for(INQUIRER) == ["email", "secure_email"]
    citizen = Recipient(name="Anna", role="citizen", citizen_ref="hash")
    assert domain.channels_for(citizen) == ["digital_post"]
    assert domain.channels_for(citizen.model_copy(update={"email": "a@b.dk"})) == [
        "digital_post",
        "email",
    ]
    holder = Recipient(name="Far", role="custody_holder", municipality_code="461")
    assert domain.channels_for(holder) == []  # a mailbox is only an inquiring municipality's


def test_a_recipient_without_a_channel_fails_at_once_and_is_never_tried() -> None:
    delivery = queued(Recipient(name="Far", role="custody_holder"))
    assert delivery.status == "failed"
    assert delivery.failure
    assert not domain.is_due(delivery, NOW)


def test_the_id_is_the_idempotency_key_and_the_message_id() -> None:
    delivery = queued()
    assert delivery.id == "event-1:0"
    assert delivery.message_id == "<event-1.0@vias.viso.dk>"
    assert delivery.message_id == queued().message_id


def test_a_try_is_recorded_as_sending_before_it_is_made() -> None:
    sending = domain.begin_attempt(queued(), NOW)
    assert sending.status == "sending"
    assert sending.attempts[-1].outcome == "sending"
    assert sending.tries_on_channel == 1
    with pytest.raises(IllegalTransition):
        domain.begin_attempt(sending, NOW)  # not twice at once


def test_success_records_the_channel() -> None:
    sent = domain.attempt_succeeded(domain.begin_attempt(queued(), NOW), "250 OK", NOW)
    assert (sent.status, sent.sent_via, sent.sent_at) == ("sent", "email", NOW)
    assert sent.attempts[-1].outcome == "sent"


def test_failures_back_off_doubling_up_to_the_cap() -> None:
    assert [domain.backoff(n, POLICY).total_seconds() for n in (1, 2, 3, 4)] == [10, 20, 25, 25]
    retried, outcome = fail(queued(), NOW)
    assert outcome == "retry"
    assert retried.status == "queued"
    assert retried.next_attempt_at == NOW + timedelta(seconds=10)
    assert not domain.is_due(retried, NOW + timedelta(seconds=9))
    again, _ = fail(retried, NOW + timedelta(seconds=10))
    assert again.next_attempt_at == NOW + timedelta(seconds=30)


def test_after_the_tries_the_next_channel_then_failed() -> None:
    delivery, at = queued(), NOW
    outcomes = []
    for _ in range(6):
        delivery, outcome = fail(delivery, at)
        outcomes.append(outcome)
        at = delivery.next_attempt_at
    assert outcomes == ["retry", "retry", "fallen_back", "retry", "retry", "failed"]
    assert delivery.status == "failed"
    assert [a.channel for a in delivery.attempts] == ["email"] * 3 + ["secure_email"] * 3
    assert delivery.failure == "connection refused"


def test_a_fallback_is_tried_at_once_from_its_first_try() -> None:
    delivery, at = queued(), NOW
    for _ in range(3):
        delivery, _ = fail(delivery, at)
        at = delivery.next_attempt_at
    assert delivery.status == "fallen_back"
    assert delivery.channel == "secure_email"
    assert delivery.tries_on_channel == 0
    assert domain.is_due(delivery, at)


def test_an_unreachable_channel_falls_back_without_retries() -> None:
    delivery, outcome = fail(queued(), NOW, permanent=True)
    assert outcome == "fallen_back"
    assert delivery.attempts[-1].outcome == "undeliverable"


def test_past_the_send_by_deadline_no_channel_is_retried() -> None:
    late = NOW + timedelta(hours=49)
    delivery, outcome = fail(queued(), late)
    assert outcome == "fallen_back"
    assert delivery.channel == "secure_email"


def test_an_interrupted_try_is_seen_after_the_lease_and_retried() -> None:
    sending = domain.begin_attempt(queued(), NOW)
    assert not domain.interrupted(sending, NOW + timedelta(seconds=59), POLICY)
    assert domain.interrupted(sending, NOW + timedelta(seconds=60), POLICY)
    later = NOW + timedelta(seconds=60)
    retried, outcome = domain.attempt_failed(
        sending, "interrupted", later, POLICY, outcome="interrupted"
    )
    assert outcome == "retry"
    assert retried.attempts[-1].outcome == "interrupted"
    assert retried.message_id == sending.message_id


def test_a_receipt_makes_a_sent_delivery_delivered_once() -> None:
    sent = domain.attempt_succeeded(domain.begin_attempt(queued(), NOW), "ok", NOW)
    delivered = domain.acknowledge(sent, "KVIT-1", NOW, NOW)
    assert (delivered.status, delivered.receipt) == ("delivered", "KVIT-1")
    assert domain.acknowledge(delivered, "KVIT-2", NOW, NOW).receipt == "KVIT-1"
    with pytest.raises(IllegalTransition):
        domain.acknowledge(queued(), "KVIT-1", NOW, NOW)


def test_team_support_retries_a_failed_delivery_from_its_first_channel() -> None:
    delivery, at = queued(), NOW
    while delivery.status != "failed":
        delivery, _ = fail(delivery, at)
        at = delivery.next_attempt_at
    later = NOW + timedelta(days=3)
    again = domain.requeue(delivery, later)
    assert (again.status, again.channel, again.tries_on_channel) == ("queued", "email", 0)
    assert again.send_by > later
    with pytest.raises(IllegalTransition):
        domain.requeue(again, later)
