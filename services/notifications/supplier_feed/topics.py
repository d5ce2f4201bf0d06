"""The suppliers' feed topics: created when notifications first hears of a supplier, and again
whenever one is missing from the broker.

Notifications publishes each feed topic, so it creates it, explicitly (brokers need not create
topics on first use, and Apache Kafka in production does not): when a supplier's profile first
arrives, before any of its feed events is stored; and, for the suppliers it has recorded, every
health-check interval when a feed topic is missing (the broker lost its data, or someone deleted
the topic). A failed creation is logged and tried again at the next check. Only topics missing
from the broker are created; an existing one is never recreated.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient

from services.contracts.supplier_feed import feed_topic
from services.kernel.kafka import kafka_client_options
from services.kernel.settings import Settings
from services.kernel.store import MongoStore, Transaction
from services.kernel.topics import ensure_topics

log = logging.getLogger(__name__)

FEED_SUPPLIERS = "feed_suppliers"
"""One document per supplier notifications has heard of: `_id` the supplier id, `topic`."""
CREATE_TIMEOUT_S = 5.0
CHECK_TIMEOUT_S = 30.0


class FeedTopics:
    """Makes sure each supplier's feed topic exists before its events are published."""

    def __init__(self, settings: Settings, store: MongoStore) -> None:
        self.settings = settings
        self.store = store
        self._exists: set[str] = set()
        """Topics this process created or found: used without asking the broker."""
        self._known: set[str] = set()
        """Every supplier's topic this process heard of: kept in existence by `keep`."""
        self._admin: AIOKafkaAdminClient | None = None
        self._lock = asyncio.Lock()

    async def ready(self, tx: Transaction, supplier_id: str) -> str:
        """The supplier's feed topic, created first if this process has not made sure of it
        yet; the supplier is then recorded in the transaction, for every replica's `keep`."""
        topic = feed_topic(supplier_id)
        if topic in self._exists:
            return topic
        self._known.add(topic)
        try:
            await asyncio.wait_for(self._create_missing([topic]), CREATE_TIMEOUT_S)
        except Exception as error:  # `keep` creates it; the relay waits for it meanwhile
            log.warning("could not create the feed topic %s now: %r", topic, error)
            await self.close()
        tx.update(FEED_SUPPLIERS, {"_id": supplier_id}, {"$set": {"topic": topic}}, upsert=True)
        return topic

    async def keep(self) -> None:
        """Create any missing feed topic of a recorded supplier, every health-check interval;
        the recorded suppliers are read again every broker-check interval."""
        loop = asyncio.get_running_loop()
        next_read = loop.time()
        try:
            while True:
                try:
                    if loop.time() >= next_read:
                        await self._read_known()
                        next_read = loop.time() + self.settings.broker_check_interval_s
                    await asyncio.wait_for(self._create_missing(self._known), CHECK_TIMEOUT_S)
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    log.warning("checking the feed topics failed: %r", error)
                    await self.close()
                await asyncio.sleep(self.settings.health_check_interval_s)
        finally:
            await self.close()

    async def close(self) -> None:
        """Release the admin connection; the next use opens another."""
        admin, self._admin = self._admin, None
        if admin is not None:
            await admin.close()

    async def _read_known(self) -> None:
        found = self.store.db[FEED_SUPPLIERS].find({}, {"topic": 1})
        self._known.update([doc["topic"] async for doc in found])

    async def _create_missing(self, topics: Iterable[str]) -> None:
        wanted = set(topics)
        if not wanted:
            return
        async with self._lock:
            if self._admin is None:
                admin = AIOKafkaAdminClient(**kafka_client_options(self.settings))
                try:
                    await admin.start()
                except BaseException:
                    await admin.close()
                    raise
                self._admin = admin
            missing = sorted(wanted - set(await self._admin.list_topics()))
            if missing:
                await ensure_topics(self.settings, missing, admin=self._admin)
                log.info("created the feed topics %s", ", ".join(missing))
        self._exists.update(wanted)
