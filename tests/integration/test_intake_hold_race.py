"""The ongoing-course hold cannot be escaped by a registration racing the assignment (H 4.2)."""

from __future__ import annotations

import asyncio
from typing import Any

from services.kernel.envelope import new_id
from tests.support import DEADLINE, Clients, adult_form, fake_cpr
from vias.intake.v1 import intake_pb2

REGISTRATIONS = 20


async def test_every_registration_committed_after_the_assignment_is_held_and_none_is_lost(
    clients: Clients,
) -> None:
    cpr = fake_cpr()
    first = await clients.register(cpr=cpr)
    inquiries = clients.db("intake").inquiries
    stored = await inquiries.find_one({"_id": first.inquiry_id})
    assert stored is not None
    citizen_hash = stored["citizen"]["cpr_hash"]
    # The database's change stream gives the writes in commit order.
    stream = await inquiries.watch([{"$match": {"fullDocument.citizen.cpr_hash": citizen_hash}}])
    seen: list[dict[str, Any]] = []

    async def watch() -> None:
        async for change in stream:
            seen.append(change)

    watcher = asyncio.create_task(watch())
    try:
        request = intake_pb2.AssignInquiryRequest(
            inquiry_id=first.inquiry_id,
            consultant_id="c-race",
            distributed_on=first.distribution_date,
        )

        async def register(delay: float) -> str:
            await asyncio.sleep(delay)
            form = adult_form(cpr=cpr, description=f"Race {new_id()}")
            reply = await clients.intake.RegisterInquiry(
                form, metadata=clients.auth(), timeout=DEADLINE * 3
            )
            return str(reply.inquiry_id)

        assign = clients.intake.AssignInquiry(request, metadata=clients.auth(), timeout=DEADLINE)
        results = await asyncio.gather(assign, *(register(0.004 * n) for n in range(REGISTRATIONS)))
        registered = list(results[1:])

        async def all_seen() -> bool:
            return sum(1 for c in seen if c["operationType"] == "insert") >= REGISTRATIONS

        for _ in range(100):
            if await all_seen():
                break
            await asyncio.sleep(0.1)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await stream.close()

    assert len(set(registered)) == REGISTRATIONS
    order = [
        (c["operationType"], c["documentKey"]["_id"], c["fullDocument"]["status"])
        for c in seen
        if c["operationType"] in ("insert", "replace")
    ]
    assigned_at = next(
        i
        for i, (_, key, status) in enumerate(order)
        if key == first.inquiry_id and status == "assigned"
    )
    inserted = [(i, key, status) for i, (op, key, status) in enumerate(order) if op == "insert"]
    assert sorted(key for _, key, _ in inserted) == sorted(registered)
    for position, key, status in inserted:
        after = position > assigned_at
        expected = "awaiting_course_decision" if after else "registered"
        when = "after" if after else "before"
        assert status == expected, f"{key} committed {when} the assignment but is {status}"
    assert await inquiries.count_documents({"citizen.cpr_hash": citizen_hash}) == REGISTRATIONS + 1
