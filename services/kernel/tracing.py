"""OpenTelemetry tracing: gRPC, PyMongo and aiokafka spans, and the W3C trace context that
travels in every event's envelope so one trace follows a call through the events it caused."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)

from services.kernel.settings import Settings

tracer = trace.get_tracer("vias.kernel")


def configure_tracing(service: str, settings: Settings) -> TracerProvider | None:
    """Install a tracer provider and the instrumentations when an exporter is configured
    (OTLP endpoint, span files); without one nothing is traced and nothing costs."""
    if settings.otlp_endpoint is None and settings.trace_dir is None:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": f"vias-{service}"}))
    if settings.otlp_endpoint is not None:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(
            endpoint=settings.otlp_endpoint, insecure=settings.otlp_insecure
        )
        provider.add_span_processor(BatchSpanProcessor(exporter))
    if settings.trace_dir is not None:
        settings.trace_dir.mkdir(parents=True, exist_ok=True)
        out = (settings.trace_dir / f"{service}-{os.getpid()}.jsonl").open("a")
        provider.add_span_processor(SimpleSpanProcessor(_file_exporter(out)))
    trace.set_tracer_provider(provider)
    _instrument()
    return provider


def _file_exporter(out: IO[str]) -> ConsoleSpanExporter:
    def one_line(span: ReadableSpan) -> str:
        return str(span.to_json(indent=None)) + "\n"

    return ConsoleSpanExporter(out=out, formatter=one_line)


def _instrument() -> None:
    from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
    from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorServer
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

    GrpcAioInstrumentorServer().instrument()  # type: ignore[no-untyped-call]
    PymongoInstrumentor().instrument()
    AIOKafkaInstrumentor().instrument()


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, None outside any sampled trace."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def consuming(event_type: str, traceparent: str | None, group: str) -> Iterator[None]:
    """A consumer span for handling one event, a child of the span that emitted it, so the
    events the handler emits carry the same trace."""
    parent = propagate.extract({"traceparent": traceparent} if traceparent else {})
    token = context.attach(parent)
    try:
        with tracer.start_as_current_span(
            f"{event_type} process",
            kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.system": "kafka", "messaging.consumer.group.name": group},
        ):
            yield
    finally:
        context.detach(token)
