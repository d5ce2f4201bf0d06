"""The AsyncAPI document of the code as it is: valid, complete, with producers and consumers."""

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from services.contracts.channel import Channel
from services.contracts.docs import catalog
from services.contracts.docs.asyncapi import Consumer, build, consumer_problems
from services.contracts.docs.catalog import ContractError, from_modules, is_event
from services.contracts.docs.publish import (
    asyncapi_errors,
    check,
    load_asyncapi_schema,
    unresolved_references,
)
from services.kernel.envelope import EventPayload
from services.platform import contract_docs

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCHEMA = load_asyncapi_schema(DOCS)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    sources = contract_docs.sources()
    return build(sources.catalog, sources.consumers, sources.servers)


def _events_in_contracts() -> list[type[EventPayload]]:
    found = []
    for module in catalog.contracts_modules():
        found += [
            v for v in vars(module).values() if is_event(v) and v.__module__ == module.__name__
        ]
    return found


def test_the_document_is_valid_asyncapi_3(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert asyncapi_errors(document, SCHEMA) == []
    assert unresolved_references(document) == []


def test_every_event_the_code_can_emit_is_a_message_on_its_producers_channels(
    document: dict[str, Any],
) -> None:
    events = _events_in_contracts()
    assert len(events) > 40
    assert catalog.undeclared_events(catalog.load()) == []
    for event in events:
        message = document["components"]["messages"][event.event_type]
        assert message["x-schema-version"] == event.schema_version
        carrying = [c for c in document["channels"].values() if event.event_type in c["messages"]]
        assert carrying, event
        assert {c["x-producer"] for c in carrying} == set(message["x-producers"]), event


def test_an_event_class_of_the_contracts_package_missing_from_the_catalog_is_named() -> None:
    empty = catalog.Catalog(events=(), channels=())
    assert "services.contracts.kas.KasRegistrationSaved" in catalog.undeclared_events(empty)


def test_every_topic_of_the_platform_is_a_channel(document: dict[str, Any]) -> None:
    addresses = {channel["address"] for channel in document["channels"].values()}
    services = ("intake", "visitation", "leverance", "documents", "notifications", "statistics")
    assert {f"vias.{s}.dlq.v1" for s in services} <= addresses
    assert {f"vias.{s}.events.v1" for s in services if s != "statistics"} <= addresses


def test_deadline_events_are_on_the_channel_of_each_service_owning_deadlines(
    document: dict[str, Any],
) -> None:
    message = document["components"]["messages"]["DeadlineSet"]
    assert message["x-producers"] == ["documents", "intake", "leverance", "visitation"]
    assert message["x-consumers"] == ["notifications", "statistics"]
    assert message["headers"]["allOf"][1]["properties"]["ce_source"] == {
        "enum": ["vias/documents", "vias/intake", "vias/leverance", "vias/visitation"]
    }
    for service in ("intake", "leverance", "visitation"):
        assert "DeadlineSet" in document["channels"][f"vias.{service}.events.v1"]["messages"]
        operation = document["operations"][f"notifications.receive.vias.{service}.events.v1"]
        assert {"$ref": f"#/channels/vias.{service}.events.v1/messages/DeadlineSet"} in operation[
            "messages"
        ]


def test_a_message_is_the_envelope_around_the_payload_keyed_by_the_subject(
    document: dict[str, Any],
) -> None:
    message = document["components"]["messages"]["InquiryLetterRequested"]
    envelope, specific = message["payload"]["allOf"]
    assert envelope == {"$ref": "#/components/schemas/Envelope"}
    assert specific["properties"]["type"] == {"const": "InquiryLetterRequested"}
    assert specific["properties"]["payload"] == {
        "$ref": "#/components/schemas/InquiryLetterRequested"
    }
    assert "{inquiry_id}/letter/{letter_kind}" in message["bindings"]["kafka"]["key"]["description"]
    assert message["x-consumers"] == ["documents", "notifications"]
    assert message["x-json-schema"] == "contracts/InquiryLetterRequested.v1.json"
    headers = document["components"]["schemas"]["CloudEventsHeaders"]
    assert {"ce_id", "ce_type", "ce_source", "ce_time", "ce_causationid", "event_type"} <= set(
        headers["properties"]
    )


def test_a_consumer_is_a_receive_operation_of_its_group(document: dict[str, Any]) -> None:
    operation = document["operations"]["visitation.receive.vias.intake.events.v1"]
    assert operation["action"] == "receive"
    assert operation["bindings"]["kafka"]["groupId"]["const"] == "vias.visitation"
    assert [m["$ref"].rsplit("/", 1)[1] for m in operation["messages"]] == [
        "InquiryAssigned",
        "InquiryConsentWithdrawn",
    ]
    consumers = document["components"]["messages"]["InquiryAssigned"]["x-consumers"]
    assert consumers == ["statistics", "visitation"]


def test_every_handled_event_is_a_contract_on_a_subscribed_channel() -> None:
    sources = contract_docs.sources()
    assert consumer_problems(sources.catalog, sources.consumers) == []
    wrong = Consumer("intake", ("vias.visitation.events.v1",), frozenset({"CourseClosed", "Nope"}))
    assert consumer_problems(sources.catalog, [wrong]) == [
        "intake handles CourseClosed but subscribes to none of its channels "
        "(vias.leverance.events.v1)",
        "intake handles Nope, which no contract defines",
    ]


def test_the_committed_documents_are_current_valid_and_compatible() -> None:
    assert check(DOCS, contract_docs.sources(), SCHEMA) == []


class FeedItemPublished(EventPayload):
    """A made-up event on a topic per supplier."""

    event_type = "FeedItemPublished"

    supplier_id: str
    item_id: str

    def subject(self) -> str:
        return self.item_id


def test_a_channel_template_becomes_a_parameterised_channel() -> None:
    feed = ModuleType("tests.made_up_feed")
    feed.CHANNELS = (  # type: ignore[attr-defined]
        Channel(
            address="vias.supplier.{supplier_id}.v1",
            producer="leverance",
            description="Each supplier's feed.",
            parameters={"supplier_id": "The supplier the feed is for."},
        ),
    )
    feed.FeedItemPublished = FeedItemPublished  # type: ignore[attr-defined]
    FeedItemPublished.__module__ = feed.__name__
    reader = Consumer("visitation", ("vias.supplier.s-17.v1",), frozenset({"FeedItemPublished"}))

    document = build(from_modules([feed]), [reader], {})

    channel = document["channels"]["vias.supplier.supplier_id.v1"]
    assert channel["address"] == "vias.supplier.{supplier_id}.v1"
    assert channel["parameters"] == {
        "supplier_id": {"description": "The supplier the feed is for."}
    }
    assert "visitation.receive.vias.supplier.supplier_id.v1" in document["operations"]
    assert asyncapi_errors(document, SCHEMA) == []


def test_a_channel_names_exactly_the_parameters_of_its_address() -> None:
    with pytest.raises(ValueError, match="parameters"):
        Channel(address="vias.supplier.{supplier_id}.v1", producer="leverance")
    with pytest.raises(ValueError, match="parameters"):
        Channel(address="vias.intake.events.v1", producer="intake", parameters={"x": "y"})
    template = Channel(
        "vias.supplier.{supplier_id}.v1", "leverance", parameters={"supplier_id": ""}
    )
    assert template.matches("vias.supplier.s-1.v1")
    assert template.matches("vias.supplier.{supplier_id}.v1")
    assert not template.matches("vias.supplier.s.1.v1")


def test_a_module_with_events_but_no_channels_is_refused() -> None:
    module = ModuleType("tests.made_up_without_channels")
    module.FeedItemPublished = FeedItemPublished  # type: ignore[attr-defined]
    FeedItemPublished.__module__ = module.__name__
    with pytest.raises(ContractError, match="defines events but no CHANNELS"):
        from_modules([module])


def test_the_supplier_feed_is_one_parameterised_channel_notifications_publishes(
    document: dict[str, Any],
) -> None:
    (feed,) = [c for c in document["channels"].values() if "supplier" in c["address"]]
    assert feed["address"] == "vias.supplier.{supplier_id}.v1"
    assert feed["x-producer"] == "notifications"
    assert set(feed["parameters"]) == {"supplier_id"}
    assert {"OfferReceived", "CaseHandedOver", "SettlementIssued"} <= set(feed["messages"])
