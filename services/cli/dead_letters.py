"""`vias dead-letters list|show|replay`: the events a consumer group gave up on, for operators.

Letters are read from each group's dead-letter topic (`vias.<service>.dlq.v1`). A replay, after
the cause is fixed, removes the group's inbox mark of that dead-lettered event (only a mark
made by dead-lettering) and publishes the original record to its original topic again; the
consumer then applies it like any event. Replaying an event that was applied since finds no
such mark and does nothing: the inbox keeps the effect single.
"""

from __future__ import annotations

import argparse
import base64
import json
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pymongo import AsyncMongoClient

from services.kernel.kafka import kafka_client_options
from services.kernel.settings import SERVICE_NAMES, Settings
from services.kernel.store import INBOX
from services.kernel.topics import consumer_group, dead_letter_topic


def _groups(group: str | None) -> list[str]:
    return [group] if group else [consumer_group(s) for s in SERVICE_NAMES]


async def read_letters(settings: Settings, groups: list[str]) -> list[dict[str, Any]]:
    """Every retained dead letter of the groups, oldest first per group."""
    consumer = AIOKafkaConsumer(**kafka_client_options(settings), enable_auto_commit=False)
    await consumer.start()
    letters: list[dict[str, Any]] = []
    try:
        existing = await consumer.topics()
        for group in groups:
            topic = dead_letter_topic(group)
            if topic not in existing:
                continue
            partitions = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            remaining = {tp for tp in partitions if ends[tp] > 0}
            while remaining:
                batch = await consumer.getmany(*remaining, timeout_ms=1000)
                if not batch:
                    break
                for tp, records in batch.items():
                    for record in records:
                        key = (record.key or b"").decode(errors="replace")
                        letters.append({**json.loads(record.value), "key": key})
                    if await consumer.position(tp) >= ends[tp]:
                        remaining.discard(tp)
    finally:
        await consumer.stop()
    return letters


def summary(letter: dict[str, Any]) -> dict[str, Any]:
    """A letter without the record's bytes."""
    return {k: v for k, v in letter.items() if k != "value_base64"}


async def list_letters(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The retained dead letters (without the records)."""
    letters = await read_letters(Settings(), _groups(args.group))
    return [summary(letter) for letter in letters]


async def _find(settings: Settings, event_id: str, group: str | None) -> dict[str, Any]:
    found = [
        letter
        for letter in await read_letters(settings, _groups(group))
        if letter.get("event_id") == event_id
    ]
    if not found:
        raise SystemExit(f"vias dead-letters: no dead letter of event {event_id}")
    return found[-1]


async def show(args: argparse.Namespace) -> dict[str, Any]:
    """One letter with the original record decoded."""
    letter = await _find(Settings(), args.event_id, args.group)
    value = base64.b64decode(letter["value_base64"])
    try:
        record: Any = json.loads(value)
    except ValueError:
        record = value.decode(errors="replace")
    return {**summary(letter), "record": record}


async def replay(args: argparse.Namespace) -> dict[str, Any]:
    """Deliver a dead-lettered event to its group again, once."""
    settings = Settings()
    letter = await _find(settings, args.event_id, args.group)
    group = letter["group"]
    service = group.split(".", 1)[1]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_uri)
    try:
        inbox = client[settings.database_name(service)][INBOX]
        mark = {"_id": f"{group}:{letter['event_id']}", "dead_lettered": True}
        removed = (await inbox.delete_one(mark)).deleted_count
    finally:
        await client.close()
    if not removed:
        return {"replayed": False, "reason": "no dead-letter mark: applied since, or replayed"}
    producer = AIOKafkaProducer(**kafka_client_options(settings), acks="all")
    await producer.start()
    try:
        key = letter.get("key")
        await producer.send_and_wait(
            letter["topic"],
            base64.b64decode(letter["value_base64"]),
            key=key.encode() if isinstance(key, str) and key else None,
        )
    finally:
        await producer.stop()
    return {"replayed": True, "group": group, "topic": letter["topic"], **summary(letter)}


def add_commands(sub: Any) -> None:
    """The dead-letter commands (operators; they use the broker and database settings)."""
    letters = sub.add_parser("dead-letters", help="list, inspect and replay dead letters")
    actions = letters.add_subparsers(dest="action", required=True)
    listed = actions.add_parser("list", help="every retained dead letter")
    listed.add_argument("--group", help="one consumer group, e.g. vias.documents")
    listed.set_defaults(run=list_letters)
    shown = actions.add_parser("show", help="one letter with its record decoded")
    shown.add_argument("event_id")
    shown.add_argument("--group")
    shown.set_defaults(run=show)
    again = actions.add_parser("replay", help="deliver the event to its group again, once")
    again.add_argument("event_id")
    again.add_argument("--group")
    again.set_defaults(run=replay)
