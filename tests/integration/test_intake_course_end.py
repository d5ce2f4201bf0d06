"""The ongoing-course check ends with the course: once visitation closes the case or leverance
closes its course, a new inquiry about the citizen is no longer held for that consultant."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest

from services.contracts.leverance import CourseClosed
from services.kernel.envelope import Envelope, new_id
from services.kernel.topics import events_topic
from tests.integration.test_walking_skeleton import case_of
from tests.integration.visitation_helpers import call, staff
from tests.support import DEADLINE, Clients, eventually, fake_cpr, produce
from vias.intake.v1 import intake_pb2
from vias.visitation.v1 import visitation_pb2 as pb


async def inquiry(clients: Clients, inquiry_id: str) -> Any:
    return await clients.intake.GetInquiry(
        intake_pb2.GetInquiryRequest(inquiry_id=inquiry_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )


async def ended(clients: Clients, inquiry_id: str) -> Any:
    async def probe() -> Any:
        found = await inquiry(clients, inquiry_id)
        return found if found.status == "course_ended" else None

    return await eventually(probe)


async def course_ended_events(clients: Clients, inquiry_id: str) -> int:
    outbox = clients.db("intake").outbox
    return int(await outbox.count_documents({"key": inquiry_id, "type": "InquiryCourseEnded"}))


async def test_a_referred_case_ends_the_course_and_a_new_inquiry_is_not_held(
    clients: Clients,
) -> None:
    cpr = fake_cpr()
    consultant = f"c-end-{new_id()[:6]}"
    first = await clients.register(cpr=cpr, main_area="children_youth")
    await clients.assign(first.inquiry_id, consultant=consultant, on="2026-05-08")
    case = await case_of(clients, first.inquiry_id)
    me = staff(clients, consultant)
    contacted = await call(
        clients.visitation.RecordFirstContact,
        pb.RecordFirstContactRequest(case_id=case.case_id, contacted_on="2026-05-11"),
        me,
    )
    await call(
        clients.visitation.ReferElsewhere,
        pb.ReferElsewhereRequest(
            case_id=case.case_id,
            expected_version=contacted.version,
            referred_to="Ankestyrelsen",
            reasoning="A question of legal interpretation, not special advice.",
        ),
        me,
    )
    done = await ended(clients, first.inquiry_id)
    assert done.course_end_reason == "visitation_referred" and done.course_ended_at.seconds
    assert await course_ended_events(clients, first.inquiry_id) == 1

    second = await clients.register(cpr=cpr, main_area="children_youth")
    assert (second.status, second.ongoing_inquiry_id, second.held_for_consultant_id) == (
        "registered",
        "",
        "",
    )

    # The same decision delivered again under a new event id (as after the inbox purge)
    # changes nothing.
    [row] = (
        await clients.db("visitation")
        .outbox.find({"key": case.case_id, "type": "VisitationDecided"})
        .to_list()
    )
    again = Envelope.model_validate(json.loads(row["value"])).model_copy(
        update={"event_id": new_id()}
    )
    await produce(clients.platform, events_topic("visitation"), case.case_id, again.to_bytes())
    inbox = clients.db("intake").inbox

    async def consumed() -> Any:
        return await inbox.find_one({"_id": f"vias.intake:{again.event_id}"})

    await eventually(consumed)
    unchanged = await inquiry(clients, first.inquiry_id)
    assert (unchanged.version, unchanged.status) == (done.version, "course_ended")
    assert await course_ended_events(clients, first.inquiry_id) == 1


async def test_a_closed_course_ends_it_and_material_is_refused_afterwards(
    clients: Clients,
) -> None:
    course = await clients.register_and_assign(consultant="c-closed")
    closed = CourseClosed(
        case_id=f"case-{new_id()[:8]}",
        inquiry_id=course.inquiry_id,
        service="single_case",
        interrupted=False,
        closed_at=datetime.now(UTC),
    )
    envelope = Envelope.wrap(closed, source="leverance", correlation_id=new_id(), causation_id=None)
    await produce(clients.platform, events_topic("leverance"), closed.case_id, envelope.to_bytes())
    done = await ended(clients, course.inquiry_id)
    assert done.course_end_reason == "course_closed"
    material = intake_pb2.AddSupplementaryMaterialRequest(
        inquiry_id=course.inquiry_id,
        documents=[intake_pb2.DocumentRef(document_id="doc-late", title="Efter afslutning")],
        received_via="post",
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await clients.intake.AddSupplementaryMaterial(
            material, metadata=clients.auth(), timeout=DEADLINE
        )
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert await course_ended_events(clients, course.inquiry_id) == 1
