"""The Kubernetes manifests hold to the code: probes, Kafka ACLs, partitions and autoscaling."""

from __future__ import annotations

from functools import cache
from typing import Any

from services.documents.main import SPEC as DOCUMENTS
from services.identity.main import SPEC as IDENTITY
from services.intake.main import SPEC as INTAKE
from services.kernel.grpc_server import LIVENESS
from services.kernel.topics import consumer_group, dead_letter_topic, events_topic
from services.leverance.main import SPEC as LEVERANCE
from services.notifications.main import SPEC as NOTIFICATIONS
from services.platform.manifests import KUBERNETES, render
from services.visitation.main import SPEC as VISITATION

SPECS = (INTAKE, VISITATION, LEVERANCE, DOCUMENTS, NOTIFICATIONS, IDENTITY)


@cache
def prod() -> list[dict[str, Any]]:
    return render(KUBERNETES / "overlays" / "prod")


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in prod() if d["kind"] == kind}


def test_liveness_asks_only_whether_the_process_answers_and_readiness_is_the_health() -> None:
    for deployment in of_kind("Deployment").values():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["grpc"]["service"] == LIVENESS
        assert "service" not in container["readinessProbe"]["grpc"]


def test_each_service_runs_its_own_module_as_its_own_users() -> None:
    deployments = of_kind("Deployment")
    for spec in SPECS:
        container = deployments[f"vias-{spec.name}"]["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e for e in container["env"]}
        assert container["args"] == [f"services.{spec.name}"]
        assert env["VIAS_KAFKA_SASL_USERNAME"]["value"] == f"vias-{spec.name}"
        secret = env["VIAS_MONGO_URI"]["valueFrom"]["secretKeyRef"]["name"]
        assert secret == f"vias-mongodb-{spec.name}"
        client = env["VIAS_AUTH_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]["name"]
        assert client == f"vias-oidc-{spec.name}"


def test_kafka_users_may_do_exactly_what_the_code_does() -> None:
    users = of_kind("KafkaUser")
    for spec in SPECS:
        granted = {
            (acl["resource"]["type"], acl["resource"].get("name"), op)
            for acl in users[f"vias-{spec.name}"]["spec"]["authorization"]["acls"]
            for op in acl["operations"]
        }
        own = [events_topic(spec.name), dead_letter_topic(consumer_group(spec.name))]
        wanted: set[tuple[str, str | None, str]] = {
            ("topic", t, op) for t in own for op in ("Write", "Describe")
        }
        wanted |= {("topic", t, op) for t in spec.subscribes_to for op in ("Read", "Describe")}
        wanted |= {("group", consumer_group(spec.name), op) for op in ("Read", "Describe")}
        wanted |= {("cluster", None, "IdempotentWrite")}
        if spec.name == "notifications":  # the suppliers' feeds
            wanted |= {("topic", "vias.supplier.", op) for op in ("Write", "Describe")}
        assert granted == wanted, spec.name


def test_every_topic_has_the_configured_partitions_which_cap_every_autoscaler() -> None:
    config = of_kind("ConfigMap")["vias-config"]["data"]
    partitions = int(config["VIAS_KAFKA_TOPIC_PARTITIONS"])
    assert config["VIAS_PRODUCTION_MODE"] == "true"
    topics = {t["spec"]["topicName"]: t["spec"] for t in of_kind("KafkaTopic").values()}
    for spec in SPECS:
        assert events_topic(spec.name) in topics
        assert dead_letter_topic(consumer_group(spec.name)) in topics
    assert {t["partitions"] for t in topics.values()} == {partitions}
    assert {h["spec"]["maxReplicas"] for h in of_kind("HorizontalPodAutoscaler").values()} == {
        partitions
    }


def test_each_mongodb_user_writes_only_its_own_database() -> None:
    (mongodb,) = of_kind("MongoDBCommunity").values()
    for user in mongodb["spec"]["users"]:
        service = user["name"].removeprefix("vias-")
        assert [r["db"] for r in user["roles"] if r["name"] == "readWrite"] == [f"vias_{service}"]
        assert all(r["name"].startswith("vias-outbox-reader-") for r in user["roles"][1:])
