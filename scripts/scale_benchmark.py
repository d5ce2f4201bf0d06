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

With `--flows N` it starts every service instead, drives N whole courses through their gRPC
write paths (form, case, offer, agreement, approved hours; with each a KaS registration and an
answered satisfaction survey) and clones the documents they left
in every service's collections (the kernel's outbox, inbox and the like, and GridFS's chunks,
excepted) `--courses-per-year` times a year, newest year first, while `--courses-budget-s`
lasts: template ids suffixed, moments shifted into the year, GridFS ObjectIds fresh.

Then it measures through gRPC: GetAnnualReport of the last year (p50/p95 over `--repeats`),
and for each paged call in LISTINGS (one line each: every list and search call of the six
services, on the collection, filter and order the service queries; those of one inquiry, case,
delivery or recipient only with `--flows`) the first page and the page `--depth` pages deep
(or the last), reached by following `next_page_token` (p50/p95, page size 50); and
it asks MongoDB to `explain` the report's read and each query a listing's pages run (a deep
page runs one query per keyset branch), printing whether an index served it.

What it does not do (yet): load a year's worth through the write paths (N courses only),
publish the bulk as events (so the read model here is loaded as facts and counters, not
rebuilt from the topics), load plain inquiries' cases, concern reports or more suppliers than
the flows import (ListSuppliers' deep page is its last).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
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
from bson import ObjectId
from pymongo import AsyncMongoClient
from pymongo.errors import BulkWriteError

from services.documents.concern import handlers as concern
from services.identity.login import local_login
from services.intake.audit import AUDIT, AUDIT_ORDER
from services.intake.kas import handlers as kas_handlers
from services.kernel.paging import Paging
from services.leverance.handlers import base as leverance_base
from services.notifications import handlers as notices
from services.notifications import letters as letter_handlers
from services.notifications import surveys as survey_handlers
from services.notifications.delivery import handlers as mail
from services.platform.infra import Platform
from services.statistics import counters
from services.visitation import handlers as visitation_handlers
from tests.support import adult_form
from vias.documents.v1 import concern_pb2, concern_pb2_grpc, documents_pb2, documents_pb2_grpc
from vias.intake.v1 import intake_pb2, intake_pb2_grpc, kas_pb2, kas_pb2_grpc
from vias.leverance.v1 import leverance_pb2, leverance_pb2_grpc
from vias.notifications.v1 import (
    deliveries_pb2,
    deliveries_pb2_grpc,
    letters_pb2,
    letters_pb2_grpc,
    notifications_pb2,
    notifications_pb2_grpc,
    surveys_pb2,
    surveys_pb2_grpc,
)
from vias.statistics.v1 import statistics_pb2, statistics_pb2_grpc
from vias.visitation.v1 import visitation_pb2, visitation_pb2_grpc

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


async def insert(collection: Any, docs: list[dict[str, Any]], batch: int = 2_000) -> int:
    """Insert in batches; returns how many were refused (duplicate keys)."""
    refused = 0
    for start in range(0, len(docs), batch):
        try:
            await collection.insert_many(docs[start : start + batch], ordered=False)
        except BulkWriteError as error:
            refused += len(error.details.get("writeErrors", []))
    return refused


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


# --- the other services: whole courses through the write paths, cloned ---------------------

SKIPPED = {"outbox", "inbox", "consumer_attempts", "reconciliation", "relay_lease"}
"""The kernel's own collections: not part of what a listing reads."""
CLONED_SERVICES = ("intake", "visitation", "leverance", "documents", "notifications")


async def snapshot(mongo: Any, platform: Platform) -> dict[tuple[str, str], set[Any]]:
    """The ids in every collection of the cloned services."""
    found: dict[tuple[str, str], set[Any]] = {}
    for service in CLONED_SERVICES:
        db = mongo[platform.settings.database_name(service)]
        for name in await db.list_collection_names():
            # GridFS's chunks are the files' bytes (PDFs); no listing reads them.
            if name not in SKIPPED and not name.startswith("system.") and ".chunks" not in name:
                found[(service, name)] = {d["_id"] async for d in db[name].find({}, {"_id": 1})}
    return found


async def course_templates(
    platform: Platform, mongo: Any, flows: int
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Drive `flows` courses through the services' gRPC APIs (form, case, offer, agreement,
    approved hours; with each a KaS registration and an answered survey), wait until every
    consumer is done with them, and return the documents they left in each service's
    collections."""
    from tests.integration.caseflow_helpers import Flow, contracted_suppliers
    from tests.integration.test_intake_kas import Kas, course
    from tests.integration.test_statistics import answered_survey, started_course
    from tests.support import Clients

    clients = Clients(platform)
    suppliers = await contracted_suppliers(clients)
    kas = Kas(clients, suppliers.main, user="kas-bench")
    before = await snapshot(mongo, platform)
    for _ in range(flows):
        await started_course(Flow(clients, suppliers), clients)
        await kas.save(course("kas-bench"))
        await answered_survey(clients, "adults", suppliers.main)
    after, quiet = await snapshot(mongo, platform), 0
    while quiet < 3:  # the consumers and workers have written nothing for 3 s
        await asyncio.sleep(1)
        now = await snapshot(mongo, platform)
        quiet = quiet + 1 if now == after else 0
        after = now
    await clients.close()
    templates: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for (service, name), ids in after.items():
        new = ids - before.get((service, name), set())
        if new:
            db = mongo[platform.settings.database_name(service)]
            templates[(service, name)] = [
                d async for d in db[name].find({"_id": {"$in": list(new)}})
            ]
    return templates


def cloner(templates: dict[tuple[str, str], list[dict[str, Any]]]) -> Callable[..., Any]:
    """A function (doc, suffix, shift) -> the doc with every template id in it suffixed and
    every moment shifted, so each clone is a course of its own at its own time."""
    ids = sorted(
        {
            d["_id"]
            for docs in templates.values()
            for d in docs
            if isinstance(d["_id"], str) and len(d["_id"]) >= 8
        },
        key=len,
        reverse=True,
    )
    pattern = re.compile("|".join(re.escape(i) for i in ids)) if ids else None
    object_ids = {
        d["_id"] for docs in templates.values() for d in docs if isinstance(d["_id"], ObjectId)
    }

    def clone(value: Any, suffix: str, shift: timedelta, fresh: dict[ObjectId, ObjectId]) -> Any:
        """`fresh`: the clone's own ObjectId for each template one (GridFS files, chunks)."""
        if isinstance(value, dict):
            return {k: clone(v, suffix, shift, fresh) for k, v in value.items()}
        if isinstance(value, list):
            return [clone(v, suffix, shift, fresh) for v in value]
        if isinstance(value, str) and pattern is not None:
            return pattern.sub(lambda m: m.group(0) + suffix, value)
        if isinstance(value, datetime):
            return value + shift
        if isinstance(value, ObjectId) and value in object_ids:
            return fresh.setdefault(value, ObjectId())
        return value

    return clone


async def load_courses(
    mongo: Any,
    platform: Platform,
    templates: dict[tuple[str, str], list[dict[str, Any]]],
    years: list[int],
    per_year: int,
    budget_s: float,
) -> tuple[int, int, list[int]]:
    """Clone the template courses `per_year` times a year, newest year first, while the load
    budget lasts; returns (documents loaded, refused as duplicates, years loaded)."""
    rng = random.Random(5)
    clone = cloner(templates)
    began, loaded, refused, done = time.perf_counter(), 0, 0, []
    now = datetime.now(UTC)
    for year in sorted(years, reverse=True):
        if time.perf_counter() - began > budget_s:
            break
        batches: dict[tuple[str, str], list[dict[str, Any]]] = {k: [] for k in templates}
        for i in range(per_year):
            at = datetime(year, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(525_000))
            fresh: dict[ObjectId, ObjectId] = {}
            for key, docs in templates.items():
                batches[key] += [clone(d, f"-c{year}-{i}", at - now, fresh) for d in docs]
        for (service, name), docs in batches.items():
            refused += await insert(mongo[platform.settings.database_name(service)][name], docs)
            loaded += len(docs)
        done.append(year)
        print(f"  courses {year}: {loaded:,} documents so far", flush=True)
    return loaded - refused, refused, done


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
    keyset: bool = True
    """Pages with services/kernel/paging.py (its deep pages' queries can be explained)."""
    needs: str = ""
    """A value of the cloned courses the request names (NEEDS): only with --flows."""
    bound: str = "query"
    """How the service binds its tokens to the query: `Paging(order, {bound: query})`, or
    `Paging(order, query)` when empty (to explain the deep page's queries)."""


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
    Listing(
        "ListAuditTrail",
        "intake",
        intake_pb2_grpc.IntakeServiceStub,
        "ListAuditTrail",
        intake_pb2.ListAuditTrailRequest,
        {},
        AUDIT,
        {},
        AUDIT_ORDER,
        bound="",
    ),
    Listing(
        "ListKasRegistrations",
        "intake",
        kas_pb2_grpc.KasServiceStub,
        "ListKasRegistrations",
        kas_pb2.ListKasRegistrationsRequest,
        {"purpose": "benchmark"},
        kas_handlers.registrations.collection,
        {},
        kas_handlers.ORDER,
        bound="",
    ),
    Listing(
        "SearchCases",
        "visitation",
        visitation_pb2_grpc.VisitationServiceStub,
        "SearchCases",
        visitation_pb2.SearchCasesRequest,
        {},
        visitation_handlers.cases.collection,
        {},
        visitation_handlers.CASE_ORDER,
    ),
    Listing(
        "SearchCases main_area",
        "visitation",
        visitation_pb2_grpc.VisitationServiceStub,
        "SearchCases",
        visitation_pb2.SearchCasesRequest,
        {"main_area": "{case_main_area}"},
        visitation_handlers.cases.collection,
        {"main_area": "{case_main_area}"},
        visitation_handlers.CASE_ORDER,
        needs="case_main_area",
    ),
    Listing(
        "ListOffers",
        "visitation",
        visitation_pb2_grpc.VisitationServiceStub,
        "ListOffers",
        visitation_pb2.ListOffersRequest,
        {},
        visitation_handlers.OFFER_REFS,
        {},
        visitation_handlers.OFFER_ORDER,
    ),
    Listing(
        "ListSuppliers",
        "leverance",
        leverance_pb2_grpc.LeveranceServiceStub,
        "ListSuppliers",
        leverance_pb2.ListSuppliersRequest,
        {},
        leverance_base.suppliers.collection,
        {},
        leverance_base.BY_ID,
    ),
    Listing(
        "ListDeliveries (leverance)",
        "leverance",
        leverance_pb2_grpc.LeveranceServiceStub,
        "ListDeliveries",
        leverance_pb2.ListDeliveriesRequest,
        {},
        leverance_base.deliveries.collection,
        {},
        leverance_base.BY_ID,
    ),
    Listing(
        "ListConsumption of a delivery",
        "leverance",
        leverance_pb2_grpc.LeveranceServiceStub,
        "ListConsumption",
        leverance_pb2.ListConsumptionRequest,
        {"delivery_id": "{delivery_id}"},
        leverance_base.entries.collection,
        {"delivery_id": "{delivery_id}"},
        leverance_base.ENTRY_ORDER,
        needs="delivery_id",
    ),
    Listing(
        "ListNotices of a recipient",
        "notifications",
        notifications_pb2_grpc.NotificationsServiceStub,
        "ListNotices",
        notifications_pb2.ListNoticesRequest,
        {"recipient_id": "{recipient_id}"},
        notices.notices.collection,
        {"recipient_id": "{recipient_id}"},
        notices.NOTICE_ORDER,
        bound="",
        needs="recipient_id",
    ),
    Listing(
        "ListLetters of an inquiry",
        "notifications",
        letters_pb2_grpc.LettersServiceStub,
        "ListLetters",
        letters_pb2.ListLettersRequest,
        {"inquiry_id": "{inquiry_id}"},
        letter_handlers.letters.collection,
        {"inquiry_id": "{inquiry_id}"},
        letter_handlers.ORDER,
        bound="",
        needs="inquiry_id",
    ),
    Listing(
        "ListSurveys",
        "notifications",
        surveys_pb2_grpc.SurveysServiceStub,
        "ListSurveys",
        surveys_pb2.ListSurveysRequest,
        {},
        survey_handlers.surveys.collection,
        {},
        survey_handlers.ORDER,
        bound="",
    ),
    Listing(
        "ListDeliveries (notifications) of an inquiry",
        "notifications",
        deliveries_pb2_grpc.DeliveriesServiceStub,
        "ListDeliveries",
        deliveries_pb2.ListDeliveriesRequest,
        {"inquiry_id": "{inquiry_id}"},
        mail.deliveries.collection,
        {"inquiry_id": "{inquiry_id}"},
        mail.ORDER,
        keyset=False,
        needs="inquiry_id",
    ),
    Listing(
        "GetJournal of an inquiry",
        "documents",
        documents_pb2_grpc.DocumentsServiceStub,
        "GetJournal",
        documents_pb2.GetJournalRequest,
        {"inquiry_id": "{inquiry_id}"},
        "journal",
        {"inquiry_id": "{inquiry_id}"},
        (("recorded_at", -1), ("_id", -1)),
        keyset=False,
        needs="inquiry_id",
    ),
    Listing(
        "ListDocuments of a case",
        "documents",
        documents_pb2_grpc.DocumentsServiceStub,
        "ListDocuments",
        documents_pb2.ListDocumentsRequest,
        {"case_id": "{case_id}"},
        "documents",
        {"case_id": "{case_id}"},
        (("created_at", -1), ("_id", -1)),
        keyset=False,
        needs="case_id",
    ),
    Listing(
        "ListConcernReports of a case",
        "documents",
        concern_pb2_grpc.ConcernReportsServiceStub,
        "ListConcernReports",
        concern_pb2.ListConcernReportsRequest,
        {"case_id": "{case_id}"},
        concern.CONCERNS,
        {"case_id": "{case_id}"},
        concern.ORDER,
        bound="",
        needs="case_id",
    ),
)
"""Every paged call over the loaded data, with the collection, filter and order the service
queries (its own constants where it names them), as the manager `bench` calls it (a `{...}` in
`fields` or `query` is a value of the cloned courses, see `needs` and NEEDS)."""

NEEDS = {
    "inquiry_id": ("intake", "inquiries", "_id"),
    "case_id": ("visitation", "cases", "_id"),
    "case_main_area": ("visitation", "cases", "main_area"),
    "delivery_id": ("leverance", "deliveries", "_id"),
    "recipient_id": ("notifications", "notices", "recipient_id"),
}
"""Where a listing's `needs` is read: a field of the newest year's first clone of the first
template document of (service, collection)."""


async def needed(
    mongo: Any,
    platform: Platform,
    templates: dict[tuple[str, str], list[dict[str, Any]]],
    suffix: str,
) -> dict[str, str]:
    """The values NEEDS names, read from the cloned documents."""
    ids: dict[str, str] = {}
    for need, (service, name, field) in NEEDS.items():
        docs = [d for d in templates.get((service, name), []) if isinstance(d["_id"], str)]
        if not docs:
            continue
        db = mongo[platform.settings.database_name(service)]
        clone = await db[name].find_one({"_id": docs[0]["_id"] + suffix})
        if clone is not None and isinstance(clone.get(field), str):
            ids[need] = clone[field]
    return ids


def filled(values: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    return {k: v.format(**ids) if isinstance(v, str) else v for k, v in values.items()}


async def time_listing(
    listing: Listing,
    channels: dict[str, Any],
    metadata: Any,
    repeats: int,
    depth: int,
    ids: dict[str, str],
) -> tuple[list[float], list[float], str]:
    """Times of the first page and of page `depth` (or the last), and that page's token."""
    call = getattr(listing.stub(channels[listing.service]), listing.method)

    def ask(token: str) -> Any:
        fields = filled(listing.fields, ids)
        return listing.request(page_size=PAGE_SIZE, page_token=token, **fields)

    first_ms, page = await timed(call, ask(""), metadata, repeats)
    token = page.next_page_token
    for _ in range(depth - 2):
        if not page.next_page_token:
            break
        page = await call(ask(page.next_page_token), metadata=metadata, timeout=60)
        token = page.next_page_token or token
    deep_ms, _ = await timed(call, ask(token), metadata, repeats)
    return first_ms, deep_ms, token


async def explain_listing(
    db: Any, listing: Listing, token: str, ids: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """The plans of the first page's query and of each query a deep page runs."""
    coll = db[listing.collection]
    sort, query = list(listing.sort), filled(listing.query, ids)
    plans = {"first page": await coll.find(query).sort(sort).limit(PAGE_SIZE + 1).explain()}
    if not listing.keyset or not token:
        return plans
    paging = Paging(listing.sort, {listing.bound: query} if listing.bound else query)
    for i, where in enumerate(paging.where(query, token)):
        plans[f"deep page, part {i + 1}"] = (
            await coll.find(where).sort(sort).limit(PAGE_SIZE + 1).explain()
        )
    return plans


def print_row(name: str, values: list[float], target: str) -> None:
    p50, p95 = statistics.median(values), percentile(values, 0.95)
    print(f"{name:52} {p50:8.1f} {p95:8.1f}   {target}")


async def login(platform: Platform) -> str:
    """A manager's access token from the platform's local issuer."""
    tokens = await asyncio.to_thread(local_login, platform.issuer_url, "bench", "manager")
    return tokens.access_token


async def keep_logged_in(platform: Platform, metadata: list[tuple[str, str]]) -> None:
    """Log in again every ten minutes, before the token's 15 minutes run out."""
    while True:
        await asyncio.sleep(600)
        metadata[0] = ("authorization", f"Bearer {await login(platform)}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--depth", type=int, default=100, help="pages deep for the deep page")
    parser.add_argument(
        "--flows",
        type=int,
        default=0,
        help="courses to drive through every service's write paths and clone 2,500 times a "
        "year into their stored shapes (0: intake and statistics only)",
    )
    parser.add_argument("--courses-per-year", type=int, default=PER_YEAR["courses"])
    parser.add_argument(
        "--courses-budget-s", type=float, default=600, help="stop cloning courses after this"
    )
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="vias-scale-"))
    if args.flows:
        from tests.conftest import TEST_ENV

        base_env = {k: v for k, v in os.environ.items() if not k.startswith("VIAS_")}
        platform = Platform(ROOT, var_dir, env=TEST_ENV, base_env=base_env, ephemeral_ports=True)
    else:
        platform = Platform(
            ROOT, var_dir, service_names=("intake", "statistics", "identity"), ephemeral_ports=True
        )
    began = time.perf_counter()
    platform.start(timeout=120)
    try:
        metadata = [("authorization", f"Bearer {await login(platform)}")]
        # A token lives 15 minutes: the run logs in again, changing the metadata in place.
        relogin = asyncio.create_task(keep_logged_in(platform, metadata))
        channels = {
            name: grpc.aio.insecure_channel(platform.grpc_address(name))
            for name in platform.services
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
        ids: dict[str, str] = {}
        courses = ""
        if args.flows:
            print(f"driving {args.flows} course(s) through the services ...", flush=True)
            flows_began = time.perf_counter()
            templates = await course_templates(platform, mongo, args.flows)
            flows_s = time.perf_counter() - flows_began
            shapes = ", ".join(f"{s}.{c} {len(d)}" for (s, c), d in sorted(templates.items()))
            print(f"  their documents: {shapes}", flush=True)
            clone_began = time.perf_counter()
            cloned, refused, done = await load_courses(
                mongo, platform, templates, years, args.courses_per_year, args.courses_budget_s
            )
            courses = (
                f"courses: {args.flows} through the services' write paths in {flows_s:.1f} s "
                f"({sum(len(d) for d in templates.values())} documents in "
                f"{len(templates)} collections), cloned {args.courses_per_year:,} times a year "
                f"for {len(done)} years ({done[-1] if done else '-'}-{done[0] if done else '-'}): "
                f"{cloned:,} documents in {time.perf_counter() - clone_began:.1f} s"
                + (f", {refused:,} refused as duplicate keys" if refused else "")
            )
            ids = await needed(mongo, platform, templates, f"-c{last}-0")

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
            if listing.service not in channels or (listing.needs and listing.needs not in ids):
                continue
            print(f"timing {listing.name} ...", flush=True)
            first_ms, deep_ms, token = await time_listing(
                listing, channels, metadata, args.repeats, args.depth, ids
            )
            timings += [
                (f"{listing.name} first page", first_ms, "200 (p95)"),
                (f"{listing.name} page {args.depth}", deep_ms, "200 (p95)"),
            ]
            explained = await explain_listing(
                mongo[platform.settings.database_name(listing.service)], listing, token, ids
            )
            for part, plan in explained.items():
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
        if courses:
            print(courses)
        print(
            f"report {last}: {len(report.tables)} tables, "
            f"{inquiries_total:,.0f} inquiries in the year"
        )
        print(f"{'call':52} {'p50 ms':>8} {'p95 ms':>8}   target")
        for name, values, target in timings:
            print_row(name, values, target)
        print()
        for name, plan in plans.items():
            summary = plan_summary(plan)
            verdict = "COLLECTION SCAN" if "COLLSCAN" in summary else "index"
            print(f"{name:58} {verdict:16} {summary}")
        await mongo.close()
        relogin.cancel()
    finally:
        platform.stop()


if __name__ == "__main__":
    asyncio.run(main())
