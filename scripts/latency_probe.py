"""Where the time of one AssignInquiry goes, on an otherwise idle platform.

Usage (from the repository root):

    PYTHONPATH=. .venv/bin/python scripts/latency_probe.py [--samples N]

Starts a fresh platform as scripts/benchmark.py does (SecantusDB on disk, --sync-on-commit),
registers 2N inquiries, then, one at a time with pauses so that nothing else is in flight:

1. issues from this process, against intake's database, the same operations AssignInquiry's
   transaction issues (read the inquiry, replace it under its version, insert an audit row,
   insert the outbox rows, commit), each timed; the audit and outbox rows go to shadow
   collections with the real ones' indexes;
2. a bare transaction of two small inserts, as the benchmark's raw floor;
3. N AssignInquiry calls over gRPC, each timed.

It prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import itertools

import benchmark as bench

from services.platform.infra import Platform

PAUSE_S = 0.3
SHADOW = {"audit_trail": "probe_audit_trail", "outbox": "probe_outbox"}
STEPS = ("find inquiry", "replace inquiry", "insert audit", "insert 3 outbox rows", "commit")


async def shadow_collections(db: Any) -> tuple[bench.Doc, bench.Doc]:
    """Give the shadow collections the real ones' indexes; a real audit row and outbox row.

    The probe writes its audit and outbox rows beside the real ones, never into them: a row in
    the real outbox would be published.
    """
    for real, shadow in SHADOW.items():
        for name, spec in (await db[real].index_information()).items():
            if name != "_id_":
                await db[shadow].create_index(spec["key"], name=name)
    audit_row = await db.audit_trail.find_one({})
    outbox_row = await db.outbox.find_one({"type": "InquiryAssigned"})
    assert audit_row is not None and outbox_row is not None
    return audit_row, outbox_row


async def probe(platform: Platform, samples: int) -> None:
    """Run the three measurements and print them."""
    pipeline = bench.Pipeline(platform)
    try:
        await bench.warm_up(pipeline)
        ids = [await pipeline.register(n) for n in range(2 * samples)]
        await asyncio.sleep(2)
        db = pipeline.db("intake")
        audit_row, outbox_row = await shadow_collections(db)
        steps: list[list[float]] = [[] for _ in STEPS]
        bare: list[float] = []
        for inquiry_id in ids[:samples]:
            marks = [time.perf_counter()]
            async with (
                pipeline.mongo.start_session() as session,
                await session.start_transaction(),
            ):
                doc = await db.inquiries.find_one({"_id": inquiry_id}, session=session)
                marks.append(time.perf_counter())
                assert doc is not None
                version = doc["version"]
                doc["version"] = version + 1
                await db.inquiries.replace_one(
                    {"_id": inquiry_id, "version": version}, doc, session=session
                )
                marks.append(time.perf_counter())
                await db[SHADOW["audit_trail"]].insert_one(
                    {**audit_row, "_id": uuid.uuid4().hex}, session=session
                )
                marks.append(time.perf_counter())
                await db[SHADOW["outbox"]].insert_many(
                    [{**outbox_row, "_id": uuid.uuid4().hex} for _ in range(3)], session=session
                )
                marks.append(time.perf_counter())
            marks.append(time.perf_counter())
            for step, (start, end) in zip(steps, itertools.pairwise(marks), strict=True):
                step.append(end - start)
            bare.append(await bench.raw_transaction(pipeline.mongo))
            await asyncio.sleep(PAUSE_S)
        calls: list[float] = []
        for inquiry_id in ids[samples:]:
            began = time.perf_counter()
            await pipeline.assign(inquiry_id)
            calls.append(time.perf_counter() - began)
            await asyncio.sleep(PAUSE_S)
        bench.heading(f"AssignInquiry's database work, issued from this process ({samples} each)")
        for name, values in zip(STEPS, steps, strict=True):
            bench.say(f"  {name:22s} {bench.spread(bench.ms(values))}")
        totals = [sum(parts) for parts in zip(*steps, strict=True)]
        bench.say(f"  {'whole transaction':22s} {bench.spread(bench.ms(totals))}")
        bench.say(f"  {'bare txn (2 inserts)':22s} {bench.spread(bench.ms(bare))}")
        bench.heading("AssignInquiry over gRPC, one at a time")
        bench.say(f"  {'call':22s} {bench.spread(bench.ms(calls))}")
    finally:
        await pipeline.close()


def main() -> None:
    """Parse arguments, start the platform, probe, stop."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=20, help="per measurement, default 20")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vias-probe-") as workdir:
        platform = Platform(
            bench.ROOT,
            Path(workdir) / "var",
            env=bench.PLATFORM_ENV,
            base_env={k: v for k, v in os.environ.items() if not k.startswith("VIAS_")},
            mongo_storage=Path(workdir) / "mongo",
            mongo_sync_on_commit=True,
            ephemeral_ports=True,
        )
        platform.start(bench.START_TIMEOUT_S)
        try:
            asyncio.run(probe(platform, args.samples))
        finally:
            platform.stop()


if __name__ == "__main__":
    main()
