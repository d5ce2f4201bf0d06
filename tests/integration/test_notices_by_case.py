"""Notices list by case: every notice about a case carries it, and the filter keeps the
access rules (a user reads their own notices; a manager anyone's)."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest

from tests.integration.test_walking_skeleton import case_of
from tests.support import DEADLINE, Clients, eventually
from vias.notifications.v1 import notifications_pb2


async def listed(
    clients: Clients, *, user: str, role: str, case_id: str = "", recipient: str = ""
) -> list[Any]:
    reply = await clients.notifications.ListNotices(
        notifications_pb2.ListNoticesRequest(recipient_id=recipient, case_id=case_id, limit=500),
        metadata=clients.auth(user=user, role=role),
        timeout=DEADLINE,
    )
    return list(reply.notices)


async def test_a_consultants_notices_list_by_case(clients: Clients) -> None:
    consultant = f"c-bycase-{uuid.uuid4().hex[:8]}"
    first = await clients.register_and_assign(consultant=consultant)
    second = await clients.register_and_assign(consultant=consultant)
    first_case = await case_of(clients, first.inquiry_id)
    second_case = await case_of(clients, second.inquiry_id)

    async def assigned() -> list[Any] | None:
        found = await listed(
            clients, user=consultant, role="consultant", case_id=first_case.case_id
        )
        return [n for n in found if n.kind == "case_assigned"] or None

    # Notifications knows the inquiry's case once it has told the consultant of it.
    await eventually(assigned)
    await clients.add_material(first.inquiry_id)
    wanted = {"case_assigned", "deadline_reminder", "supplementary_material"}

    async def about_first() -> list[Any] | None:
        found = await listed(
            clients, user=consultant, role="consultant", case_id=first_case.case_id
        )
        return found if {n.kind for n in found} == wanted else None

    notices = await eventually(about_first)
    assert {n.case_id for n in notices} == {first_case.case_id}
    assert {n.recipient_id for n in notices} == {consultant}

    async def about_second() -> list[Any] | None:
        found = await listed(
            clients, user=consultant, role="consultant", case_id=second_case.case_id
        )
        return found if {n.kind for n in found} == {"case_assigned", "deadline_reminder"} else None

    assert {n.case_id for n in await eventually(about_second)} == {second_case.case_id}
    everything = await listed(clients, user=consultant, role="consultant")
    assert {n.case_id for n in everything} == {first_case.case_id, second_case.case_id}

    as_manager = await listed(
        clients, user="manager-1", role="manager", recipient=consultant, case_id=first_case.case_id
    )
    assert sorted(n.notice_id for n in as_manager) == sorted(n.notice_id for n in notices)
    someone_else = await listed(
        clients, user="c-other", role="consultant", case_id=first_case.case_id
    )
    assert someone_else == []
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await listed(
            clients,
            user="c-other",
            role="consultant",
            recipient=consultant,
            case_id=first_case.case_id,
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
