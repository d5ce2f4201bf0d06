"""Operations on three services as real processes: one trace from a gRPC call through the
events it caused, and a database outage that readiness reports and liveness survives."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.kernel.grpc_server import LIVENESS
from services.platform.infra import Platform
from tests.conftest import started_platform
from tests.integration.test_walking_skeleton import case_of, notices_about
from tests.support import DEADLINE, Clients, eventually

SERVICES = ("intake", "visitation", "notifications", "identity")
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
OUTAGE_S = 90.0


@pytest.fixture(scope="module")
def ops_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Three services (and identity, which every call needs) tracing to span files, on a
    database that keeps its data on disk."""
    var_dir = tmp_path_factory.mktemp("ops")
    with started_platform(
        var_dir,
        env={"VIAS_TRACE_DIR": str(var_dir / "traces")},
        mongo_storage=var_dir / "mongo",
        service_names=SERVICES,
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def ops(ops_platform: Platform) -> AsyncIterator[Clients]:
    connected = Clients(ops_platform)
    try:
        yield connected
    finally:
        await connected.close()


def spans(platform: Platform) -> list[dict[str, Any]]:
    """Every span the services wrote so far."""
    found = []
    for path in sorted((platform.var_dir / "traces").glob("*.jsonl")):
        found += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return found


def service_of(span: dict[str, Any]) -> str:
    return str(span["resource"]["attributes"]["service.name"])


async def test_one_trace_runs_from_the_assignment_call_to_the_consultants_notice(
    ops: Clients, ops_platform: Platform
) -> None:
    inquiry = await ops.register_and_assign(consultant="consultant-trace")
    case = await case_of(ops, inquiry.inquiry_id)
    await eventually(lambda: notices_about(ops, "consultant-trace", case.case_id))

    async def the_trace() -> set[str] | None:
        found = spans(ops_platform)
        calls = [s for s in found if s["name"].endswith("/AssignInquiry")]
        if not calls:
            return None
        trace_id = calls[-1]["context"]["trace_id"]
        named = {
            f"{service_of(s)}:{s['name']}" for s in found if s["context"]["trace_id"] == trace_id
        }
        wanted = {
            "vias-visitation:InquiryAssigned process",
            "vias-notifications:VisitationCaseOpened process",
        }
        return named if wanted <= named else None

    named = await eventually(the_trace)
    # Identity joins the trace when it is asked about the caller's session (no answer cached).
    traced = {name.split(":")[0] for name in named} - {"vias-identity"}
    assert traced == {f"vias-{s}" for s in SERVICES if s != "identity"}
    assert "vias-intake:vias_intake.insert" in named  # PyMongo's spans join the call's trace


async def check(platform: Platform, service: str, name: str) -> int:
    async with grpc.aio.insecure_channel(platform.grpc_address(service)) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=name), timeout=DEADLINE
        )
    return int(reply.status)


async def all_answer(platform: Platform, name: str, wanted: int) -> bool:
    answers = [await check(platform, s, name) for s in SERVICES]
    return all(a == wanted for a in answers)


async def test_a_database_outage_is_not_ready_but_alive_and_recovers_without_restart(
    ops: Clients, ops_platform: Platform
) -> None:
    before = [await ops.register_and_assign(consultant="consultant-db") for _ in range(3)]
    for inquiry in before:
        await case_of(ops, inquiry.inquiry_id)
    pids = {s: ops_platform.services[s].pid for s in SERVICES}

    ops_platform.mongo.kill()
    started = time.monotonic()
    await eventually(lambda: all_answer(ops_platform, "", NOT_SERVING), timeout=20)
    while time.monotonic() - started < OUTAGE_S:
        assert await all_answer(ops_platform, LIVENESS, SERVING)
        assert await all_answer(ops_platform, "", NOT_SERVING)
        await asyncio.sleep(10)
    await asyncio.to_thread(ops_platform.mongo.start)

    await eventually(lambda: all_answer(ops_platform, "", SERVING), timeout=60)
    assert {s: ops_platform.services[s].pid for s in SERVICES} == pids
    after = [await ops.register_and_assign(consultant="consultant-db") for _ in range(3)]
    for inquiry in before + after:
        case_id = (await case_of(ops, inquiry.inquiry_id, timeout=60)).case_id
        assert await eventually(partial(notices_about, ops, "consultant-db", case_id))
    cases = ops.db("visitation").cases
    ids = [i.inquiry_id for i in before + after]
    assert await cases.count_documents({"inquiry_id": {"$in": ids}}) == len(ids)
