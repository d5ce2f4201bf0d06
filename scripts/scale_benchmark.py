"""Scale benchmark of the statistics report and the paged intake listing (issue 18.5, a smaller
version: see "What it does not do" below).

Usage (from the repository root):

    PYTHONPATH=. .venv/bin/python scripts/scale_benchmark.py [--years 10] [--repeats 20]

It starts a fresh platform with intake and statistics (embedded broker, SecantusDB in a
temporary directory), registers one inquiry through gRPC and bulk-loads, written straight into
the databases (for loading only):

- intake: `--years` x 5,500 inquiries in intake's stored shape (clones of the registered one,
  each with its own id, registration time and main area);
- statistics: per year 5,500 inquiry facts, 2,500 course facts (1-3 target groups each),
  4,000 KaS facts, 1,250 survey facts, 10,000 deadline facts, spending and appropriations.

Then it measures through gRPC: GetAnnualReport of the last year (p50/p95 over `--repeats`),
ListInquiries' first page and a page `--depth` pages deep (p50/p95, page size 50), and asks
MongoDB to `explain` each query those calls run, printing whether an index served it.

What it does not do (yet): load a year through every service's write paths, publish the bulk
as events (so the read model here is loaded as facts, not rebuilt from the topics), load
visitation, leverance, documents and notifications, or time their listings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")

import grpc
from pymongo import AsyncMongoClient

from services.identity.login import local_login
from services.platform.infra import Platform
from tests.support import adult_form
from vias.intake.v1 import intake_pb2, intake_pb2_grpc
from vias.statistics.v1 import statistics_pb2, statistics_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
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
        await insert(db_stats.inquiry_facts, facts)
        courses = [
            {
                "_id": f"case-{year}-{i}",
                "inquiry_id": f"bulk-{year}-{i}",
                "year": year,
                "service": rng.choice(SERVICES),
                "main_area": rng.choice(AREAS),
                "central_unit": rng.random() < 0.05,
            }
            for i in range(PER_YEAR["courses"])
        ]
        await insert(db_stats.course_facts, courses)
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
        await insert(db_stats.kas_facts, kas)
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
        await insert(db_stats.survey_facts, surveys)
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
        await insert(db_stats.deadline_facts, deadlines)
        await insert(
            db_stats.spending_facts,
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
        await insert(
            db_stats.appropriation_facts,
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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--depth", type=int, default=100, help="pages deep for the deep page")
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="vias-scale-"))
    platform = Platform(
        ROOT, var_dir, service_names=("intake", "statistics", "identity"), ephemeral_ports=True
    )
    began = time.perf_counter()
    platform.start(timeout=120)
    try:
        token = local_login(platform.issuer_url, "bench", "manager").access_token
        metadata = [("authorization", f"Bearer {token}")]
        intake = intake_pb2_grpc.IntakeServiceStub(
            grpc.aio.insecure_channel(platform.grpc_address("intake"))
        )
        stats = statistics_pb2_grpc.StatisticsServiceStub(
            grpc.aio.insecure_channel(platform.grpc_address("statistics"))
        )
        first = await intake.RegisterInquiry(adult_form(), metadata=metadata, timeout=30)
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            platform.mongo_uri, tz_aware=True
        )
        db_intake = mongo[platform.settings.database_name("intake")]
        db_stats = mongo[platform.settings.database_name("statistics")]
        template = await db_intake.inquiries.find_one({"_id": first.inquiry_id})
        assert template is not None
        last = datetime.now(UTC).year - 1
        years = list(range(last - args.years + 1, last + 1))
        print(f"platform up in {time.perf_counter() - began:.1f} s; loading {years[0]}-{years[-1]}")
        load_began = time.perf_counter()
        loaded = await load(db_intake, db_stats, template, years)
        load_s = time.perf_counter() - load_began

        print("timing GetAnnualReport ...", flush=True)
        report_ms, report = await timed(
            stats.GetAnnualReport,
            statistics_pb2.GetAnnualReportRequest(year=last),
            metadata,
            args.repeats,
        )
        print(f"  {report_ms}", flush=True)
        print("timing ListInquiries ...", flush=True)
        listing = intake_pb2.ListInquiriesRequest(page_size=50, purpose="benchmark")
        first_ms, page = await timed(intake.ListInquiries, listing, metadata, args.repeats)
        token = page.next_page_token
        for _ in range(args.depth - 1):
            page = await intake.ListInquiries(
                intake_pb2.ListInquiriesRequest(page_size=50, page_token=token, purpose="b"),
                metadata=metadata,
                timeout=60,
            )
            token = page.next_page_token
        deep_ms, _ = await timed(
            intake.ListInquiries,
            intake_pb2.ListInquiriesRequest(page_size=50, page_token=token, purpose="b"),
            metadata,
            args.repeats,
        )
        sort = [("registered_at", -1), ("_id", 1)]
        some = await db_intake.inquiries.find_one({"_id": f"bulk-{last}-0"})
        assert some is not None
        deep_filter = {"registered_at": {"$lt": some["registered_at"]}}
        plans = {
            "ListInquiries first page": await db_intake.inquiries.find({})
            .sort(sort)
            .limit(51)
            .explain(),
            "ListInquiries deep page": await db_intake.inquiries.find(deep_filter)
            .sort(sort)
            .limit(51)
            .explain(),
            "report: inquiry facts of a year": await db_stats.inquiry_facts.find(
                {"year": last}
            ).explain(),
            "report: course facts of a year": await db_stats.course_facts.find(
                {"year": last}
            ).explain(),
            "report: deadline facts of a year": await db_stats.deadline_facts.find(
                {"year": last}
            ).explain(),
            "report: target groups by inquiry id": await db_stats.inquiry_facts.find(
                {"_id": {"$in": [f"bulk-{last}-{i}" for i in range(100)]}}
            ).explain(),
        }
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
        print(f"{'call':32} {'p50 ms':>8} {'p95 ms':>8}   target")
        for name, values, target in (
            ("GetAnnualReport", report_ms, "2000"),
            ("ListInquiries first page", first_ms, "200 (p95)"),
            (f"ListInquiries page {args.depth}", deep_ms, "200 (p95)"),
        ):
            print(
                f"{name:32} {statistics.median(values):8.1f} "
                f"{percentile(values, 0.95):8.1f}   {target}"
            )
        print()
        for name, plan in plans.items():
            summary = plan_summary(plan)
            verdict = "COLLECTION SCAN" if "COLLSCAN" in summary else "index"
            print(f"{name:40} {verdict:16} {summary}")
        await mongo.close()
    finally:
        platform.stop()


if __name__ == "__main__":
    asyncio.run(main())
