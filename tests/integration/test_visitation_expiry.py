"""An unanswered offer expires through the manager's CheckDeadlines as of a given day, and the
consultant is prompted with the next supplier."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import grpc

from tests.integration.visitation_helpers import (
    call,
    new_world,
    outbox_events,
    proceeding_case,
    publish_world,
    ranking,
    refused,
    staff,
    working_days_after,
)
from tests.support import Clients, bad_fields, eventually
from vias.notifications.v1 import notifications_pb2
from vias.visitation.v1 import visitation_pb2 as pb


async def test_an_offer_not_answered_by_its_due_date_expires_and_prompts_the_next_supplier(
    clients: Clients,
) -> None:
    world = new_world()
    await publish_world(clients, world)
    consultant = f"consultant-{world.suffix}"
    case = await proceeding_case(clients, world, consultant)
    await ranking(clients, case.case_id, consultant, expected=3)
    offer = await call(
        clients.visitation.OfferToSupplier,
        pb.OfferToSupplierRequest(
            case_id=case.case_id, supplier_id=world.sid("Bravo"), justification="Top ranked."
        ),
        staff(clients, consultant),
    )
    [answer] = [d for d in offer.deadlines if d.rule == "visitation.supplier_answer"]
    due = working_days_after(date.fromisoformat(offer.offered_on), 5)
    assert answer.due == due.isoformat()
    manager = staff(clients, "manager-1", role="manager")

    on_due_day = await call(
        clients.visitation.CheckDeadlines,
        pb.CheckDeadlinesRequest(as_of=due.isoformat(), case_id=case.case_id),
        manager,
    )
    assert on_due_day.reported_missed == 0, "the supplier may still answer on the due day"
    day_after = (due + timedelta(days=1)).isoformat()
    checked = await call(
        clients.visitation.CheckDeadlines,
        pb.CheckDeadlinesRequest(as_of=day_after, case_id=case.case_id),
        manager,
    )
    assert checked.reported_missed == 1
    again = await call(
        clients.visitation.CheckDeadlines,
        pb.CheckDeadlinesRequest(as_of=day_after, case_id=case.case_id),
        manager,
    )
    assert again.reported_missed == 0, "a deadline is reported missed once"

    expired = await call(
        clients.visitation.GetOffer,
        pb.GetOfferRequest(offer_id=offer.offer_id),
        staff(clients, consultant),
    )
    assert expired.status == "expired"
    assert [(d.rule, d.status) for d in expired.deadlines] == [
        ("visitation.supplier_answer", "missed")
    ]
    [missed] = await outbox_events(clients, case.case_id, "DeadlineMissed")
    assert (missed["rule"], missed["due"]) == ("visitation.supplier_answer", due.isoformat())
    [prompt] = await outbox_events(clients, case.case_id, "NextSupplierNeeded")
    assert (prompt["why"], prompt["previous_supplier_id"], prompt["next_supplier_id"]) == (
        "expired",
        world.sid("Bravo"),
        world.sid("Alpha"),
    )

    async def next_supplier_notices() -> list[Any]:
        reply = await clients.notifications.ListNotices(
            notifications_pb2.ListNoticesRequest(limit=500),
            metadata=staff(clients, consultant),
            timeout=10,
        )
        return [n for n in reply.notices if n.kind == "next_supplier"]

    [notice] = await eventually(next_supplier_notices)
    assert "har ikke svaret rettidigt" in notice.text
    assert world.sid("Alpha") in notice.text


async def test_a_check_as_of_a_day_too_far_ahead_or_of_an_unknown_case_is_refused(
    clients: Clients,
) -> None:
    manager = staff(clients, "manager-1", role="manager")
    far = (date.today() + timedelta(days=400)).isoformat()
    error = await refused(
        clients.visitation.CheckDeadlines, pb.CheckDeadlinesRequest(as_of=far), manager
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and bad_fields(error) == {"as_of"}
    error = await refused(
        clients.visitation.CheckDeadlines, pb.CheckDeadlinesRequest(as_of="31-12-2026"), manager
    )
    assert bad_fields(error) == {"as_of"}
    error = await refused(
        clients.visitation.CheckDeadlines, pb.CheckDeadlinesRequest(case_id="no-such-case"), manager
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    error = await refused(
        clients.visitation.CheckDeadlines,
        pb.CheckDeadlinesRequest(),
        staff(clients, "consultant-1"),
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
