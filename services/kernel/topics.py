"""The one topic naming scheme, and creating the topics with their partition counts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from services.kernel.kafka import kafka_client_options
from services.kernel.settings import SERVICE_NAMES, Settings

log = logging.getLogger(__name__)


def events_topic(service: str) -> str:
    """Topic carrying every event a service publishes; the key is the aggregate id."""
    return f"vias.{service}.events.v1"


def topic_producer(topic: str) -> str | None:
    """The service publishing an events topic, or None for any other topic."""
    parts = topic.split(".")
    if len(parts) == 4 and parts[0] == "vias" and parts[2] == "events":
        return parts[1]
    return None


def dead_letter_topic(group: str) -> str:
    """Topic receiving the messages a consumer group gave up on."""
    return f"{group}.dlq.v1"


def consumer_group(service: str) -> str:
    """The consumer group of a service; one per service, whatever it subscribes to."""
    return f"vias.{service}"


def platform_topics() -> list[str]:
    """Every topic the platform uses."""
    names = [events_topic(s) for s in SERVICE_NAMES]
    names += [dead_letter_topic(consumer_group(s)) for s in SERVICE_NAMES]
    return names


async def describe_topics(admin: AIOKafkaAdminClient, topics: Iterable[str]) -> dict[str, int]:
    """Partition count of each named topic that exists on the broker."""
    existing = set(await admin.list_topics()) & set(topics)
    if not existing:
        return {}
    described = await admin.describe_topics(sorted(existing))
    return {t["topic"]: len(t["partitions"]) for t in described if t["error_code"] == 0}


async def ensure_topics(
    settings: Settings,
    topics: Iterable[str] | None = None,
    *,
    admin: AIOKafkaAdminClient | None = None,
) -> list[str]:
    """Create missing topics with the configured partition count; recreate wrongly sized ones.

    A topic with the wrong partition count can only come from broker auto-creation after the
    broker lost its data, so it holds nothing the outbox cannot publish again. Only the owner
    of a topic (its publisher) calls this for it. Returns the (re)created topic names.
    In production mode it changes nothing and only reports what is missing or wrongly sized.
    """
    own_admin = admin is None
    if admin is None:
        admin = AIOKafkaAdminClient(**kafka_client_options(settings))
        await admin.start()
    try:
        wanted = sorted(set(topics) if topics is not None else platform_topics())
        partitions = settings.kafka_topic_partitions
        current = await describe_topics(admin, wanted)
        wrong = [t for t, n in current.items() if n != partitions]
        missing = [t for t in wanted if t not in current or t in wrong]
        if settings.production_mode:
            if missing:
                log.error(
                    "topics missing or not %d partitions (their KafkaTopic resources own them): %s",
                    partitions,
                    missing,
                )
            return []
        if wrong:
            log.warning("recreating topics with a wrong partition count: %s", wrong)
            await admin.delete_topics(wrong)
            await asyncio.sleep(0.2)
        if missing:
            new = [NewTopic(t, partitions, settings.kafka_replication_factor) for t in missing]
            try:
                await admin.create_topics(new)
            except TopicAlreadyExistsError:
                log.info("topics were created concurrently: %s", missing)
        return missing
    finally:
        if own_admin:
            await admin.close()
