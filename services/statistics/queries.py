"""The report's reads: a year's counts are one counter document (kept by the consumers), so
the report reads two documents however many facts the years hold."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.statistics import counters
from services.statistics.domain import YearCounts

Doc = dict[str, Any]


async def year_counts(db: AsyncDatabase[Doc], year: int) -> YearCounts:
    """Everything the report shows of one year, from its counters."""
    found = await db[counters.COUNTERS].find_one({"_id": year}) or {}
    return counters.year_counts(year, found.get("c") or {})


async def rebuild_counters(db: AsyncDatabase[Doc]) -> int:
    """Count every year's counters afresh from the stored facts (a read model stored before
    counters were kept); returns how many years have counts."""
    facts = [
        (collection, doc) for collection in counters.FACTS async for doc in db[collection].find()
    ]
    years = counters.count_facts(facts)
    await db[counters.COUNTERS].delete_many({})
    if years:
        await db[counters.COUNTERS].insert_many(
            [{"_id": year, "c": counters.stored(counts)} for year, counts in years.items()]
        )
    return len(years)


async def create_indexes(db: AsyncDatabase[Doc]) -> None:
    """A course is found by its inquiry when the inquiry's target groups change. A read model
    stored before counters were kept has its counters counted once from its facts."""
    await db[counters.COURSES].create_index([("inquiry_id", ASCENDING)])
    if await db[counters.COUNTERS].find_one({}) is None:
        for collection in counters.FACTS:
            if await db[collection].find_one({}) is not None:
                await rebuild_counters(db)
                break
