"""The manager's deadline check takes the same arguments in every service: as_of and case_id."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import grpc
import pytest

from tests.support import DEADLINE, Clients
from vias.intake.v1 import intake_pb2
from vias.leverance.v1 import leverance_pb2
from vias.visitation.v1 import visitation_pb2


def checks(clients: Clients) -> list[tuple[str, Any, Any]]:
    return [
        ("intake", clients.intake.CheckDeadlines, intake_pb2.CheckDeadlinesRequest),
        ("visitation", clients.visitation.CheckDeadlines, visitation_pb2.CheckDeadlinesRequest),
        ("leverance", clients.leverance.CheckDeadlines, leverance_pb2.CheckDeadlinesRequest),
    ]


async def test_every_service_checks_as_of_a_day_and_for_one_case_alike(clients: Clients) -> None:
    manager = clients.auth(user="manager-1", role="manager")
    ahead = (date.today() + timedelta(days=1)).isoformat()  # the test setting allows 60 days
    too_far = (date.today() + timedelta(days=400)).isoformat()
    for service, check, request in checks(clients):
        reply = await check(request(as_of=ahead), metadata=manager, timeout=DEADLINE)
        assert reply.reported_missed >= 0, service

        with pytest.raises(grpc.aio.AioRpcError) as far:
            await check(request(as_of=too_far), metadata=manager, timeout=DEADLINE)
        assert far.value.code() == grpc.StatusCode.INVALID_ARGUMENT, service
        assert "as_of" in (far.value.details() or ""), service

        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await check(request(case_id="no-such-case"), metadata=manager, timeout=DEADLINE)
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND, service

        with pytest.raises(grpc.aio.AioRpcError) as consultant:
            await check(request(), metadata=clients.auth(role="consultant"), timeout=DEADLINE)
        assert consultant.value.code() == grpc.StatusCode.PERMISSION_DENIED, service
