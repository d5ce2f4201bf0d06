"""A use case's buffered writes against the real database: grouped, read back, all or nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from services.kernel.consumer import EventConsumer, Record
from services.kernel.envelope import Envelope, new_id
from services.kernel.errors import ConcurrencyConflict
from services.kernel.metrics import Metrics
from services.kernel.store import INBOX, OUTBOX, AlreadyProcessed, MongoStore, Transaction
from services.platform.infra import Platform
from tests.integration.test_relay import Counted

Doc = dict[str, Any]


class WriteCommands(monitoring.CommandListener):
    """Counts the write commands sent, by command name and collection."""

    def __init__(self) -> None:
        self.sent: Counter[tuple[str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("insert", "update", "delete"):
            self.sent[(event.command_name, str(event.command[event.command_name]))] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


@pytest.fixture
async def scratch(platform: Platform) -> AsyncIterator[tuple[MongoStore, WriteCommands]]:
    """A throwaway service database whose write commands are counted."""
    commands = WriteCommands()
    client: AsyncMongoClient[Doc] = AsyncMongoClient(
        platform.mongo_uri, tz_aware=True, event_listeners=[commands]
    )
    source = f"txtest{new_id()[:8]}"
    store = MongoStore(client, platform.settings.database_name(source), source)
    await store.ensure_indexes()
    commands.sent.clear()
    try:
        yield store, commands
    finally:
        await client.drop_database(store.db.name)
        await client.close()


async def test_a_use_case_writing_many_documents_sends_one_insert_per_collection(
    scratch: tuple[MongoStore, WriteCommands],
) -> None:
    store, commands = scratch

    async def work(tx: Transaction) -> None:
        for number in range(5):
            tx.insert("letters", {"_id": f"letter-{number}"})
            tx.insert("notices", {"_id": f"notice-{number}"})
            store.mark_processed(tx, "group", f"event-{number}")

    await store.transact(work)
    assert commands.sent == {
        ("insert", INBOX): 1,
        ("insert", "letters"): 1,
        ("insert", "notices"): 1,
    }
    assert await store.db.letters.count_documents({}) == 5
    assert await store.db.notices.count_documents({}) == 5
    assert await store.db[INBOX].count_documents({}) == 5


async def test_a_read_inside_the_use_case_sees_its_own_buffered_writes(
    scratch: tuple[MongoStore, WriteCommands],
) -> None:
    store, _ = scratch

    async def work(tx: Transaction) -> tuple[Doc | None, list[Doc]]:
        tx.insert("cases", {"_id": "case-1", "state": "open"})
        tx.update("cases", {"_id": "case-1"}, {"$set": {"state": "closed"}})
        return await tx.find_one("cases", {"_id": "case-1"}), await tx.find("cases", {})

    one, every = await store.transact(work)
    assert one == {"_id": "case-1", "state": "closed"}
    assert every == [{"_id": "case-1", "state": "closed"}]


async def test_insert_if_absent_keeps_what_is_there_and_the_first_of_twins(
    scratch: tuple[MongoStore, WriteCommands],
) -> None:
    store, commands = scratch
    await store.db.journal.insert_one({"_id": "kept", "text": "original"})
    commands.sent.clear()

    async def work(tx: Transaction) -> None:
        tx.insert_if_absent("journal", {"_id": "kept", "text": "again"})
        tx.insert_if_absent("journal", {"_id": "new", "text": "first"})
        tx.insert_if_absent("journal", {"_id": "new", "text": "twin"}, {"_id": "other"})

    await store.transact(work)
    stored = {doc["_id"]: doc.get("text") async for doc in store.db.journal.find({})}
    assert stored == {"kept": "original", "new": "first", "other": None}
    assert commands.sent == {("insert", "journal"): 1}


async def test_a_stale_guarded_write_fails_the_whole_use_case(
    scratch: tuple[MongoStore, WriteCommands],
) -> None:
    store, _ = scratch
    await store.db.cases.insert_one({"_id": "case-1", "version": 2})

    async def work(tx: Transaction) -> None:
        tx.insert("letters", {"_id": "letter-1"})
        tx.replace(
            "cases",
            {"_id": "case-1", "version": 1},
            {"version": 2, "state": "stale"},
            conflict=ConcurrencyConflict("case", "case-1", 1),
        )

    with pytest.raises(ConcurrencyConflict):
        await store.transact(work)
    assert await store.db.letters.count_documents({}) == 0
    assert await store.db.cases.find_one({"_id": "case-1"}) == {"_id": "case-1", "version": 2}
    assert await store.db[OUTBOX].count_documents({}) == 0


async def test_an_event_processed_before_fails_the_use_case_as_already_processed(
    scratch: tuple[MongoStore, WriteCommands],
) -> None:
    store, _ = scratch

    async def work(tx: Transaction) -> None:
        store.mark_processed(tx, "group", "event-1")
        tx.insert("letters", {"_id": new_id()})

    await store.transact(work)
    with pytest.raises(AlreadyProcessed):
        await store.transact(work)
    assert await store.db.letters.count_documents({}) == 1
    assert await store.db[INBOX].count_documents({}) == 1


async def test_a_handler_failing_on_an_event_it_already_applied_counts_as_a_duplicate(
    platform: Platform, scratch: tuple[MongoStore, WriteCommands]
) -> None:
    store, _ = scratch
    applied: list[str] = []

    async def handler(tx: Transaction, envelope: Envelope) -> None:
        if applied:  # its effect is there already, and it refuses without reading anything
            raise ValueError("already opened")
        applied.append(envelope.event_id)
        tx.insert("cases", {"_id": envelope.subject})

    consumer = EventConsumer(
        group="txtest",
        store=store,
        handlers={"Counted": handler},
        settings=platform.settings,
        metrics=Metrics(store.source),
    )
    event = Envelope.wrap(
        Counted(aggregate="case-1", number=1), source="test", correlation_id="c", causation_id=None
    )
    record = Record("topic", 0, 0, b"case-1", event.model_dump_json().encode())
    assert await consumer.process(record) == "processed"
    assert await consumer.process(record) == "duplicate"
    assert await store.db.cases.count_documents({}) == 1
    assert await store.db[OUTBOX].count_documents({}) == 0


async def test_ensure_indexes_leaves_the_outbox_one_index_and_drops_the_legacy_one(
    scratch: tuple[MongoStore, WriteCommands],
) -> None:
    store, _ = scratch
    outbox = store.db[OUTBOX]
    await outbox.create_index("seq")  # as versions before this one did

    await store.ensure_indexes()
    await store.ensure_indexes()  # and again, with nothing left to drop

    keys = {name: info["key"] for name, info in (await outbox.index_information()).items()}
    assert keys == {"_id_": [("_id", 1)], "published_at_1_seq_1": [("published_at", 1), ("seq", 1)]}
