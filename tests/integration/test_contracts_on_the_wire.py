"""Events on the wire: tolerant readers, major versions, CloudEvents headers any SDK reads."""

from __future__ import annotations

import json
from typing import Any

from cloudevents.v1.kafka import KafkaMessage, from_binary

from services.contracts.intake import InquiryAssigned
from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.topics import consumer_group, dead_letter_topic, events_topic
from services.platform.infra import Platform
from tests.integration.test_reliability import count, settled_count
from tests.integration.test_walking_skeleton import case_of
from tests.support import Clients, eventually, produce, read_topic


def assignment(inquiry_id: str) -> Envelope:
    """An assignment as intake publishes it, for an inquiry only this test uses."""
    assigned = InquiryAssigned.model_validate(
        {
            "inquiry_id": inquiry_id,
            "consultant_id": "consultant-wire",
            "distributed_on": "2026-04-01",
            "assigned_at": utcnow(),
            "assigned_by": "support-1",
            "main_area": "adults",
        }
    )
    return Envelope.wrap(assigned, source="intake", correlation_id=new_id(), causation_id=None)


async def letters_for(
    platform: Platform, key: str, service: str = "visitation"
) -> list[dict[str, Any]]:
    records = await read_topic(platform, dead_letter_topic(consumer_group(service)))
    return [json.loads(r.value) for r in records if r.key == key.encode()]


async def test_an_event_with_an_added_optional_field_has_exactly_one_effect_and_no_dead_letter(
    clients: Clients, platform: Platform
) -> None:
    # A producer one release ahead added an optional field, at the top and inside a list.
    inquiry_id = f"newer-{new_id()}"
    envelope = assignment(inquiry_id)
    payload = envelope.payload | {"priority_hint": "high", "tags": ["x"]}
    newer = envelope.model_copy(update={"payload": payload})
    await produce(platform, events_topic("intake"), inquiry_id, newer.to_bytes())

    case = await case_of(clients, inquiry_id)
    assert case.consultant_id == "consultant-wire"
    opened = {"inquiry_id": inquiry_id}
    assert await settled_count(clients, "visitation", "cases", opened, 1) == 1
    for service in ("visitation", "notifications", "documents"):  # every group that reads it
        assert await letters_for(platform, inquiry_id, service) == [], service
    inbox = {"_id": f"{consumer_group('visitation')}:{newer.event_id}"}
    assert await count(clients, "visitation", "inbox", inbox) == 1


async def test_an_event_in_a_major_version_the_consumer_does_not_know_is_dead_lettered(
    clients: Clients, platform: Platform
) -> None:
    inquiry_id = f"v2-{new_id()}"
    envelope = assignment(inquiry_id).model_copy(update={"schema_version": 2})
    await produce(platform, events_topic("intake"), inquiry_id, envelope.to_bytes())

    async def dead_letter() -> list[dict[str, Any]]:
        return await letters_for(platform, inquiry_id)

    (letter,) = await eventually(dead_letter)
    assert letter["event_id"] == envelope.event_id
    assert letter["attempts"] == 1, "retrying cannot make a version readable"
    assert "schema_version 2" in letter["error"]
    assert await count(clients, "visitation", "cases", {"inquiry_id": inquiry_id}) == 0


async def test_every_record_carries_cloudevents_headers_that_an_sdk_reads(
    clients: Clients, platform: Platform
) -> None:
    inquiry = await clients.register()
    row = await clients.db("intake").outbox.find_one(
        {"key": inquiry.inquiry_id, "type": "InquiryRegistered"}
    )
    assert row is not None
    sent = Envelope.model_validate_json(row["value"])

    async def on_the_topic() -> Any:
        records = await read_topic(platform, events_topic("intake"))
        return next((r for r in records if r.key == inquiry.inquiry_id.encode()), None)

    record = await eventually(on_the_topic)
    event = from_binary(
        KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
    )
    assert event["specversion"] == "1.0"
    assert event["id"] == sent.event_id
    assert event["type"] == "InquiryRegistered"
    assert event["source"] == "vias/intake"
    assert event["subject"] == inquiry.inquiry_id
    assert event["correlationid"] == sent.correlation_id
    assert event["datacontenttype"] == "application/json"
    assert event.data["event_id"] == sent.event_id
    assert event.data["payload"]["inquiry_id"] == inquiry.inquiry_id
