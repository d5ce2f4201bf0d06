"""A Kafka producer lives no longer than its connection to the broker it started with."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaProducer
from aiokafka.conn import CloseReason
from aiokafka.errors import KafkaConnectionError

log = logging.getLogger(__name__)

DISCARD_TIMEOUT_S = 5.0


async def discard_producer(producer: AIOKafkaProducer) -> None:
    """Close a producer now, dropping what it has not delivered.

    `AIOKafkaProducer.stop()` first waits to deliver every queued batch; after a broker loss
    that wait may outlast any timeout, and a producer abandoned in it reconnects when the broker
    returns and writes its stale batches beside the producer that replaced it. Here its sending
    task is cancelled and its connections are closed first, so no request can leave it, then
    every batch it still holds fails (the senders' futures see the error) and is forgotten.
    aiokafka has no public call for this; tests/integration/test_relay.py reproduces the
    collision it prevents, so an aiokafka upgrade that breaks it fails there.
    """
    producer._closed = True  # refuses further sends
    sender = producer._sender
    task = sender.sender_task if sender is not None else None
    if task is not None and not task.done():
        task.cancel()
    await _close_connections(producer)
    if task is not None:
        await asyncio.wait({task}, timeout=DISCARD_TIMEOUT_S)
    accumulator = producer._message_accumulator
    accumulator.fail_all(KafkaConnectionError("producer discarded"))
    accumulator._batches.clear()
    accumulator._closed = True
    # A request that was only starting as the sending task ended may have connected again.
    await _close_connections(producer)
    log.debug("producer discarded")


async def _close_connections(producer: AIOKafkaProducer) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(producer.client.close(), DISCARD_TIMEOUT_S)


def on_connection_lost(producer: AIOKafkaProducer, lost: Callable[[], None]) -> None:
    """Call `lost` whenever a connection of the producer breaks (not when it is closed on
    purpose); install before the producer starts.

    A producer left running through a broker outage retries its batches when the broker
    returns, while that broker, come back empty, may be recreating the very topic: the embedded
    broker can then forget records it acknowledged. The relay discards a producer as soon as
    its connection breaks instead, and sends again only after it has recreated its topics.
    aiokafka offers no public hook for this; the tests around a broker loss rely on it.
    """
    client = producer.client
    original = client._on_connection_closed

    def closed(conn: object, reason: object) -> None:
        original(conn, reason)
        if reason in (CloseReason.CONNECTION_BROKEN, CloseReason.CONNECTION_TIMEOUT):
            lost()

    client._on_connection_closed = closed
