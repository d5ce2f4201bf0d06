"""gRPC server bootstrap: auth, metrics, logging context, error mapping, health, reflection."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status
from pydantic import ValidationError

from services.kernel.auth import Authenticator
from services.kernel.context import Trace, current_principal, current_trace
from services.kernel.envelope import new_id
from services.kernel.errors import (
    ConcurrencyConflict,
    DataLoss,
    DomainError,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    OutsideWindow,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    holds_cpr,
)
from services.kernel.metrics import Metrics

log = logging.getLogger(__name__)

UNAUTHENTICATED_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)

LIVENESS = "vias.liveness"
"""The health service name the liveness probe asks for: SERVING while the process answers,
whatever its dependencies do (the overall status "" is the readiness)."""

Behavior = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]
CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
"""A caller's x-correlation-id that is kept; anything else (too long, a CPR number typed into
it, control characters) is replaced by a fresh id, so logs and events never echo it."""


def correlation_id(metadata: dict[str, Any]) -> str:
    """The caller's correlation id when it is a plain token, else a new one."""
    given = str(metadata.get("x-correlation-id") or "")
    if CORRELATION_ID.fullmatch(given) and not holds_cpr(given):
        return given
    return new_id()


HISTORY_WINDOW = "HISTORY_WINDOW"
"""The PreconditionFailure violation type of a date outside the case's history; its subject
is the field as the request spells it."""


def status_for(error: Exception) -> status_pb2.Status:
    """The google.rpc.Status a domain error becomes."""
    if isinstance(error, ValidationError):
        error = InvalidInput.from_pydantic(error)
    if isinstance(error, InvalidInput):
        bad = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=v.field, description=v.description
                )
                for v in error.listed
            ]
        )
        return _detailed(code_pb2.INVALID_ARGUMENT, error, bad)
    if isinstance(error, OutsideWindow):
        failure = error_details_pb2.PreconditionFailure(
            violations=[
                error_details_pb2.PreconditionFailure.Violation(
                    type=HISTORY_WINDOW, subject=v.field, description=v.description
                )
                for v in error.listed
            ]
        )
        return _detailed(code_pb2.FAILED_PRECONDITION, error, failure)
    codes: list[tuple[type[DomainError], int]] = [
        (NotFound, code_pb2.NOT_FOUND),
        (IllegalTransition, code_pb2.FAILED_PRECONDITION),
        (ConcurrencyConflict, code_pb2.ABORTED),
        (Forbidden, code_pb2.PERMISSION_DENIED),
        (Unauthenticated, code_pb2.UNAUTHENTICATED),
        (ResourceExhausted, code_pb2.RESOURCE_EXHAUSTED),
        (DataLoss, code_pb2.DATA_LOSS),
        (Unavailable, code_pb2.UNAVAILABLE),
    ]
    for kind, code in codes:
        if isinstance(error, kind):
            return status_pb2.Status(code=code, message=str(error))
    return status_pb2.Status(code=code_pb2.INTERNAL, message="internal error")


def _detailed(code: int, error: Exception, detail: Message) -> status_pb2.Status:
    packed = any_pb2.Any()
    packed.Pack(detail)
    return status_pb2.Status(code=code, message=str(error), details=[packed])


class ServiceInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Wraps every unary call: trace context, authentication, metrics, error mapping."""

    def __init__(self, *, auth: Authenticator, metrics: Metrics) -> None:
        self.auth = auth
        self.metrics = metrics

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        method: str = details.method
        if handler is None or method.startswith(UNAUTHENTICATED_PREFIXES):
            return handler
        codec = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap(method, handler.unary_unary), **codec
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap(method, handler.stream_unary), **codec
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(method, handler.unary_stream), **codec
            )
        return handler

    def _wrap(self, method: str, behavior: Behavior) -> Behavior:
        """A unary or client-streaming call: one reply."""
        short = method.rsplit("/", 1)[-1]

        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
            async with self._call(short, context):
                return await behavior(request, context)

        return wrapped

    def _wrap_stream(self, method: str, behavior: Callable[..., AsyncIterator[Any]]) -> Any:
        """A server-streaming call: an error before or between messages ends it the same way."""
        short = method.rsplit("/", 1)[-1]

        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            async with self._call(short, context):
                async for reply in behavior(request, context):
                    yield reply

        return wrapped

    @contextlib.asynccontextmanager
    async def _call(self, short: str, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        """Trace context, authentication, metrics and error mapping around one call."""
        metadata = dict(context.invocation_metadata() or ())
        trace = Trace(correlation_id=correlation_id(metadata))
        trace_token = current_trace.set(trace)
        principal_token = current_principal.set(None)
        started = time.perf_counter()
        code = "OK"
        try:
            current_principal.set(await self._authenticate(metadata))
            yield
        except (DomainError, ValidationError) as error:
            status = status_for(error)
            code = code_pb2.Code.Name(status.code)
            log.info("%s refused: %s %s", short, code, status.message)
            await context.abort_with_status(rpc_status.to_status(status))
        except grpc.aio.AbortError:
            code = context.code().name if context.code() else "UNKNOWN"
            raise
        except Exception:
            code = "INTERNAL"
            log.exception("%s failed", short)
            await context.abort(
                grpc.StatusCode.INTERNAL,
                f"internal error (correlation id {trace.correlation_id})",
            )
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.rpc_requests.labels(short, code).inc()
            self.metrics.rpc_latency.labels(short, code).observe(elapsed)
            current_principal.reset(principal_token)
            current_trace.reset(trace_token)

    async def _authenticate(self, metadata: dict[str, Any]) -> Any:
        header = str(metadata.get("authorization", ""))
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("missing bearer token")
        return await self.auth.authenticate(token.strip())


Registration = tuple[Callable[[Any, grpc.aio.Server], None], Any, str]


def build_server(
    *,
    registrations: Sequence[Registration],
    auth: Authenticator,
    metrics: Metrics,
    address: str,
    max_message_bytes: int,
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    """A server with every servicer, health and reflection; returns (server, port, health)."""
    server = grpc.aio.server(
        interceptors=[ServiceInterceptor(auth=auth, metrics=metrics)],
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ],
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [health.SERVICE_NAME, reflection.SERVICE_NAME]
    for add, servicer, full_name in registrations:
        add(servicer, server)
        names.append(full_name)
    reflection.enable_server_reflection(names, server)
    port = server.add_insecure_port(address)
    return server, port, health_servicer


async def set_live(health_servicer: health.aio.HealthServicer) -> None:
    """The process answers: the liveness name is SERVING from now until shutdown."""
    await health_servicer.set(LIVENESS, health_pb2.HealthCheckResponse.SERVING)


async def set_serving(
    health_servicer: health.aio.HealthServicer, names: Sequence[str], serving: bool
) -> None:
    """Set the overall status and each named service's status."""
    status = (
        health_pb2.HealthCheckResponse.SERVING
        if serving
        else health_pb2.HealthCheckResponse.NOT_SERVING
    )
    for name in ("", *names):
        await health_servicer.set(name, status)
