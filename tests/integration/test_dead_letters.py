"""Dead letters for operators: `vias dead-letters` lists a letter, shows its record, and replays
it once: the consumer handles the event again; a second replay finds no dead-letter mark and
does nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.topics import events_topic
from tests.support import Clients, eventually, produce, vias_command


def _run(clients: Clients, *args: str) -> Any:
    done = vias_command(clients.platform, "dead-letters", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_a_dead_letter_is_listed_shown_and_replayed_once(clients: Clients) -> None:
    event_id = new_id()
    broken = Envelope(
        event_id=event_id,
        type="InquiryRegistered",
        schema_version=99,  # a major version documents does not know: dead-lettered at once
        source="intake",
        subject=new_id(),
        occurred_at=utcnow(),
        correlation_id=new_id(),
        payload={"inquiry_id": new_id()},
    )
    await produce(
        clients.platform, events_topic("intake"), broken.subject, broken.model_dump_json().encode()
    )
    group = "vias.documents"

    async def letters() -> list[dict[str, Any]]:
        found = await asyncio.to_thread(_run, clients, "list", "--group", group)
        return [letter for letter in found if letter["event_id"] == event_id]

    [letter] = await eventually(letters, timeout=60)
    assert "schema_version 99" in letter["error"] and "value_base64" not in letter
    shown = await asyncio.to_thread(_run, clients, "show", event_id, "--group", group)
    assert shown["record"]["event_id"] == event_id

    replayed = await asyncio.to_thread(_run, clients, "replay", event_id, "--group", group)
    assert replayed["replayed"] is True and replayed["topic"] == events_topic("intake")

    async def handled_again() -> bool:
        return len(await letters()) == 2  # the unknown version is dead-lettered once more

    await eventually(handled_again, timeout=60)
    inbox = clients.db("documents").inbox
    mark = await inbox.find_one({"_id": f"{group}:{event_id}"})
    assert mark is not None and mark.get("dead_lettered") is True
    # The mark of the first letter is gone; a replay of an event applied since finds none.
    await inbox.update_one({"_id": f"{group}:{event_id}"}, {"$unset": {"dead_lettered": ""}})
    again = await asyncio.to_thread(_run, clients, "replay", event_id, "--group", group)
    assert again["replayed"] is False
