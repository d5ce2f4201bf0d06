"""Benchmark the local VIAS platform against raw floors measured on the same broker and database.

Usage (from the repository root):

    PYTHONPATH=. python scripts/benchmark.py [--inquiries N] [--concurrency C]
        [--light-rate R] [--light-seconds S] [--also-rate R2] [--fetch-wait-ms W] [--json PATH]

One run starts a fresh platform (embedded Tansu broker, SecantusDB with on-disk storage in a
temporary directory, the five services on ephemeral ports) and measures, in order:

1. time from start to all five services SERVING;
2. resident memory of each service once idle;
3. raw floors on the same broker and database: bare MongoDB transactions (two inserts) at
   concurrency 1 and C, and a bare aiokafka produce->consume hop;
4. throughput: N inquiries registered and assigned over gRPC with C in flight, until N notices
   exist; then (4b) the raw transaction rate again, compared with the mean of both raw rates,
   since this machine's speed drifts within a run;
5. latency at light load: inquiries registered ahead, then assigned open-loop at R/s for S seconds,
   each timed from just before its AssignInquiry call until its notice is readable (seen on one
   MongoDB change stream). Throughput and drain are counted on the services' /metrics, so the
   benchmark does not load the database it measures. The run says when R is not a light load on
   this machine (above 80 % of the throughput step 4 measured);
6. the same at R2/s (default 5), for information: the latency where the machine is not queueing.

Figures are printed, compared with their targets in a final table and optionally written as JSON.
Timings are never asserted: the exit code is 0 unless something crashed. The platform is stopped
at the end, also on errors and Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
import urllib.request
import uuid
from asyncio import FIRST_COMPLETED
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import grpc
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families
from pymongo import AsyncMongoClient, monitoring

from services.identity.login import local_login
from services.kernel.settings import Settings
from services.platform.infra import Platform
from vias.intake.v1 import intake_pb2, intake_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
Doc = dict[str, Any]
Consumed = dict[tuple[str, str], int]  # (consuming service, event type) -> events processed

# The raw hop's consumer: the shortest fetch wait worth measuring as a floor. The platform's
# consumers run with their own setting (VIAS_KAFKA_FETCH_MAX_WAIT_MS) unless --fetch-wait-ms says.
FETCH_MAX_WAIT_MS = 10
START_TIMEOUT_S = 120.0
IDLE_SETTLE_S = 3.0
POLL_INTERVAL_S = 0.02
RPC_DEADLINE_S = 30.0

# Database transactions each inquiry causes: intake's two happen inside RegisterInquiry and
# AssignInquiry; every consuming service marks each event it processed in its inbox, and the
# warm-up measures how many that is per inquiry (the count grows as services consume more events).
INTAKE_TRANSACTIONS = 2
CONSUMERS = ("visitation", "notifications", "leverance", "documents")
RAW_TXNS_PER_INQUIRY = 12  # sizes the raw-floor run only
DRAIN_POLL_S = 0.2
CASE_NOTICE = "case_assigned"  # the notice that ends the measured path
# What the throughput run counts on the services' metrics: visitation opening a case from the
# assignment, notifications recording the consultant's notice from the opened case.
CASE_OPENED_BY = ("visitation", "InquiryAssigned")
NOTICE_RECORDED_BY = ("notifications", "VisitationCaseOpened")
# Registering and assigning are two intake transactions; the assignment causes the case.
# The critical path from the AssignInquiry call to a readable notice: intake, visitation and
# notifications commit, with two hops between them.
PATH_TRANSACTIONS = 3
PATH_HOPS = 2

RAW_DATABASE = "vias_bench_raw"
RAW_TOPIC = "vias.bench.raw.hop.v1"
RAW_GROUP = "vias.bench.raw"
RAW_WARMUP = 20
RAW_LATENCY_SAMPLES = 300
RAW_RECHECK_TXNS = 1000  # the raw rate measured again after the pipeline
HOP_SAMPLES = 300
HOP_RECORD_BYTES = 300
WARMUP_INQUIRIES = 5

TARGET_STARTUP_S = 15.0
TARGET_RSS_MB = 120.0
TARGET_THROUGHPUT_RATIO = 0.80
TARGET_LATENCY_RATIO = 1.5
TARGET_IDLE_CPU = 5.0
LIGHT_SHARE = 0.2  # light load: at most this share of the capacity the same run measured

SECANTUS = "secantus (mongodb)"
CLK_TCK = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1


# --------------------------------------------------------------------------------------------
# Results


@dataclass
class Figure:
    """One measured figure, with its target when it has one."""

    key: str
    label: str
    value: float | None
    unit: str
    target: str = ""
    met: bool | None = None


@dataclass
class Report:
    """Every figure of a run, plus details for the JSON output."""

    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(
        self,
        key: str,
        label: str,
        value: float | None,
        unit: str,
        *,
        target: str = "",
        met: bool | None = None,
    ) -> float | None:
        """Record a figure; returns its value."""
        self.figures.append(Figure(key, label, value, unit, target, met))
        return value

    def value(self, key: str) -> float | None:
        """The value of a recorded figure, None if missing."""
        return next((f.value for f in self.figures if f.key == key), None)


def say(text: str = "") -> None:
    """Print a line at once."""
    print(text, flush=True)


def heading(text: str) -> None:
    """Print a section heading."""
    say()
    say(f"== {text}")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def ms(seconds: Sequence[float]) -> list[float]:
    """Seconds to milliseconds."""
    return [s * 1000.0 for s in seconds]


def spread(values_ms: Sequence[float]) -> str:
    """p50 / p95 / p99 / max of milliseconds, formatted."""
    qs = [percentile(values_ms, q) for q in (50, 95, 99)]
    top = max(values_ms) if values_ms else math.nan
    return (
        f"p50 {qs[0]:.1f} ms, p95 {qs[1]:.1f} ms, p99 {qs[2]:.1f} ms, max {top:.1f} ms "
        f"(n={len(values_ms)})"
    )


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, None when either is missing or the denominator is zero."""
    if numerator is None or denominator is None or denominator == 0 or math.isnan(denominator):
        return None
    return numerator / denominator


# --------------------------------------------------------------------------------------------
# /proc sampling


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (10^6 bytes), None if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        return None
    return None


def cpu_ticks(pid: int) -> int | None:
    """User plus system clock ticks a process has used, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def start_ticks(pid: int) -> int | None:
    """When a process started, in clock ticks since boot."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[19])
    except OSError:
        return None


def uptime_s() -> float:
    """Seconds since boot."""
    with open("/proc/uptime") as up:
        return float(up.read().split()[0])


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs together, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return total - idle, total


@dataclass
class CpuSnapshot:
    """CPU ticks of named processes and of the whole machine at one moment."""

    at: float
    processes: dict[str, int | None]
    machine_busy: int
    machine_total: int


class CpuSampler:
    """CPU use of the platform's processes (and this one) over a window, in % of one core."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids

    def snapshot(self) -> CpuSnapshot:
        """Ticks now."""
        busy, total = machine_ticks()
        processes = {name: cpu_ticks(pid) for name, pid in self.pids.items()}
        return CpuSnapshot(time.perf_counter(), processes, busy, total)

    @staticmethod
    def usage(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
        """% of one core used per process between two snapshots, plus machine and others."""
        elapsed = max(after.at - before.at, 1e-9)
        usage: dict[str, float] = {}
        for name, start in before.processes.items():
            end = after.processes.get(name)
            if start is not None and end is not None:
                usage[name] = (end - start) / CLK_TCK / elapsed * 100.0
        total = max(after.machine_total - before.machine_total, 1)
        machine = (after.machine_busy - before.machine_busy) / total * NCPU * 100.0
        usage["(whole machine)"] = machine
        usage["(everything else on the machine)"] = max(
            machine - sum(v for k, v in usage.items() if not k.startswith("(")), 0.0
        )
        return usage


def cpu_ms_per(percent_of_core: float | None, rate: float) -> float | None:
    """CPU milliseconds per unit of work, from % of a core and units per second."""
    if percent_of_core is None or rate <= 0:
        return None
    return percent_of_core / 100.0 / rate * 1000.0


def print_cpu(title: str, usage: dict[str, float]) -> None:
    """Print a CPU table, busiest first."""
    say(f"  CPU during {title} (% of one core; the machine has {NCPU} cores):")
    named = sorted(((k, v) for k, v in usage.items() if not k.startswith("(")), key=lambda x: -x[1])
    for name, value in [*named, *((k, v) for k, v in usage.items() if k.startswith("("))]:
        say(f"    {name:<34} {value:6.1f} %")


class CommandCounter(monitoring.CommandListener):
    """Counts the commands a client of this benchmark sends, to tell them from the platform's."""

    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


def fetch_text(url: str) -> str:
    """GET a small text document (a service's /metrics)."""
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


async def opcounters(client: AsyncMongoClient[Doc]) -> dict[str, int]:
    """The server's operation counters (serverStatus.opcounters); empty if unsupported."""
    try:
        status = await client.admin.command("serverStatus")
    except Exception:
        return {}
    return {k: int(v) for k, v in status.get("opcounters", {}).items()}


def ops_per(
    before: dict[str, int], after: dict[str, int], units: float, own_commands: int = 0
) -> dict[str, float]:
    """Server operations per unit of work between two opcounter readings.

    `own_commands` (the benchmark's own reads, counted client-side) is taken off 'command' and
    'query' as far as they go; what remains is the platform's.
    """
    if not before or not after or units <= 0:
        return {}
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in before}
    for key in ("command", "query"):
        taken = min(own_commands, delta.get(key, 0))
        delta[key] = delta.get(key, 0) - taken
        own_commands -= taken
    per = {k: v / units for k, v in delta.items() if v}
    per["total"] = sum(delta.values()) / units
    return per


def fmt_ops(per: dict[str, float]) -> str:
    """Operations per unit, formatted."""
    if not per:
        return "n/a (no serverStatus.opcounters)"
    parts = [f"{k} {v:.1f}" for k, v in per.items() if k != "total"]
    return f"{per['total']:.1f} ({', '.join(parts)})"


# --------------------------------------------------------------------------------------------
# 1. and 2. Startup and memory


def measure_startup(platform: Platform, report: Report) -> None:
    """Start the platform; time until all five services are SERVING."""
    heading("1. Startup")
    began_uptime = uptime_s()
    began = time.perf_counter()
    platform.start(timeout=START_TIMEOUT_S)
    elapsed = time.perf_counter() - began
    spawned = [start_ticks(svc.pid) for svc in platform.services.values() if svc.pid is not None]
    first_spawn = min((t for t in spawned if t is not None), default=None)
    if first_spawn is not None:
        infra = max(first_spawn / CLK_TCK - began_uptime, 0.0)
        say(f"  broker + database + topics ready, services spawned after ~{infra:.2f} s")
        say(f"  services SERVING ~{elapsed - infra:.2f} s after they were spawned")
        report.details["startup_infrastructure_s"] = infra
    say(f"  all five services SERVING after {elapsed:.2f} s (target <= {TARGET_STARTUP_S:g} s)")
    report.add(
        "startup_s",
        "start to all five SERVING",
        elapsed,
        "s",
        target=f"<= {TARGET_STARTUP_S:g} s",
        met=elapsed <= TARGET_STARTUP_S,
    )


def assigned_partitions(text: str) -> int:
    """Partitions a service's consumer holds, from its /metrics text."""
    return sum(
        int(sample.value)
        for family in text_string_to_metric_families(text)
        if family.name == "vias_consumer_assigned_partitions"
        for sample in family.samples
    )


def wait_consumers_joined(platform: Platform, report: Report) -> None:
    """Wait until every service's consumer holds partitions: a service is SERVING before its
    consumer group has joined, and the joining is work the idle figures must not include."""
    began = time.perf_counter()
    waiting = set(platform.services)
    while waiting and time.perf_counter() - began < START_TIMEOUT_S:
        waiting = {
            name
            for name in waiting
            if not assigned_partitions(fetch_text(platform.metrics_url(name)))
        }
        time.sleep(0.1)
    elapsed = time.perf_counter() - began
    if waiting:
        say(f"  consumers of {', '.join(sorted(waiting))} NOT assigned partitions")
    else:
        say(f"  every consumer held its partitions {elapsed:.2f} s after all were SERVING")
    report.details["consumers_joined_after_serving_s"] = elapsed


def platform_pids(platform: Platform) -> dict[str, int]:
    """Process ids of the broker, the database and the services, by a readable name."""
    names = {"kafka": "tansu (kafka)", "mongodb": SECANTUS}
    pids: dict[str, int] = {}
    for name, process in platform.processes().items():
        if process.pid is not None:
            pids[names.get(name, name)] = process.pid
    return pids


def measure_idle(platform: Platform, report: Report, *, seconds: float) -> None:
    """Let the platform settle into idling, then print its memory and the CPU it uses idle."""
    settle = platform.settings.consumer_idle_after_s + IDLE_SETTLE_S
    heading(f"2. Idle: memory and CPU over {seconds:g} s, after {settle:g} s of settling")
    say(
        f"  (consumers count as idle {platform.settings.consumer_idle_after_s:g} s after their "
        f"last records; they then fetch every {platform.settings.consumer_idle_poll_interval_s:g}"
        " s)"
    )
    time.sleep(settle)
    sampler = CpuSampler(platform_pids(platform))
    before = sampler.snapshot()
    time.sleep(seconds)
    usage = CpuSampler.usage(before, sampler.snapshot())
    measure_memory(platform, report, when="idle", targets=True)
    print_cpu(f"those {seconds:g} s of idling", usage)
    report.details["idle_cpu_percent_of_core"] = usage
    own = sum(v for k, v in usage.items() if not k.startswith("("))
    report.add(
        "idle_cpu",
        "platform CPU while idle (all processes)",
        own,
        "% core",
        target=f"<= {TARGET_IDLE_CPU:g} % core",
        met=own <= TARGET_IDLE_CPU,
    )


def measure_memory(platform: Platform, report: Report, *, when: str, targets: bool) -> None:
    """Print the resident memory of every process of the platform."""
    say(f"  resident memory (VmRSS) {when}:")
    for name, pid in platform_pids(platform).items():
        value = rss_mb(pid)
        shown = f"{value:7.1f} MB" if value is not None else "   gone"
        is_service = name in platform.services
        note = f"  (target < {TARGET_RSS_MB:g} MB)" if is_service and targets else ""
        say(f"    {name:<20} pid {pid:<8} {shown}{note}")
        if not is_service:
            report.details.setdefault(f"rss_mb_{when}", {})[name] = value
            continue
        if targets:
            report.add(
                f"rss_mb_{name}",
                f"RSS {name} (idle)",
                value,
                "MB",
                target=f"< {TARGET_RSS_MB:g} MB",
                met=value is not None and value < TARGET_RSS_MB,
            )
        else:
            report.details.setdefault(f"rss_mb_{when}", {})[name] = value


# --------------------------------------------------------------------------------------------
# 3a. Raw MongoDB transactions


def benchmark_cpr() -> str:
    """A random valid CPR number of an adult (born 1950-1995), so no two inquiries share one."""
    pick = random.SystemRandom()
    year = pick.randint(1950, 1995)
    serial = pick.choice("0123") + "".join(pick.choice("0123456789") for _ in range(3))
    return f"{pick.randint(1, 28):02d}{pick.randint(1, 12):02d}{year % 100:02d}-{serial}"


def raw_state_doc() -> Doc:
    """A document the size of an inquiry."""
    return {
        "_id": uuid.uuid4().hex,
        "version": 1,
        "status": "registered",
        "inquirer_name": "Odense Kommune",
        "main_area": "children_youth",
        "citizen_name": "Benchmark Citizen",
        "description": "Advice on a child with autism",
        "registered_at": datetime.now(UTC),
        "registered_by": "support-1",
    }


def raw_outbox_doc() -> Doc:
    """A document the size of an outbox row."""
    return {
        "_id": uuid.uuid4().hex,
        "seq": time.time_ns(),
        "topic": "vias.bench.events.v1",
        "key": uuid.uuid4().hex,
        "type": "BenchmarkEvent",
        "value": "x" * 600,
        "created_at": datetime.now(UTC),
        "published_at": None,
        "attempts": 0,
    }


async def raw_transaction(client: AsyncMongoClient[Doc]) -> float:
    """One bare transaction of two inserts; its duration in seconds."""
    db = client[RAW_DATABASE]
    began = time.perf_counter()
    async with client.start_session() as session:
        await session.start_transaction()
        await db.state.insert_one(raw_state_doc(), session=session)
        await db.outbox.insert_one(raw_outbox_doc(), session=session)
        await session.commit_transaction()
    return time.perf_counter() - began


async def raw_transactions_at(
    client: AsyncMongoClient[Doc], total: int, concurrency: int
) -> tuple[list[float], float]:
    """Run `total` transactions with `concurrency` in flight; (durations, wall time)."""
    durations: list[float] = []
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            durations.append(await raw_transaction(client))

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return durations, time.perf_counter() - began


@contextlib.asynccontextmanager
async def raw_database(platform: Platform) -> AsyncIterator[AsyncMongoClient[Doc]]:
    """A client on a fresh scratch database, its collections created by a few transactions at
    concurrency 1 (created concurrently inside transactions, they conflict); dropped after."""
    client: AsyncMongoClient[Doc] = AsyncMongoClient(platform.mongo_uri, tz_aware=True)
    try:
        await client.drop_database(RAW_DATABASE)
        await raw_transactions_at(client, RAW_WARMUP, 1)
        yield client
    finally:
        with contextlib.suppress(Exception):
            await client.drop_database(RAW_DATABASE)
        await client.close()


async def measure_raw_mongo(
    platform: Platform, report: Report, *, concurrency: int, total: int
) -> None:
    """Bare two-insert transactions in a scratch database, at concurrency 1 and `concurrency`."""
    heading("3a. Raw floor: bare MongoDB transactions (2 inserts) on the same SecantusDB")
    async with raw_database(platform) as client:
        single, wall = await raw_transactions_at(client, RAW_LATENCY_SAMPLES, 1)
        single_ms = ms(single)
        say(f"  concurrency 1: {spread(single_ms)}, {len(single) / wall:.0f} txn/s")
        report.add(
            "raw_txn_p50_ms", "raw txn latency p50 (conc. 1)", percentile(single_ms, 50), "ms"
        )
        report.add(
            "raw_txn_p95_ms", "raw txn latency p95 (conc. 1)", percentile(single_ms, 95), "ms"
        )
        report.add(
            "raw_txn_p99_ms", "raw txn latency p99 (conc. 1)", percentile(single_ms, 99), "ms"
        )
        report.add("raw_txn_rate_c1", "raw txn rate (conc. 1)", len(single) / wall, "txn/s")

        sampler = CpuSampler({**platform_pids(platform), "benchmark": os.getpid()})
        before = sampler.snapshot()
        ops_before = await opcounters(client)
        durations, wall = await raw_transactions_at(client, total, concurrency)
        usage = CpuSampler.usage(before, sampler.snapshot())
        per_txn = ops_per(ops_before, await opcounters(client), len(durations))
        rate = len(durations) / wall
        rest = [k for k in usage if not k.startswith("(") and k not in ("benchmark", SECANTUS)]
        idle = sum(usage[k] for k in rest)
        say(
            f"  concurrency {concurrency}: {rate:.0f} txn/s over {len(durations)} transactions "
            f"in {wall:.2f} s; per txn {spread(ms(durations))}"
        )
        say(
            f"  CPU meanwhile (% of one core): secantus {usage[SECANTUS]:.0f}, "
            f"benchmark client {usage['benchmark']:.0f}, rest of the (idle) platform {idle:.0f}, "
            f"other processes {usage['(everything else on the machine)']:.0f}"
        )
        say(f"  database operations per transaction: {fmt_ops(per_txn)}")
        say(f"  secantus CPU per transaction: {cpu_ms_per(usage[SECANTUS], rate):.2f} ms")
        report.details["raw_txn_cpu"] = usage
        report.details["raw_ops_per_txn"] = per_txn
        report.add(
            "raw_secantus_ms_per_txn",
            f"secantus CPU per raw txn (conc. {concurrency})",
            cpu_ms_per(usage[SECANTUS], rate),
            "ms",
        )
        report.add(
            f"raw_txn_rate_c{concurrency}", f"raw txn rate (conc. {concurrency})", rate, "txn/s"
        )


# --------------------------------------------------------------------------------------------
# 3b. Raw Kafka hop


class _AssignmentWaiter(ConsumerRebalanceListener):  # type: ignore[misc]
    """Sets an event once the group consumer has been given partitions."""

    def __init__(self) -> None:
        self.assigned = asyncio.Event()

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        if assigned:
            self.assigned.set()


async def measure_raw_kafka(platform: Platform, report: Report) -> None:
    """Produce->consume latency of one record at a time, acks=all, fetch_max_wait_ms=10."""
    heading("3b. Raw floor: bare aiokafka hop (acks=all, group consumer) on the same Tansu")
    servers = platform.kafka_bootstrap_servers
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        if RAW_TOPIC not in await admin.list_topics():
            await admin.create_topics([NewTopic(RAW_TOPIC, 3, 1)])
    finally:
        await admin.close()

    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers,
        group_id=RAW_GROUP,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
    )
    producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all")
    waiter = _AssignmentWaiter()
    arrivals: dict[bytes, asyncio.Future[float]] = {}
    loop = asyncio.get_running_loop()

    async def receive() -> None:
        async for record in consumer:
            future = arrivals.get(record.key)
            if future is not None and not future.done():
                future.set_result(time.perf_counter())

    await consumer.start()
    await producer.start()
    consumer.subscribe([RAW_TOPIC], listener=waiter)
    receiver = asyncio.create_task(receive())
    try:
        joined = time.perf_counter()
        await asyncio.wait_for(waiter.assigned.wait(), 60)
        say(f"  group consumer assigned after {time.perf_counter() - joined:.2f} s")

        async def hop() -> tuple[float, float]:
            key = uuid.uuid4().hex.encode()
            arrivals[key] = loop.create_future()
            value = key + b"." * (HOP_RECORD_BYTES - len(key))
            began = time.perf_counter()
            await producer.send_and_wait(RAW_TOPIC, value=value, key=key)
            acked = time.perf_counter()
            arrival = arrivals[key]
            either: set[asyncio.Future[Any]] = {arrival, receiver}
            await asyncio.wait(either, timeout=30, return_when=FIRST_COMPLETED)
            if receiver.done():
                receiver.result()  # raises what stopped the consumer
            if not arrivals.pop(key).done():
                raise TimeoutError("a produced record was not consumed within 30 s")
            received = arrival.result()
            return acked - began, received - began

        for _ in range(RAW_WARMUP):
            await hop()
        acks: list[float] = []
        hops: list[float] = []
        for _ in range(HOP_SAMPLES):
            ack, total = await hop()
            acks.append(ack)
            hops.append(total)
    finally:
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await receiver
        await producer.stop()
        await consumer.stop()
    say(f"  produce acknowledged (send_and_wait): {spread(ms(acks))}")
    say(f"  produce -> consume:                   {spread(ms(hops))}")
    hop_ms = ms(hops)
    report.add("raw_ack_p50_ms", "raw produce ack p50", percentile(ms(acks), 50), "ms")
    report.add("raw_hop_p50_ms", "raw Kafka hop p50", percentile(hop_ms, 50), "ms")
    report.add("raw_hop_p95_ms", "raw Kafka hop p95", percentile(hop_ms, 95), "ms")
    report.add("raw_hop_p99_ms", "raw Kafka hop p99", percentile(hop_ms, 99), "ms")


# --------------------------------------------------------------------------------------------
# Calling the platform


class Pipeline:
    """A gRPC client of intake plus read access to the databases the pipeline writes."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.settings = platform.settings
        # From the local issuer, as every client gets it; it lives 15 minutes.
        token = local_login(platform.issuer_url, "bench-support", "support").access_token
        self.metadata = (("authorization", f"Bearer {token}"),)
        self.channel = grpc.aio.insecure_channel(platform.grpc_address("intake"))
        self.intake = intake_pb2_grpc.IntakeServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.commands = CommandCounter()
        self.units: dict[str, int] = {}
        self.lists: dict[str, str] = {}
        """Each registered inquiry's distribution list: the one day it may be assigned from."""
        self.mongo: AsyncMongoClient[Doc] = AsyncMongoClient(
            platform.mongo_uri, tz_aware=True, event_listeners=[self.commands]
        )

    def db(self, service: str) -> Any:
        """A service's database."""
        return self.mongo[self.settings.database_name(service)]

    @property
    def notices(self) -> Any:
        """notifications' notices."""
        return self.db("notifications")["notices"]

    @property
    def cases(self) -> Any:
        """visitation's cases."""
        return self.db("visitation")["cases"]

    async def register(self, number: int) -> str:
        """Register one inquiry; its id."""
        request = intake_pb2.RegisterInquiryRequest(
            inquirer_name="Odense Kommune",
            main_area="children_youth",
            description="Advice on a child with autism and a family in crisis",
            requested_service="single_case",
            management_approved=True,
            inquirer=intake_pb2.InquirerDetails(
                type="municipal_administration",
                organisation="Odense Kommune",
                municipality_code="461",
                email="raadgiver@odense.dk",
            ),
            citizens=[
                intake_pb2.Citizen(
                    name=f"Benchmark Citizen {number}",
                    cpr=benchmark_cpr(),
                    consent=intake_pb2.Consent(basis="consent", citizen_consented=True),
                )
            ],
        )
        reply = await self.intake.RegisterInquiry(
            request, metadata=self.metadata, timeout=RPC_DEADLINE_S
        )
        self.lists[reply.inquiry_id] = reply.distribution_date
        return str(reply.inquiry_id)

    async def assign(self, inquiry_id: str) -> None:
        """Assign a registered inquiry to a consultant from its distribution list, which opens
        its visitation case."""
        request = intake_pb2.AssignInquiryRequest(
            inquiry_id=inquiry_id,
            consultant_id="bench-consultant",
            distributed_on=self.lists[inquiry_id],
        )
        await self.intake.AssignInquiry(request, metadata=self.metadata, timeout=RPC_DEADLINE_S)

    async def register_and_assign(self, number: int) -> str:
        """Register one inquiry and assign it; its id."""
        inquiry_id = await self.register(number)
        await self.assign(inquiry_id)
        return inquiry_id

    async def consumed(self) -> Consumed:
        """Events each consuming service has processed so far, by type, read from its /metrics.

        Counting through the services' Prometheus counters (incremented after the transaction
        committed) leaves the measured database alone: polling it, or keeping change streams
        open on it (each costs SecantusDB CPU on every commit), would load what is measured.
        """
        texts = await asyncio.gather(
            *(asyncio.to_thread(fetch_text, self.platform.metrics_url(n)) for n in CONSUMERS)
        )
        counts: Consumed = {}
        for name, text in zip(CONSUMERS, texts, strict=True):
            for family in text_string_to_metric_families(text):
                if family.name != "vias_events_consumed":
                    continue
                for sample in family.samples:
                    if sample.name.endswith("_total") and sample.labels["outcome"] == "processed":
                        key = (name, sample.labels["type"])
                        counts[key] = counts.get(key, 0) + int(sample.value)
        return counts

    async def processed_since(self, before: Consumed) -> dict[str, int]:
        """Events each consuming service processed since the `before` snapshot."""
        now = await self.consumed()
        totals = dict.fromkeys(CONSUMERS, 0)
        for (name, event_type), count in now.items():
            totals[name] += count - before.get((name, event_type), 0)
        return totals

    @property
    def txns_per_case(self) -> int:
        """Units of transactional work per inquiry, as the warm-up measured them."""
        return INTAKE_TRANSACTIONS + sum(self.units.values())

    async def wait_drained(self, before: Consumed, inquiries: int, timeout: float) -> bool:
        """Wait until every consumer processed the events of `inquiries` inquiries since then."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            counts = await self.processed_since(before)
            if all(counts[n] >= per * inquiries for n, per in self.units.items()):
                return True
            await asyncio.sleep(DRAIN_POLL_S)
        return False

    async def notice_count_for(self, inquiry_ids: Sequence[str]) -> int:
        """How many of these inquiries have a notice (inquiry -> case -> notice)."""
        case_ids = [
            doc["_id"]
            async for doc in self.cases.find(
                {"inquiry_id": {"$in": list(inquiry_ids)}}, projection={"_id": 1}
            )
        ]
        found = self.notices.find(
            {"subject_id": {"$in": case_ids}, "kind": CASE_NOTICE}, projection={"subject_id": 1}
        )
        return len({doc["subject_id"] async for doc in found})

    async def close(self) -> None:
        """Close the channel and the database client."""
        await self.channel.close()
        await self.mongo.close()


async def warm_up(pipeline: Pipeline) -> None:
    """Push a few inquiries through, so every consumer group has joined before measuring, and
    count the events each consumer processes per inquiry once everything has settled."""
    heading("Warm-up")
    since = await pipeline.consumed()
    began = time.perf_counter()
    ids = await asyncio.gather(*(pipeline.register_and_assign(i) for i in range(WARMUP_INQUIRIES)))
    counts: dict[str, int] = {}
    stable_since = time.perf_counter()
    while time.perf_counter() - began < 120:
        latest = await pipeline.processed_since(since)
        if latest != counts:
            counts, stable_since = latest, time.perf_counter()
        elif time.perf_counter() - stable_since > 2.0 and all(counts.values()):
            break
        await asyncio.sleep(DRAIN_POLL_S)
    pipeline.units = {name: round(n / len(ids)) for name, n in counts.items()}
    found = await pipeline.notice_count_for(ids)
    say(
        f"  {len(ids)} inquiries -> {found} case notices, settled after "
        f"{time.perf_counter() - began:.2f} s (includes consumer-group joins)"
    )
    per = ", ".join(f"{name} {n}" for name, n in pipeline.units.items())
    say(f"  events processed per inquiry: {per}; units of work per case: {pipeline.txns_per_case}")


# --------------------------------------------------------------------------------------------
# 4. Throughput


async def measure_throughput(
    platform: Platform, pipeline: Pipeline, report: Report, *, inquiries: int, concurrency: int
) -> None:
    """Register `inquiries` with `concurrency` in flight and wait until all their notices exist."""
    heading(f"4. Throughput: {inquiries} inquiries, {concurrency} in flight")
    since = await pipeline.consumed()
    say(
        "  cases and notices counted on the services' Prometheus counters "
        f"({CASE_OPENED_BY[1]} processed by {CASE_OPENED_BY[0]}, {NOTICE_RECORDED_BY[1]} by "
        f"{NOTICE_RECORDED_BY[0]}), scraped every {POLL_INTERVAL_S * 1000:.0f} ms"
    )
    sampler = CpuSampler({**platform_pids(platform), "benchmark (this process)": os.getpid()})

    ids: list[str] = []
    rpc_durations: list[float] = []
    failures: list[str] = []
    next_number = 0
    last_reply_at = 0.0

    async def worker() -> None:
        nonlocal next_number, last_reply_at
        while next_number < inquiries:
            number = next_number
            next_number += 1
            began = time.perf_counter()
            try:
                ids.append(await pipeline.register_and_assign(number))
            except grpc.aio.AioRpcError as error:
                failures.append(f"{error.code().name}: {error.details()}")
                continue
            last_reply_at = time.perf_counter()
            rpc_durations.append(last_reply_at - began)

    def done(now: Consumed, key: tuple[str, str]) -> int:
        return now.get(key, 0) - since.get(key, 0)

    ops_before = await opcounters(pipeline.mongo)
    own_before = pipeline.commands.count
    cpu_before = sampler.snapshot()
    began = time.perf_counter()
    workers = asyncio.gather(*(worker() for _ in range(concurrency)))
    last_case_at: float | None = None
    last_notice_at: float | None = None
    deadline = began + 60 + inquiries * 0.5
    try:
        while time.perf_counter() < deadline:
            await asyncio.sleep(POLL_INTERVAL_S)
            if not workers.done():
                continue
            now = await pipeline.consumed()
            if last_case_at is None and done(now, CASE_OPENED_BY) >= len(ids):
                last_case_at = time.perf_counter()
            if done(now, NOTICE_RECORDED_BY) >= len(ids):
                last_notice_at = time.perf_counter()
                break
        cpu_after = sampler.snapshot()
        ops_after = await opcounters(pipeline.mongo)
        own_commands = pipeline.commands.count - own_before
        await workers
    finally:
        workers.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await workers
    registered_at = last_reply_at or time.perf_counter()

    drained = await pipeline.wait_drained(since, len(ids), 120)
    drained_at = time.perf_counter()
    if failures:
        say(f"  {len(failures)} register or assign calls FAILED, e.g. {failures[0]}")
    report.details["throughput_rpc_failures"] = len(failures)
    say(
        f"  RegisterInquiry + AssignInquiry: {len(ids)} ok in {registered_at - began:.2f} s "
        f"({len(ids) / (registered_at - began):.0f}/s); per call {spread(ms(rpc_durations))}"
    )
    if last_notice_at is None:
        say(f"  NOT all notices appeared within {deadline - began:.0f} s")
        report.add("cases_per_s", "pipeline cases/s", None, "cases/s")
        return
    window = last_notice_at - began
    found = await pipeline.notice_count_for(ids)
    if last_case_at is not None:
        say(f"  last case (visitation) readable {last_case_at - began:.2f} s after the first call")
    say(f"  last notice readable {window:.2f} s after the first call; {found}/{len(ids)} checked")
    cases_per_s = len(ids) / window
    txn_rate = cases_per_s * pipeline.txns_per_case
    say(f"  cases/s: {cases_per_s:.1f}")
    say(
        f"  pipeline database transactions/s: {cases_per_s:.1f} x {pipeline.txns_per_case} "
        f"= {txn_rate:.0f} (compared with the raw rate in step 4b)"
    )
    if drained:
        full = drained_at - began
        say(
            f"  every consumer (documents, leverance too) done {full:.2f} s after the first call: "
            f"{len(ids) * pipeline.txns_per_case / full:.0f} txn/s over the whole run"
        )
        report.details["throughput_drained_s"] = full
        report.details["throughput_drained_txn_per_s"] = len(ids) * pipeline.txns_per_case / full
    else:
        say("  consumers NOT drained within 120 s after the last notice")
    usage = CpuSampler.usage(cpu_before, cpu_after)
    print_cpu(f"the {window:.1f} s throughput window", usage)
    report.details["throughput_cpu_percent_of_core"] = usage
    report.add(
        "rpc_rate",
        "inquiries registered+assigned/s",
        len(ids) / (registered_at - began),
        "calls/s",
    )
    report.add("cases_per_s", "pipeline cases/s", cases_per_s, "cases/s")
    report.add(
        "pipeline_txn_per_s",
        f"pipeline txn/s (cases/s x {pipeline.txns_per_case})",
        txn_rate,
        "txn/s",
    )
    secantus = usage.get(SECANTUS)
    per_case = ops_per(ops_before, ops_after, len(ids), own_commands)
    say(f"  database operations per case (without the benchmark's own reads): {fmt_ops(per_case)}")
    say(f"  secantus CPU per case: {cpu_ms_per(secantus, cases_per_s) or math.nan:.1f} ms")
    report.details["pipeline_ops_per_case"] = per_case
    report.add("secantus_cpu", "secantus CPU in throughput window", secantus, "% core")
    report.add(
        "secantus_ms_per_case",
        "secantus CPU per case",
        cpu_ms_per(secantus, cases_per_s),
        "ms",
    )
    others = usage["(everything else on the machine)"]
    report.add("noise_throughput", "other processes' CPU, throughput window", others, "% core")


async def judge_throughput(platform: Platform, report: Report, *, concurrency: int) -> None:
    """Measure the raw rate again and compare the pipeline with the mean of both raw rates.

    This machine's speed drifts (other tenants): raw rates 40 % apart were seen in one run.
    Raw figures taken before and after the pipeline's window bracket it.
    """
    heading(f"4b. Raw floor again, after the pipeline: bare transactions at {concurrency}")
    async with raw_database(platform) as client:
        durations, wall = await raw_transactions_at(client, RAW_RECHECK_TXNS, concurrency)
    after = len(durations) / wall
    before = report.value(f"raw_txn_rate_c{concurrency}")
    raw_rate = (before + after) / 2 if before is not None else after
    txn_rate = report.value("pipeline_txn_per_s")
    throughput_ratio = ratio(txn_rate, raw_rate)
    say(
        f"  raw transactions/s at concurrency {concurrency}: {before or math.nan:.0f} before "
        f"the pipeline, {after:.0f} after, mean {raw_rate:.0f}"
    )
    say(
        f"  ratio pipeline / raw: {throughput_ratio or math.nan:.2f} "
        f"(target >= {TARGET_THROUGHPUT_RATIO:.2f})"
    )
    report.add(
        f"raw_txn_rate_after_c{concurrency}",
        f"raw txn rate after the pipeline (conc. {concurrency})",
        after,
        "txn/s",
    )
    report.add(
        "throughput_ratio",
        f"pipeline txn/s / mean raw txn/s (conc. {concurrency})",
        throughput_ratio,
        "",
        target=f">= {TARGET_THROUGHPUT_RATIO:.2f}",
        met=throughput_ratio is not None and throughput_ratio >= TARGET_THROUGHPUT_RATIO,
    )


# --------------------------------------------------------------------------------------------
# 5. Latency at light load


@dataclass
class Sighting:
    """When each consultant's case notice became readable, by case id."""

    notice_seen: dict[str, float] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def on_notice(self, doc: Doc, at: float) -> None:
        """A notice document became readable; only the consultant's case notice counts."""
        if doc.get("kind") == CASE_NOTICE:
            self.notice_seen.setdefault(doc["subject_id"], at)
            self.changed.set()


async def watch_notices(pipeline: Pipeline, sighting: Sighting, ready: asyncio.Event) -> None:
    """Report every notice inserted, and when it was seen, on one change stream.

    One stream only: every open change stream costs SecantusDB CPU on every commit of any
    service (about 0.3-0.4 ms per commit here), which the platform would not pay in production.
    """
    stream = await pipeline.notices.watch([{"$match": {"operationType": "insert"}}])
    try:
        ready.set()
        async for change in stream:
            sighting.on_notice(change["fullDocument"], time.perf_counter())
    finally:
        await stream.close()


async def register_ahead(pipeline: Pipeline, total: int) -> list[str]:
    """Register the inquiries the latency run will assign, and let their processing settle."""
    since = await pipeline.consumed()
    ids: list[str] = []
    for start in range(0, total, 20):
        ids += await asyncio.gather(
            *(pipeline.register(n) for n in range(start, min(start + 20, total)))
        )
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        if (await pipeline.processed_since(since))["documents"] >= total:
            break
        await asyncio.sleep(DRAIN_POLL_S)
    await asyncio.sleep(1.0)
    say(f"  {total} inquiries registered ahead; latency runs from the AssignInquiry call")
    return ids


# Where the time of the measured path goes, from the services' own histograms: each step of
# the path from the AssignInquiry call to the notice, in order.
PATH_STEPS: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    ("AssignInquiry call (gRPC, intake's txn)", "intake", "vias_rpc_latency_seconds",
     {"method": "AssignInquiry", "code": "OK"}),
    ("intake commit -> broker ack (relay)", "intake", "vias_event_relay_delay_seconds", {}),
    ("send -> fetched by visitation (hop)", "visitation", "vias_event_delivery_delay_seconds",
     {"group": "vias.visitation"}),
    ("fetch -> visitation commit (handler txn)", "visitation", "vias_event_handling_seconds",
     {"group": "vias.visitation"}),
    ("visitation commit -> broker ack (relay)", "visitation", "vias_event_relay_delay_seconds",
     {}),
    ("send -> fetched by notifications (hop)", "notifications",
     "vias_event_delivery_delay_seconds", {"group": "vias.notifications"}),
    ("fetch -> notifications commit (handler txn)", "notifications",
     "vias_event_handling_seconds", {"group": "vias.notifications"}),
)  # fmt: skip


@dataclass
class Histogram:
    """A Prometheus histogram's cumulative bucket counts, sum and count at one moment."""

    buckets: dict[float, float] = field(default_factory=dict)
    total: float = 0.0
    count: float = 0.0

    def minus(self, earlier: Histogram) -> Histogram:
        """What was observed between `earlier` and this reading."""
        return Histogram(
            {le: n - earlier.buckets.get(le, 0.0) for le, n in self.buckets.items()},
            self.total - earlier.total,
            self.count - earlier.count,
        )

    def quantile(self, q: float) -> float | None:
        """The q-quantile, interpolated linearly within its bucket."""
        if self.count <= 0:
            return None
        wanted = q * self.count
        lower, below = 0.0, 0.0
        for le in sorted(self.buckets):
            cumulative = self.buckets[le]
            if cumulative >= wanted:
                if math.isinf(le) or cumulative == below:
                    return lower
                return lower + (le - lower) * (wanted - below) / (cumulative - below)
            lower, below = le, cumulative
        return lower

    def mean(self) -> float | None:
        """The mean observation."""
        return self.total / self.count if self.count > 0 else None


def read_histogram(text: str, metric: str, labels: dict[str, str]) -> Histogram:
    """A histogram from /metrics text, summed over the series whose labels include `labels`."""
    found = Histogram()
    for family in text_string_to_metric_families(text):
        if family.name != metric:
            continue
        for sample in family.samples:
            if any(sample.labels.get(k) != v for k, v in labels.items()):
                continue
            if sample.name.endswith("_bucket"):
                le = float(sample.labels["le"])
                found.buckets[le] = found.buckets.get(le, 0.0) + sample.value
            elif sample.name.endswith("_sum"):
                found.total += sample.value
            elif sample.name.endswith("_count"):
                found.count += sample.value
    return found


def path_histograms(platform: Platform) -> list[Histogram]:
    """The histograms of PATH_STEPS now."""
    texts = {name: fetch_text(platform.metrics_url(name)) for name in platform.services}
    return [read_histogram(texts[svc], metric, labels) for _, svc, metric, labels in PATH_STEPS]


def print_path_steps(
    before: list[Histogram], after: list[Histogram], raw_txn: float | None, raw_hop: float | None
) -> dict[str, float | None]:
    """Per step of the path: p50 and mean over the phase, beside the raw floor it compares to."""
    say("  where the time goes, step by step (the services' histograms over this phase;")
    say("  p50 interpolated within buckets):")
    say(f"    {'step':<44} {'p50':>8} {'mean':>8} {'n':>6}")
    figures: dict[str, float | None] = {}
    total = 0.0
    for (label, _, _, _), first, last in zip(PATH_STEPS, before, after, strict=True):
        observed = last.minus(first)
        p50, mean = observed.quantile(0.5), observed.mean()
        figures[label] = None if p50 is None else p50 * 1000
        total += p50 or 0.0
        shown = "n/a" if p50 is None else f"{p50 * 1000:.1f}"
        mean_shown = "n/a" if mean is None else f"{mean * 1000:.1f}"
        say(f"    {label:<44} {shown:>8} {mean_shown:>8} {observed.count:>6.0f}")
    say(f"    {'sum of the steps':<44} {total * 1000:>8.1f}")
    if raw_txn is not None and raw_hop is not None:
        say(
            f"    (raw floors: a bare transaction {raw_txn:.1f} ms, a bare produce -> consume "
            f"hop {raw_hop:.1f} ms, which includes its ack)"
        )
    return figures


async def measure_latency(
    platform: Platform,
    pipeline: Pipeline,
    report: Report,
    *,
    rate: float,
    seconds: float,
    judged: bool = True,
) -> None:
    """Open-loop load at `rate`/s for `seconds`; latency from call to readable notice.

    The judged phase runs at the issue's light rate and its figures carry the target; another
    phase (`judged=False`) records the same figures under keys suffixed with its rate, for
    information only.
    """
    total = max(1, round(rate * seconds))
    step = "5" if judged else "6"
    suffix = "" if judged else f"_at_{rate:g}"
    at = "light load" if judged else f"{rate:g}/s"
    heading(f"{step}. Latency at {rate:g}/s for {seconds:g} s ({total} inquiries, open loop)")
    capacity = report.value("cases_per_s")
    if capacity is not None and rate > 0.8 * capacity:
        say(
            f"  note: {rate:g}/s is {rate / capacity:.0%} of the {capacity:.1f} cases/s the "
            "pipeline sustained in step 4 on this machine, so this is not a light load here: "
            "the latency includes queueing"
        )
    sighting = Sighting()
    call_started: dict[str, float] = {}
    replied: dict[str, float] = {}
    lags: list[float] = []
    failures: list[str] = []

    consumed_before = await pipeline.consumed()
    registered = await register_ahead(pipeline, total)
    ready = asyncio.Event()
    detector = asyncio.create_task(watch_notices(pipeline, sighting, ready))
    await asyncio.wait([detector, asyncio.create_task(ready.wait())], return_when=FIRST_COMPLETED)
    if detector.done():
        say(f"  the change stream on notices failed: {detector.exception()!r}")
        report.add(f"e2e_p50_ms{suffix}", f"end-to-end latency p50 ({at})", None, "ms")
        return
    method = "one MongoDB change stream on vias_notifications.notices"
    say(f"  readability detected by {method}")
    report.details["latency_detection"] = method
    # Wall clock minus monotonic clock: places visitation's opened_at on the monotonic clock.
    wall_offset = time.time() - time.perf_counter()
    sampler = CpuSampler({**platform_pids(platform), "benchmark (this process)": os.getpid()})
    steps_before = await asyncio.to_thread(path_histograms, platform)
    try:
        cpu_before = sampler.snapshot()
        began = time.perf_counter() + 0.1

        async def one(number: int) -> None:
            scheduled = began + number / rate
            await asyncio.sleep(max(scheduled - time.perf_counter(), 0))
            started = time.perf_counter()
            lags.append(started - scheduled)
            inquiry_id = registered[number]
            try:
                await pipeline.assign(inquiry_id)
            except grpc.aio.AioRpcError as error:
                failures.append(f"{error.code().name}: {error.details()}")
                return
            replied[inquiry_id] = time.perf_counter()
            call_started[inquiry_id] = started

        await asyncio.gather(*(one(n) for n in range(total)))
        deadline = time.perf_counter() + 60
        while len(sighting.notice_seen) < len(call_started) and time.perf_counter() < deadline:
            sighting.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sighting.changed.wait(), 0.1)
        cpu_after = sampler.snapshot()
    finally:
        detector.cancel()
        await asyncio.gather(detector, return_exceptions=True)

    if failures:
        say(f"  {len(failures)} AssignInquiry calls FAILED, e.g. {failures[0]}")
    # Read once, after the run: each inquiry's case and when visitation opened it.
    cases = {
        doc["inquiry_id"]: doc
        async for doc in pipeline.cases.find(
            {"inquiry_id": {"$in": list(call_started)}},
            projection={"inquiry_id": 1, "opened_at": 1},
        )
    }
    missing = [i for i in call_started if cases.get(i, {}).get("_id") not in sighting.notice_seen]
    if missing:
        say(f"  {len(missing)} notices NOT seen within 60 s of the last call")
    say(f"  schedule lag of the client (call start - planned time): {spread(ms(lags))}")
    end_to_end: list[float] = []
    rpc: list[float] = []
    to_case: list[float] = []
    to_notice: list[float] = []
    for inquiry_id, started in call_started.items():
        case = cases.get(inquiry_id)
        notice_at = sighting.notice_seen.get(case["_id"]) if case is not None else None
        if case is None or notice_at is None:
            continue
        end_to_end.append(notice_at - started)
        rpc.append(replied[inquiry_id] - started)
        case_at = case["opened_at"].timestamp() - wall_offset
        to_case.append(case_at - replied[inquiry_id])
        to_notice.append(notice_at - case_at)
    e2e_ms = ms(end_to_end)
    say(f"  end to end (call -> notice readable): {spread(e2e_ms)}")
    say("  broken down:")
    say(f"    AssignInquiry call (1 txn):                {spread(ms(rpc))}")
    say(f"    reply -> case being opened (hop):           {spread(ms(to_case))}")
    say(f"    case being opened -> notice readable:       {spread(ms(to_notice))}")
    say("    (the middle point is the case's opened_at, taken by visitation's handler inside its")
    say("     transaction: its commit counts in the last step)")
    raw_txn = report.value("raw_txn_p50_ms")
    raw_hop = report.value("raw_hop_p50_ms")
    steps_after = await asyncio.to_thread(path_histograms, platform)
    report.details[f"latency_steps_p50_ms{suffix}"] = print_path_steps(
        steps_before, steps_after, raw_txn, raw_hop
    )
    raw_sum = (
        PATH_TRANSACTIONS * raw_txn + PATH_HOPS * raw_hop
        if raw_txn is not None and raw_hop is not None
        else None
    )
    p50 = percentile(e2e_ms, 50) if e2e_ms else None
    latency_ratio = ratio(p50, raw_sum)
    say(
        f"  raw sum of the path: {PATH_TRANSACTIONS} x {raw_txn or math.nan:.1f} ms (txn p50) + "
        f"{PATH_HOPS} x {raw_hop or math.nan:.1f} ms (hop p50) = {raw_sum or math.nan:.1f} ms"
    )
    say(
        f"  ratio pipeline p50 / raw sum: {latency_ratio or math.nan:.2f} "
        f"(target <= {TARGET_LATENCY_RATIO:g})"
    )
    usage = CpuSampler.usage(cpu_before, cpu_after)
    print_cpu(f"the {rate:g}/s phase", usage)
    report.details[f"latency_cpu_percent_of_core{suffix}"] = usage
    others = usage["(everything else on the machine)"]
    report.add(f"noise_latency{suffix}", f"other processes' CPU ({at})", others, "% core")
    report.details[f"latency_breakdown_p50_ms{suffix}"] = {
        "rpc": percentile(ms(rpc), 50),
        "reply_to_case": percentile(ms(to_case), 50),
        "case_to_notice": percentile(ms(to_notice), 50),
    }
    report.add(f"e2e_p50_ms{suffix}", f"end-to-end latency p50 ({at})", p50, "ms")
    for q in (95, 99):
        value = percentile(e2e_ms, q) if e2e_ms else None
        report.add(f"e2e_p{q}_ms{suffix}", f"end-to-end latency p{q} ({at})", value, "ms")
    if judged:
        report.add("raw_path_sum_ms", "raw sum: 3 txn p50 + 2 hop p50", raw_sum, "ms")
        report.add(
            "latency_ratio",
            "pipeline p50 / raw sum",
            latency_ratio,
            "",
            target=f"<= {TARGET_LATENCY_RATIO:g}",
            met=latency_ratio is not None and latency_ratio <= TARGET_LATENCY_RATIO,
        )
    else:
        report.add(f"latency_ratio{suffix}", f"pipeline p50 / raw sum ({at})", latency_ratio, "")
    # The background consumers may still be at work: the next phase starts on a quiet platform.
    if not await pipeline.wait_drained(consumed_before, total, 120):
        say("  consumers NOT drained within 120 s after this phase")


# --------------------------------------------------------------------------------------------
# Orchestration


def light_rate(report: Report, args: argparse.Namespace) -> float:
    """The judged latency phase's rate: as given, else the light share of the capacity."""
    capacity = report.value("cases_per_s")
    if args.light_rate is not None:
        rate = float(args.light_rate)
    elif capacity is None:
        rate = 1.0
        say("  no capacity was measured: the light load defaults to 1/s")
    else:
        rate = max(round(args.light_share * capacity, 1), 0.1)
    if capacity is not None:
        say(
            f"  light load: {rate:g} inquiries/s, {rate / capacity:.0%} of the {capacity:.1f} "
            "cases/s the pipeline sustained in step 4"
        )
    report.add("light_rate", "light load rate (judged latency phase)", rate, "/s")
    return rate


async def measure_running(platform: Platform, report: Report, args: argparse.Namespace) -> None:
    """Steps 3 to 5, against a running platform."""
    raw_total = min(max(200, RAW_TXNS_PER_INQUIRY * args.inquiries), 3000)
    await measure_raw_mongo(platform, report, concurrency=args.concurrency, total=raw_total)
    await measure_raw_kafka(platform, report)
    pipeline = Pipeline(platform)
    try:
        await asyncio.wait_for(pipeline.channel.channel_ready(), 10)
        await warm_up(pipeline)
        await measure_throughput(
            platform, pipeline, report, inquiries=args.inquiries, concurrency=args.concurrency
        )
        await judge_throughput(platform, report, concurrency=args.concurrency)
        await asyncio.sleep(1.0)
        await measure_latency(
            platform, pipeline, report, rate=light_rate(report, args), seconds=args.light_seconds
        )
        if args.also_rate > 0:
            await asyncio.sleep(1.0)
            await measure_latency(
                platform,
                pipeline,
                report,
                rate=args.also_rate,
                seconds=args.light_seconds,
                judged=False,
            )
    finally:
        await pipeline.close()


def fmt_value(figure: Figure) -> str:
    """A figure's value with its unit."""
    if figure.value is None or math.isnan(figure.value):
        return "n/a"
    digits = 2 if figure.unit in ("", "s") else 1
    return f"{figure.value:,.{digits}f} {figure.unit}".rstrip()


def print_summary(report: Report) -> None:
    """The final table: every figure, its target and whether it was met."""
    heading("Summary (informational; targets are not asserted)")
    rows = [("figure", "value", "target", "met")]
    for figure in report.figures:
        met = "" if figure.met is None else ("yes" if figure.met else "NO")
        rows.append((figure.label, fmt_value(figure), figure.target or "-", met or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for number, row in enumerate(rows):
        say("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if number == 0:
            say("  " + "  ".join("-" * w for w in widths))
    judged = [f for f in report.figures if f.met is not None]
    say(f"  targets met: {sum(1 for f in judged if f.met)} of {len(judged)}")


def write_json(path: Path, report: Report, args: argparse.Namespace, elapsed: float) -> None:
    """Every figure and detail as JSON."""
    payload = {
        "finished_at": datetime.now(UTC).isoformat(),
        "arguments": vars(args) | {"json": str(args.json) if args.json else None},
        "cpus": NCPU,
        "load_average": os.getloadavg(),
        "run_seconds": elapsed,
        "figures": [asdict(f) for f in report.figures],
        "details": report.details,
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    say(f"  figures written to {path}")


def stop_platform(platform: Platform) -> None:
    """Stop every process of the platform; SIGKILL if stopping is interrupted or fails."""
    heading("Stopping the platform")
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    began = time.perf_counter()
    try:
        platform.stop()
    except BaseException as error:
        say(f"  clean stop failed ({error!r}); killing")
        platform.kill()
    finally:
        signal.signal(signal.SIGINT, previous)
    left = [
        f"{name} (pid {process.pid})"
        for name, process in platform.processes().items()
        if process.is_running()
    ]
    still = ", ".join(left) or "none"
    say(f"  stopped in {time.perf_counter() - began:.2f} s; still running: {still}")


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGINT/SIGTERM handler: raise KeyboardInterrupt wherever the main thread is.

    asyncio.run's own SIGINT handling only cancels the main task, and a cancellation can be
    swallowed by a library; an exception out of the event loop always unwinds to main().
    """
    raise KeyboardInterrupt


def install_signal_handlers() -> None:
    """Stop the platform on Ctrl-C and SIGTERM; an inherited 'ignore SIGINT' is respected."""
    signal.signal(signal.SIGTERM, _raise_interrupt)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _raise_interrupt)


def positive_float(text: str) -> float:
    """argparse type: a float greater than zero."""
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than zero")
    return value


def non_negative_float(text: str) -> float:
    """argparse type: a float >= 0."""
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer greater than zero."""
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than zero")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inquiries", type=positive_int, default=300, help="default: 300")
    parser.add_argument("--concurrency", type=positive_int, default=20, help="default: 20")
    parser.add_argument(
        "--light-rate",
        type=positive_float,
        default=None,
        help="inquiries/s of the judged latency phase; default: --light-share of the capacity "
        "the throughput step measured",
    )
    parser.add_argument(
        "--light-share",
        type=positive_float,
        default=LIGHT_SHARE,
        help=f"light load as a share of the measured capacity, default: {LIGHT_SHARE:g}",
    )
    parser.add_argument(
        "--idle-seconds", type=positive_float, default=30.0, help="idle window, default: 30"
    )
    parser.add_argument("--light-seconds", type=positive_float, default=10.0, help="default: 10")
    parser.add_argument(
        "--also-rate",
        type=non_negative_float,
        default=0.0,
        help="a second latency phase at this rate, informational (0: none), default: 0",
    )
    parser.add_argument(
        "--fetch-wait-ms",
        type=positive_int,
        default=None,
        help="the platform consumers' fetch wait (VIAS_KAFKA_FETCH_MAX_WAIT_MS); "
        "default: the platform's own setting",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--keep-dir", action="store_true", help="keep the temporary directory (logs, data)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every measurement against a fresh platform; 0 unless something crashed."""
    args = parse_args(argv)
    run_began = time.perf_counter()
    install_signal_handlers()
    workdir = Path(tempfile.mkdtemp(prefix="vias-bench-"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("VIAS_")}
    platform_env = (
        {}
        if args.fetch_wait_ms is None
        else {"VIAS_KAFKA_FETCH_MAX_WAIT_MS": str(args.fetch_wait_ms)}
    )
    platform = Platform(
        ROOT,
        workdir / "var",
        env=platform_env,
        base_env=base_env,
        mongo_storage=workdir / "mongo",
        mongo_sync_on_commit=True,  # as ./scripts/run does
        ephemeral_ports=True,
    )
    report = Report()
    light = (
        f"{args.light_rate:g}/s"
        if args.light_rate is not None
        else f"{args.light_share:.0%} of the measured capacity"
    )
    say(
        f"VIAS benchmark: {args.inquiries} inquiries at concurrency {args.concurrency}, "
        f"light load {light} for {args.light_seconds:g} s; {NCPU} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    say(f"  working directory {workdir} (SecantusDB on disk in {workdir / 'mongo'})")
    fetch_wait = args.fetch_wait_ms or Settings.model_fields["kafka_fetch_max_wait_ms"].default
    say(
        f"  the platform's consumers fetch with a {fetch_wait} ms wait; the raw hop's consumer "
        f"with {FETCH_MAX_WAIT_MS} ms"
    )
    code = 0
    try:
        measure_startup(platform, report)
        wait_consumers_joined(platform, report)
        measure_idle(platform, report, seconds=args.idle_seconds)
        asyncio.run(measure_running(platform, report, args))
        heading("Memory after the load")
        measure_memory(platform, report, when="after load", targets=False)
    except KeyboardInterrupt:
        say("\ninterrupted")
        code = 130
    except Exception as error:
        say(f"\nbenchmark FAILED: {error!r}")
        traceback.print_exc()
        for name, process in platform.processes().items():
            if process.log_path is not None and not process.is_running():
                say(f"  {name} is not running; log {process.log_path}")
        code = 1
    finally:
        stop_platform(platform)
        elapsed = time.perf_counter() - run_began
        if report.figures:
            print_summary(report)
        if args.json is not None:
            write_json(args.json, report, args, elapsed)
        say(f"\nwhole run took {elapsed:.1f} s")
        if args.keep_dir:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
