import pytest

from services.kernel.settings import SERVICE_NAMES, Settings
from services.kernel.topics import consumer_group, dead_letter_topic, events_topic, platform_topics


def test_one_naming_scheme_for_events_groups_and_dead_letters() -> None:
    assert events_topic("intake") == "vias.intake.events.v1"
    assert consumer_group("visitation") == "vias.visitation"
    assert dead_letter_topic(consumer_group("visitation")) == "vias.visitation.dlq.v1"


def test_platform_topics_cover_every_service_once() -> None:
    topics = platform_topics()
    assert len(topics) == len(set(topics)) == 2 * len(SERVICE_NAMES)


def test_settings_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIAS_KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    monkeypatch.setenv("VIAS_GRPC_PORT", "6000")
    settings = Settings()
    assert settings.kafka_bootstrap_servers == "k1:9092,k2:9092"
    assert settings.grpc_port_for("intake") == 6000
    monkeypatch.delenv("VIAS_GRPC_PORT")
    assert Settings().grpc_port_for("notifications") == 50055
