"""Leverance's deadline check: overdue deadlines are reported missed once, met ones never."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.integration.test_leverance import (
    DESCRIPTION,
    LAST_MONTH_END,
    TODAY,
    Case,
    line,
    new_supplier,
)
from tests.support import DEADLINE, Clients
from vias.leverance.v1 import leverance_pb2 as pb


async def deadline_events(clients: Clients, case_id: str, kind: str) -> list[dict[str, Any]]:
    """The payloads of one kind of deadline event leverance wrote for a case."""
    rows = await clients.db("leverance").outbox.find({"key": case_id, "type": kind}).to_list()
    return [json.loads(r["value"])["payload"] for r in rows]


async def check(clients: Clients) -> int:
    reply = await clients.leverance.CheckDeadlines(
        pb.CheckDeadlinesRequest(),
        metadata=clients.auth(user="manager-1", role="manager"),
        timeout=DEADLINE,
    )
    return int(reply.reported_missed)


async def test_an_overdue_deadline_is_reported_missed_once_and_a_met_one_never(
    clients: Clients,
) -> None:
    case = Case(clients, await new_supplier(clients))
    await case.hand_over()
    running = await case.start()  # both activities planned 70 days ago: logging is overdue
    logged, unlogged = (a.activity_id for a in running.versions[0].activities)
    await clients.leverance.LogConsumption(
        pb.LogConsumptionRequest(
            delivery_id=case.delivery_id,
            activity_id=logged,
            worked_on=LAST_MONTH_END.isoformat(),
            hours="2",
        ),
        metadata=case.as_specialist(),
        timeout=DEADLINE,
    )

    assert await check(clients) >= 1
    await check(clients)
    missed = await deadline_events(clients, case.case_id, "DeadlineMissed")
    assert [m["deadline_id"] for m in missed] == [f"{case.delivery_id}:log:{unlogged}"]
    assert missed[0]["rule"] == "leverance.log_consumption"
    assert missed[0]["responsible_user_id"] == case.specialist
    met = await deadline_events(clients, case.case_id, "DeadlineMet")
    assert f"{case.delivery_id}:log:{logged}" in {m["deadline_id"] for m in met}


async def test_booking_the_anchoring_meeting_sets_the_agenda_deadline_and_sending_meets_it(
    clients: Clients,
) -> None:
    case = Case(clients, await new_supplier(clients))
    await case.hand_over()
    first = await case.start()
    kept = [
        pb.ActivityInput(
            activity_id=a.activity_id, kind=a.kind, hours=a.hours, planned_on=a.planned_on
        )
        for a in first.versions[0].activities
    ]
    anchoring = line("special_activities", "1", planned_on=TODAY, anchoring=True)
    await case.call(
        "ProposeChange",
        case.as_specialist(),
        activities=[*kept, anchoring],
        description=DESCRIPTION,
        justification="The participants accepted anchoring at the last advice session",
    )
    await case.call("ApproveAgreement", case.as_consultant())
    await case.hold_closing_meeting()
    meeting_on = TODAY + timedelta(days=30)
    booked = await clients.leverance.BookAnchoringActivity(
        pb.BookAnchoringActivityRequest(
            case_id=case.case_id, kind="anchoring_meeting", on=meeting_on.isoformat()
        ),
        metadata=case.as_specialist(),
        timeout=DEADLINE,
    )
    [agenda] = [
        d
        for d in await deadline_events(clients, case.case_id, "DeadlineSet")
        if d["rule"] == "leverance.anchoring_agenda"
    ]
    assert agenda["due"] <= (meeting_on - timedelta(days=7)).isoformat()
    sent = await clients.leverance.RecordAnchoringAgendaSent(
        pb.RecordAnchoringAgendaSentRequest(
            case_id=case.case_id, activity_id=booked.anchoring[0].activity_id
        ),
        metadata=case.as_specialist(),
        timeout=DEADLINE,
    )
    assert sent.anchoring[0].agenda_sent_on == TODAY.isoformat()
    met = await deadline_events(clients, case.case_id, "DeadlineMet")
    assert agenda["deadline_id"] in {m["deadline_id"] for m in met}
