"""Detects that the broker came back without its data (the embedded broker keeps it in memory)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from services.kernel.kafka import kafka_client_options
from services.kernel.settings import Settings
from services.kernel.topics import ensure_topics

log = logging.getLogger(__name__)


class BrokerSentinel:
    """A marker topic only this component creates: if it is gone, so is everything else.

    On first check, and whenever the marker is missing, the owned topics are (re)created with
    their partition counts, the marker is created, and the caller is told the broker lost data.
    In production mode the cluster owns the topics and keeps its data: it never says so.
    """

    def __init__(self, settings: Settings, name: str, owned_topics: list[str]) -> None:
        self.settings = settings
        self.marker = f"vias._sentinel.{name}"
        self.owned_topics = owned_topics
        self._admin: AIOKafkaAdminClient | None = None
        self._next_check = 0.0
        self._soon = asyncio.Event()

    async def _client(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = AIOKafkaAdminClient(**kafka_client_options(self.settings))
            await admin.start()
            self._admin = admin
        return self._admin

    async def close(self) -> None:
        """Release the admin connection."""
        if self._admin is not None:
            await self._admin.close()
            self._admin = None

    async def ensure(self, topics: list[str]) -> None:
        """Create these topics if they are missing, with the configured partition count, and
        own them from now on (recreated like the others after a data loss)."""
        try:
            admin = await self._client()
            await ensure_topics(self.settings, topics, admin=admin)
        except KafkaError:
            await self.close()
            raise
        self.owned_topics.extend(t for t in topics if t not in self.owned_topics)

    def check_soon(self) -> None:
        """Check at the next call, not after the interval: the broker was unreachable."""
        self._next_check = 0.0
        self._soon.set()

    async def wait_until_due(self) -> None:
        """Sleep until the next check is due, or until someone asks for one sooner."""
        delay = self.seconds_to_next_check()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._soon.wait(), delay)
        self._soon.clear()

    def note_topics(self, topics: set[str]) -> None:
        """Someone listed the broker's topics: without the marker among them, check at once."""
        if self.marker not in topics:
            self.check_soon()

    def seconds_to_next_check(self) -> float:
        """How long until the next call checks the broker."""
        return self._next_check - asyncio.get_running_loop().time()

    async def broker_lost_data(self) -> bool:
        """True once after the marker was found missing and the topics were recreated."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._next_check:
            return False
        if self.settings.production_mode:
            self._next_check = loop.time() + self.settings.broker_check_interval_s
            return False
        try:
            admin = await self._client()
            present = self.marker in set(await admin.list_topics())
            if present:
                self._next_check = loop.time() + self.settings.broker_check_interval_s
                return False
            await ensure_topics(self.settings, self.owned_topics, admin=admin)
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(self.marker, 1, self.settings.kafka_replication_factor)]
                )
        except KafkaError:
            await self.close()
            raise
        self._next_check = loop.time() + self.settings.broker_check_interval_s
        log.info("broker had no marker %s: it is new or lost its data", self.marker)
        return True
