"""Prometheus metrics of one service process, in a registry of its own."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    start_http_server,
)

LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.002,
    0.003,
    0.004,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.02,
    0.03,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)


@dataclass
class Metrics:
    """Every metric the kernel records; services add their own to `registry`."""

    service: str
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        labels = {"service": self.service}
        r = self.registry
        ProcessCollector(registry=r)  # process_* (CPU, memory, open files, start time)
        PlatformCollector(registry=r)
        self.rpc_requests = Counter(
            "vias_rpc_requests",
            "gRPC calls by method and status code.",
            ["method", "code"],
            registry=r,
        )
        self.rpc_latency = Histogram(
            "vias_rpc_latency_seconds",
            "gRPC call latency by method and status code.",
            ["method", "code"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.events_published = Counter(
            "vias_events_published",
            "Events the outbox relay published, by type.",
            ["type"],
            registry=r,
        )
        self.events_publish_failed = Counter(
            "vias_events_publish_failed",
            "Publish attempts the broker did not acknowledge.",
            registry=r,
        )
        self.events_republished = Counter(
            "vias_events_republished",
            "Retained events queued again because the broker lost its data.",
            registry=r,
        )
        self.events_consumed = Counter(
            "vias_events_consumed",
            "Events a consumer group processed, by type and outcome.",
            ["group", "type", "outcome"],
            registry=r,
        )
        self.events_failed = Counter(
            "vias_events_failed",
            "Failed attempts at processing an event, by type.",
            ["group", "type"],
            registry=r,
        )
        self.events_dead_lettered = Counter(
            "vias_events_dead_lettered",
            "Events sent to the dead-letter topic, by type.",
            ["group", "type"],
            registry=r,
        )
        self.events_waited = Counter(
            "vias_events_waited",
            "Transient failures (write conflicts, database unreachable) waited out while "
            "processing an event; never counted as attempts.",
            ["group", "type"],
            registry=r,
        )
        self.partitions_halted_total = Counter(
            "vias_consumer_partitions_halted",
            "Times a partition stopped at a record that could be neither applied nor "
            "dead-lettered (it is retried after a pause; nothing after it is skipped).",
            ["group"],
            registry=r,
        )
        self.consumer_halted_partitions = Gauge(
            "vias_consumer_halted_partitions",
            "Partitions currently stopped at a record that could not be dead-lettered.",
            ["group"],
            registry=r,
        )
        self.reconciliation_missing = Counter(
            "vias_reconciliation_missing",
            "Events a producer's outbox holds as published that the group had not processed, "
            "found by reconciliation and applied.",
            ["group", "topic"],
            registry=r,
        )
        self.reconciliation_runs = Counter(
            "vias_reconciliation_runs",
            "Reconciliation checks by outcome (ok, skipped while lagging, failed).",
            ["group", "outcome"],
            registry=r,
        )
        self.relay_delay = Histogram(
            "vias_event_relay_delay_seconds",
            "From the commit of an event (for events another instance committed, from their "
            "creation) to the broker's acknowledgement of it.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.delivery_delay = Histogram(
            "vias_event_delivery_delay_seconds",
            "From the relay's send of an event (record timestamp) to its fetch by the group.",
            ["group"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.handling_time = Histogram(
            "vias_event_handling_seconds",
            "From the fetch of a batch of events to the commit of its effects.",
            ["group"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.event_age = Histogram(
            "vias_event_age_seconds",
            "From an event's occurrence to the commit of its effect by the group.",
            ["group"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.consumer_assigned_partitions = Gauge(
            "vias_consumer_assigned_partitions",
            "Partitions the consumer group's member in this process holds (0 until it joined).",
            ["group"],
            registry=r,
        )
        self.consumer_lag = Gauge(
            "vias_consumer_lag",
            "Records of a topic the consumer group has not committed yet, counted to the true "
            "end of each partition (every replica reports it: aggregate with max).",
            ["group", "topic"],
            registry=r,
        )
        self.outbox_backlog = Gauge(
            "vias_outbox_backlog",
            "Events committed but not yet published.",
            registry=r,
        )
        self.outbox_oldest_age = Gauge(
            "vias_outbox_oldest_pending_age_seconds",
            "Age of the oldest unpublished event.",
            registry=r,
        )
        self.dependency_up = Gauge(
            "vias_dependency_up",
            "1 when a dependency answered the last health probe.",
            ["dependency"],
            registry=r,
        )
        self.info = Gauge(
            "vias_service_info", "Constant 1, labelled with the service.", list(labels), registry=r
        )
        self.info.labels(**labels).set(1)

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Expose `/metrics` over HTTP on a background thread."""
        start_http_server(port, addr=host, registry=self.registry)
