"""`vias feed --supplier ID`: follow one supplier's event feed, one JSON line per event.

A plain aiokafka consumer, written as the starting point of a supplier's own subscriber: it
needs only the topic name (`vias.supplier.<supplier id>.v1`), the broker's address and the
supplier's Kafka credentials (`VIAS_KAFKA_*`, as the services read them). Events may arrive more
than once: a subscriber that acts on them deduplicates on `event_id`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from services.contracts.supplier_feed import feed_prefix, feed_topic
from services.kernel.kafka import kafka_client_options
from services.kernel.settings import Settings


def event_line(record: ConsumerRecord[bytes, bytes]) -> str:
    """One event as a JSON line: its type, subject (the Kafka key), time, id and payload."""
    envelope: dict[str, Any] = json.loads(record.value)
    return json.dumps(
        {
            "type": envelope.get("type"),
            "subject": envelope.get("subject"),
            "occurred_at": envelope.get("occurred_at"),
            "event_id": envelope.get("event_id"),
            "payload": envelope.get("payload"),
        },
        ensure_ascii=False,
    )


async def follow(args: argparse.Namespace) -> int:
    """Print the supplier's events as they come, until interrupted (or `--max-events`)."""
    topic = feed_topic(args.supplier)
    group = args.group or f"{feed_prefix(args.supplier)}cli"
    if args.names:
        names = {"topic": topic, "prefix": feed_prefix(args.supplier), "group": group}
        print(json.dumps(names, ensure_ascii=False))
        return 0
    options = kafka_client_options(Settings())
    if args.from_beginning:  # no group: every partition from its first retained event
        consumer = AIOKafkaConsumer(**options, auto_offset_reset="earliest")
    else:
        consumer = AIOKafkaConsumer(**options, group_id=group, auto_offset_reset="latest")
    await consumer.start()
    try:
        if topic not in await consumer.topics():
            print(f"vias feed: no topic {topic} (is the supplier known?)", file=sys.stderr)
            return 1
        consumer.subscribe([topic])
        printed = 0
        async for record in consumer:
            print(event_line(record), flush=True)
            printed += 1
            if args.max_events and printed >= args.max_events:
                break
    finally:
        await consumer.stop()
    return 0


def add_commands(sub: Any) -> None:
    """The `feed` command."""
    feed = sub.add_parser(
        "feed",
        help="follow a supplier's event feed (Kafka), one JSON line per event",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    feed.add_argument("--supplier", required=True, help="the supplier id")
    feed.add_argument(
        "--from-beginning",
        action="store_true",
        help="replay every retained event (no consumer group, no offsets committed)",
    )
    feed.add_argument(
        "--group",
        help="consumer group; must start with vias.supplier.<supplier id>. "
        "(default: vias.supplier.<supplier id>.cli)",
    )
    feed.add_argument("--max-events", type=int, default=0, help="stop after this many")
    feed.add_argument(
        "--names",
        action="store_true",
        help="print the feed's topic, the prefix the supplier's Kafka user may read (topics "
        "and groups) and the default group, then exit (no broker needed)",
    )
