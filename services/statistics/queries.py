"""One year's facts read from the read model: grouped in the database where many facts are
alike (inquiries, KaS registrations, deadlines, money), one by one where a fact joins another
(a course takes its inquiry's target groups)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.statistics import consumers as facts
from services.statistics.domain import (
    CourseFact,
    DeadlineFact,
    InquiryFact,
    KasFact,
    SurveyFact,
    YearCounts,
    count_year,
)

Doc = dict[str, Any]


async def _grouped(
    db: AsyncDatabase[Doc], collection: str, match: Doc, keys: list[str]
) -> list[Doc]:
    pipeline: list[Doc] = [
        {"$match": match},
        {"$group": {"_id": {k: f"${k}" for k in keys}, "n": {"$sum": 1}}},
    ]
    cursor = await db[collection].aggregate(pipeline)
    return [{**doc["_id"], "n": doc["n"]} async for doc in cursor]


async def _sums(db: AsyncDatabase[Doc], collection: str, match: Doc) -> dict[str, Decimal]:
    pipeline: list[Doc] = [
        {"$match": match},
        {"$group": {"_id": "$main_area", "ore": {"$sum": "$amount_ore"}}},
    ]
    cursor = await db[collection].aggregate(pipeline)
    return {doc["_id"]: Decimal(doc["ore"]) / 100 async for doc in cursor}


async def year_counts(db: AsyncDatabase[Doc], year: int) -> YearCounts:
    """Everything the report shows of one year, counted by the domain's rules."""
    inquiries = [
        InquiryFact(g["main_area"], g["kind"], g.get("inquirer_group"), n=g["n"])
        for g in await _grouped(
            db, facts.INQUIRIES, {"year": year}, ["main_area", "kind", "inquirer_group"]
        )
    ]
    started = [
        doc
        async for doc in db[facts.COURSES].find(
            {"year": year}, {"inquiry_id": 1, "service": 1, "main_area": 1, "central_unit": 1}
        )
    ]
    inquiry_ids = sorted({d["inquiry_id"] for d in started if d.get("inquiry_id")})
    groups = {
        doc["_id"]: tuple(doc.get("target_groups") or ())
        async for doc in db[facts.INQUIRIES].find(
            {"_id": {"$in": inquiry_ids}}, {"target_groups": 1}
        )
    }
    courses = [
        CourseFact(
            service=d.get("service", ""),
            main_area=d.get("main_area", "other"),
            central_unit=bool(d.get("central_unit")),
            target_groups=groups.get(d.get("inquiry_id", ""), ()),
        )
        for d in started
    ]
    kas = [
        KasFact(g["supplier_id"], bool(g.get("course")), n=g["n"])
        for g in await _grouped(
            db, facts.KAS, {"year": year, "draft": False}, ["supplier_id", "course"]
        )
    ]
    surveys = [
        SurveyFact(doc.get("main_area", "other"), doc.get("answers") or {})
        async for doc in db[facts.SURVEYS].find({"year": year}, {"main_area": 1, "answers": 1})
    ]
    deadlines = [
        DeadlineFact(g["rule"], g["status"], g.get("days_late"), n=g["n"])
        for g in await _grouped(
            db, facts.DEADLINES, {"year": year}, ["rule", "status", "days_late"]
        )
    ]
    return count_year(
        year,
        inquiries=inquiries,
        courses=courses,
        kas=kas,
        surveys=surveys,
        deadlines=deadlines,
        appropriated_dkk=await _sums(db, facts.APPROPRIATIONS, {"year": year}),
        spent_dkk=await _sums(db, facts.SPENDING, {"year": year, "approved": True}),
    )


async def create_indexes(db: AsyncDatabase[Doc]) -> None:
    """Every fact is read by year."""
    for collection in (
        facts.INQUIRIES,
        facts.COURSES,
        facts.KAS,
        facts.SURVEYS,
        facts.SPENDING,
        facts.APPROPRIATIONS,
        facts.DEADLINES,
    ):
        await db[collection].create_index([("year", ASCENDING)])
