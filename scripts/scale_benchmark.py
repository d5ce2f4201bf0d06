"""Scale benchmark of the statistics report and the paged list calls (issue 18.5, a smaller
version: see "What it does not do" below).

Usage (from the repository root):

    PYTHONPATH=. .venv/bin/python scripts/scale_benchmark.py [--years 10] [--repeats 20]

It starts a fresh platform with intake and statistics (embedded broker, SecantusDB in a
temporary directory), registers one inquiry through gRPC and bulk-loads, written straight into
the databases (for loading only):

- intake: `--years` x 5,500 inquiries in intake's stored shape (clones of the registered one,
  each with its own id, registration time and main area);
- statistics: per year 5,500 inquiry facts, 2,500 course facts (1-3 target groups each),
  4,000 KaS facts, 1,250 survey facts, 10,000 deadline facts, spending and appropriations,
  and the year's counters they add up to (`services/statistics/counters.py`, as the consumers
  would have kept them).

Then it measures through gRPC: GetAnnualReport of the last year (p50/p95 over `--repeats`),
and for each paged call in LISTINGS (one line each) the first page and the page `--depth`
pages deep, reached by following `next_page_token` (p50/p95, page size 50); and it asks
MongoDB to `explain` the report's read and each query a listing's pages run (a deep page runs
one query per keyset branch), printing whether an index served it.

What it does not do (yet): load a year through every service's write paths, publish the bulk
as events (so the read model here is loaded as facts and counters, not rebuilt from the
topics), or load visitation, leverance, documents and notifications and time their listings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")

import grpc
from pymongo import AsyncMongoClient

from services.kernel.auth import TokenAuthority
from services.kernel.paging import Paging, combined
from services.platform.infra import Platform
from services.statistics import counters
from tests.support import adult_form
from vias.intake.v1 import intake_pb2, intake_pb2_grpc
from vias.statistics.v1 import statistics_pb2, statistics_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = 50
AREAS = ("adults", "children_youth", "special_education", "other")
KINDS = ("form", "form", "form", "phone", "email", "internal")
GROUPS = ("citizen_relatives", "municipal_administration", "municipal_offer", "ppr", "other")
SERVICES = ("single_case", "citizen_course", "mini_single_case", "group_course", "theme_course")
TARGETS = ("autism_spectrum", "anxiety", "intellectual_disability", "adhd", "neglect", "other")
RULES = ("visitation.first_contact", "visitation.offer_answer", "leverance.proposal_due")
PER_YEAR = {
    "inquiries": 5_500,
    "courses": 2_500,
    "kas": 4_000,
    "surveys": 1_250,
    "deadlines": 10_000,
}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def insert(collection: Any, docs: list[dict[str, Any]], batch: int = 2_000) -> None:
    for start in range(0, len(docs), batch):
        await collection.insert_many(docs[start : start + batch], ordered=False)


async def insert_facts(db_stats: Any, collection: str, docs: list[dict[str, Any]]) -> None:
    """Statistics' facts in bulk, and what they add to their years' counters (as the consumers
    would have added it event by event)."""
    await insert(db_stats[collection], docs)
    for year, counts in counters.count_facts((collection, d) for d in docs).items():
        await db_stats[counters.COUNTERS].update_one(
            {"_id": year}, {"$inc": counters.increments(counts)}, upsert=True
        )


async def load(db_intake: Any, db_stats: Any, template: dict[str, Any], years: list[int]) -> int:
    rng = random.Random(18)
    loaded = 0
    for year in years:
        start = datetime(year, 1, 1, tzinfo=UTC)
        inquiries, facts = [], []
        for i in range(PER_YEAR["inquiries"]):
            key = f"bulk-{year}-{i}"
            area = rng.choice(AREAS)
            at = start + timedelta(minutes=rng.randrange(525_000))
            inquiries.append({**template, "_id": key, "registered_at": at, "main_area": area})
            facts.append(
                {
                    "_id": key,
                    "year": year,
                    "main_area": area,
                    "kind": rng.choice(KINDS),
                    "inquirer_group": rng.choice(GROUPS),
                    "target_groups": sorted(set(rng.sample(TARGETS, rng.randint(1, 3)))),
                }
            )
        await insert(db_intake.inquiries, inquiries)
        await insert_facts(db_stats, counters.INQUIRIES, facts)
        courses = [
            {
                "_id": f"case-{year}-{i}",
                "inquiry_id": f"bulk-{year}-{i}",
                "year": year,
                "service": rng.choice(SERVICES),
                "main_area": rng.choice(AREAS),
                "central_unit": rng.random() < 0.05,
                "target_groups": facts[i]["target_groups"],
            }
            for i in range(PER_YEAR["courses"])
        ]
        await insert_facts(db_stats, counters.COURSES, courses)
        kas = [
            {
                "_id": f"kas-{year}-{i}",
                "year": year,
                "supplier_id": f"kas-{i % 6}",
                "draft": False,
                "course": rng.random() < 0.4,
            }
            for i in range(PER_YEAR["kas"])
        ]
        await insert_facts(db_stats, counters.KAS, kas)
        surveys = [
            {
                "_id": f"survey-{year}-{i}",
                "year": year,
                "main_area": rng.choice(AREAS),
                "answers": (
                    {"overall_satisfaction": rng.choice(("very_high", "high", "low"))}
                    if rng.random() < 0.52
                    else {}
                ),
            }
            for i in range(PER_YEAR["surveys"])
        ]
        await insert_facts(db_stats, counters.SURVEYS, surveys)
        deadlines = []
        for i in range(PER_YEAR["deadlines"]):
            status = rng.choice(("met", "met", "met", "late", "missed", "open"))
            deadlines.append(
                {
                    "_id": f"deadline-{year}-{i}",
                    "year": year,
                    "rule": rng.choice(RULES),
                    "status": status,
                    "days_late": rng.randint(1, 20) if status == "late" else 0,
                }
            )
        await insert_facts(db_stats, counters.DEADLINES, deadlines)
        await insert_facts(
            db_stats,
            counters.SPENDING,
            [
                {
                    "_id": f"entry-{year}-{i}",
                    "year": year,
                    "main_area": rng.choice(AREAS),
                    "amount_ore": rng.randint(50_000, 5_000_000),
                    "approved": True,
                }
                for i in range(PER_YEAR["courses"])
            ],
        )
        await insert_facts(
            db_stats,
            counters.APPROPRIATIONS,
            [
                {"_id": f"{year}:{a}", "year": year, "main_area": a, "amount_ore": 4_000_000_000}
                for a in AREAS
            ],
        )
        loaded += len(inquiries) + len(facts) + len(courses) + len(kas) + len(surveys)
        loaded += len(deadlines) + PER_YEAR["courses"] + len(AREAS)
        print(f"  loaded {year}: {loaded:,} documents so far", flush=True)
    return loaded


async def timed(call: Any, request: Any, metadata: Any, repeats: int) -> tuple[list[float], Any]:
    times, reply = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        reply = await call(request, metadata=metadata, timeout=60)
        times.append((time.perf_counter() - began) * 1000)
    return times, reply


def plan_summary(plan: dict[str, Any]) -> str:
    """The stages of a query plan, innermost last; COLLSCAN means no index served it."""
    stages: list[str] = []
    node: Any = plan.get("queryPlanner", {}).get("winningPlan", plan)
    while isinstance(node, dict):
        if "stage" in node:
            stages.append(
                str(node["stage"]) + (f"({node.get('indexName')})" if node.get("indexName") else "")
            )
        node = (
            node.get("inputStage")
            or (node.get("inputStages") or [None])[0]
            or node.get("queryPlan")
        )
    return " <- ".join(stages) or str(plan)[:120]


@dataclass(frozen=True)
class Listing:
    """One paged list or search call, timed on its first page and on a deep one (following
    `next_page_token`), and the query it runs, explained. Every paged call uses the fields
    `page_size`, `page_token` and `next_page_token`; adding one is one line in LISTINGS."""

    name: str
    service: str
    stub: Callable[[grpc.aio.Channel], Any]
    method: str
    request: Callable[..., Any]
    """The request message class; called with page_size, page_token and `fields`."""
    fields: dict[str, Any]
    collection: str
    """Where the service keeps what it lists, with the filter and order it pages by."""
    query: dict[str, Any]
    sort: tuple[tuple[str, int], ...]


INQUIRY_ORDER = (("registered_at", -1), ("_id", 1))
LISTINGS = (
    Listing(
        "ListInquiries",
        "intake",
        intake_pb2_grpc.IntakeServiceStub,
        "ListInquiries",
        intake_pb2.ListInquiriesRequest,
        {"purpose": "benchmark"},
        "inquiries",
        {},
        INQUIRY_ORDER,
    ),
    Listing(
        "SearchInquiries main_area",
        "intake",
        intake_pb2_grpc.IntakeServiceStub,
        "SearchInquiries",
        intake_pb2.ListInquiriesRequest,
        {"purpose": "benchmark", "main_area": "adults"},
        "inquiries",
        {"main_area": "adults"},
        INQUIRY_ORDER,
    ),
)
"""The paged calls over the bulk-loaded data; the other services' list calls join when they
page and their stored shapes are bulk-loaded."""


async def time_listing(
    listing: Listing, channels: dict[str, Any], metadata: Any, repeats: int, depth: int
) -> tuple[list[float], list[float], str]:
    """p-values of the first page and of page `depth`, and the deep page's token."""
    call = getattr(listing.stub(channels[listing.service]), listing.method)

    def ask(token: str) -> Any:
        return listing.request(page_size=PAGE_SIZE, page_token=token, **listing.fields)

    first_ms, page = await timed(call, ask(""), metadata, repeats)
    token = page.next_page_token
    for _ in range(depth - 2):
        page = await call(ask(token), metadata=metadata, timeout=60)
        token = page.next_page_token
    deep_ms, _ = await timed(call, ask(token), metadata, repeats)
    return first_ms, deep_ms, token


async def explain_listing(db: Any, listing: Listing, token: str) -> dict[str, dict[str, Any]]:
    """The plans of the first page's query and of each query a deep page runs."""
    coll = db[listing.collection]
    sort = list(listing.sort)
    plans = {"first page": await coll.find(listing.query).sort(sort).limit(PAGE_SIZE + 1).explain()}
    paging = Paging(listing.sort, {"query": listing.query})
    for i, branch in enumerate(paging.after(token)):
        where = combined(listing.query, branch)
        plans[f"deep page, part {i + 1}"] = (
            await coll.find(where).sort(sort).limit(PAGE_SIZE + 1).explain()
        )
    return plans


def print_row(name: str, values: list[float], target: str) -> None:
    p50, p95 = statistics.median(values), percentile(values, 0.95)
    print(f"{name:40} {p50:8.1f} {p95:8.1f}   {target}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--depth", type=int, default=100, help="pages deep for the deep page")
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="vias-scale-"))
    platform = Platform(ROOT, var_dir, service_names=("intake", "statistics"), ephemeral_ports=True)
    began = time.perf_counter()
    platform.start(timeout=120)
    try:
        authority = TokenAuthority.from_settings(platform.settings)
        metadata = [("authorization", f"Bearer {authority.issue(user_id='bench', role='manager')}")]
        channels = {
            name: grpc.aio.insecure_channel(platform.grpc_address(name))
            for name in ("intake", "statistics")
        }
        intake = intake_pb2_grpc.IntakeServiceStub(channels["intake"])  # type: ignore[no-untyped-call]
        stats = statistics_pb2_grpc.StatisticsServiceStub(channels["statistics"])  # type: ignore[no-untyped-call]
        first = await intake.RegisterInquiry(adult_form(), metadata=metadata, timeout=30)
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            platform.mongo_uri, tz_aware=True
        )
        dbs = {name: mongo[platform.settings.database_name(name)] for name in channels}
        template = await dbs["intake"].inquiries.find_one({"_id": first.inquiry_id})
        assert template is not None
        last = datetime.now(UTC).year - 1
        years = list(range(last - args.years + 1, last + 1))
        print(f"platform up in {time.perf_counter() - began:.1f} s; loading {years[0]}-{years[-1]}")
        load_began = time.perf_counter()
        loaded = await load(dbs["intake"], dbs["statistics"], template, years)
        load_s = time.perf_counter() - load_began

        print("timing GetAnnualReport ...", flush=True)
        report_ms, report = await timed(
            stats.GetAnnualReport,
            statistics_pb2.GetAnnualReportRequest(year=last),
            metadata,
            args.repeats,
        )
        timings: list[tuple[str, list[float], str]] = [("GetAnnualReport", report_ms, "2000")]
        plans: dict[str, dict[str, Any]] = {
            "report: the year's counters": await dbs["statistics"][counters.COUNTERS]
            .find({"_id": last})
            .explain()
        }
        for listing in LISTINGS:
            print(f"timing {listing.name} ...", flush=True)
            first_ms, deep_ms, token = await time_listing(
                listing, channels, metadata, args.repeats, args.depth
            )
            timings += [
                (f"{listing.name} first page", first_ms, "200 (p95)"),
                (f"{listing.name} page {args.depth}", deep_ms, "200 (p95)"),
            ]
            for part, plan in (await explain_listing(dbs[listing.service], listing, token)).items():
                plans[f"{listing.name} {part}"] = plan
        inquiries_total = sum(
            r.cells[0].value
            for t in report.tables
            if t.id == "inquiries"
            for r in t.rows
            if r.keys == ["I alt", "I alt"]
        )
        print()
        print(f"volume: {args.years} years, {loaded:,} documents bulk-loaded in {load_s:.1f} s")
        print(
            f"report {last}: {len(report.tables)} tables, "
            f"{inquiries_total:,.0f} inquiries in the year"
        )
        print(f"{'call':40} {'p50 ms':>8} {'p95 ms':>8}   target")
        for name, values, target in timings:
            print_row(name, values, target)
        print()
        for name, plan in plans.items():
            summary = plan_summary(plan)
            verdict = "COLLECTION SCAN" if "COLLSCAN" in summary else "index"
            print(f"{name:48} {verdict:16} {summary}")
        await mongo.close()
    finally:
        platform.stop()


if __name__ == "__main__":
    asyncio.run(main())
