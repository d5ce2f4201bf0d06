"""The hand-over's specialist: an unlisted one still gets the course, flagged, but proposes only
once the supplier lists them with their training completed."""

from __future__ import annotations

import grpc
import pytest

from tests.integration.test_leverance import Case, new_supplier
from tests.support import Clients


async def test_an_unlisted_specialist_is_flagged_and_proposes_only_once_listed_and_trained(
    clients: Clients,
) -> None:
    case = Case(clients, await new_supplier(clients))
    delivery = await case.hand_over(listed=False)
    assert delivery.status == "awaiting_proposal"
    course = await case.course()
    assert not course.specialist_known and not course.parts[0].specialist_known

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await case.propose()
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "not listed" in (caught.value.details() or "")

    await case.list_specialist(("Introduktion til VISO", "in_progress"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await case.propose()
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "Introduktion til VISO" in (caught.value.details() or "")

    await case.list_specialist(("Introduktion til VISO", "completed"))
    assert (await case.propose()).status == "proposed"


async def test_a_listed_specialist_is_known_on_the_course(clients: Clients) -> None:
    case = Case(clients, await new_supplier(clients))
    await case.hand_over()
    assert (await case.course()).specialist_known
