"""Leverance and visitation's case: the hand-over's specialist (an unlisted one still gets the
course, flagged, but proposes only once listed and trained), and a case visitation stops."""

from __future__ import annotations

import grpc
import pytest

from services.contracts.visitation import (
    CaseHandedToLeverance,
    VisitationCaseClosed,
    VisitationCaseOpened,
)
from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.topics import consumer_group, dead_letter_topic, events_topic
from tests.integration.test_leverance import TODAY, Case, new_supplier
from tests.support import DEADLINE, Clients, eventually, produce
from vias.leverance.v1 import leverance_pb2 as pb
from vias.visitation.v1 import visitation_pb2


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


async def interrupted(case: Case) -> pb.Course | None:
    course = await case.course()
    return course if course.status == "interrupted" else None


async def test_visitation_closing_the_case_interrupts_the_course_once(clients: Clients) -> None:
    case = Case(clients, await new_supplier(clients))
    await case.hand_over()
    await case.start()
    closed = VisitationCaseClosed(
        case_id=case.case_id,
        inquiry_id=case.inquiry_id,
        kind="consent_withdrawn",
        reason="The mother withdrew her consent",
        closed_on=TODAY,
    )
    # Twice, as two distinct events: the second finds the course already interrupted.
    for _ in range(2):
        envelope = Envelope.wrap(
            closed, source="visitation", correlation_id=new_id(), causation_id=None
        )
        await produce(
            clients.platform, events_topic("visitation"), case.case_id, envelope.to_bytes()
        )
    course = await eventually(lambda: interrupted(case))
    assert course.interruption.reason == "consent_withdrawn"
    assert "The mother withdrew her consent" in course.interruption.note
    assert (await case.call("GetDelivery", case.as_consultant())).status == "interrupted"

    # A marker hand-over behind both events on the same partition: once its course exists,
    # leverance has consumed both closures.
    marker = Case(clients, case.supplier_id)
    marker.case_id = f"{case.case_id}-marker"
    handed = CaseHandedToLeverance(
        case_id=marker.case_id,
        inquiry_id=new_id(),
        supplier_id=case.supplier_id,
        specialist_id=marker.specialist,
        consultant_id=marker.consultant,
        main_area="children_youth",
        service="single_case",
        clarifying_meeting_on=TODAY,
        handed_at=utcnow(),
    )
    envelope = Envelope.wrap(
        handed, source="visitation", correlation_id=new_id(), causation_id=None
    )
    await produce(clients.platform, events_topic("visitation"), case.case_id, envelope.to_bytes())

    async def marker_opened() -> bool:
        found = await clients.db("leverance").courses.find_one({"_id": marker.case_id})
        return found is not None

    await eventually(marker_opened)
    rows = (
        await clients.db("leverance")
        .outbox.find({"key": case.case_id, "type": "CourseInterrupted"})
        .to_list()
    )
    assert len(rows) == 1


async def test_closing_the_case_through_visitation_interrupts_the_course(clients: Clients) -> None:
    inquiry = await clients.register_and_assign(consultant="consultant-close")

    async def visitation_case() -> str:
        try:
            found = await clients.visitation.GetCaseByInquiry(
                visitation_pb2.GetCaseByInquiryRequest(inquiry_id=inquiry.inquiry_id),
                metadata=clients.auth(user="consultant-close", role="consultant"),
                timeout=DEADLINE,
            )
        except grpc.aio.AioRpcError:
            return ""
        return str(found.case_id)

    case_id = await eventually(visitation_case)
    case = Case(clients, await new_supplier(clients))
    case.case_id, case.inquiry_id = case_id, inquiry.inquiry_id
    await case.hand_over()
    await case.start()
    await clients.visitation.CloseCase(
        visitation_pb2.CloseCaseRequest(
            case_id=case_id, kind="basis_gone", reason="The school closed the class"
        ),
        metadata=clients.auth(user="consultant-close", role="consultant"),
        timeout=DEADLINE,
    )
    course = await eventually(lambda: interrupted(case))
    assert course.interruption.reason == "basis_gone"
    assert course.interruption.by == "visitation"


async def test_a_case_opening_delivered_again_after_the_inbox_forgot_it_is_not_dead_lettered(
    clients: Clients,
) -> None:
    case = Case(clients, await new_supplier(clients))
    opened = VisitationCaseOpened(
        case_id=case.case_id,
        inquiry_id=case.inquiry_id,
        main_area="children_youth",
        consultant_id=case.consultant,
        opened_at=utcnow(),
    )
    # The same event twice under two event ids: what a redelivery looks like once the inbox
    # purged the first id.
    for _ in range(2):
        envelope = Envelope.wrap(
            opened, source="visitation", correlation_id=new_id(), causation_id=None
        )
        await produce(
            clients.platform, events_topic("visitation"), case.case_id, envelope.to_bytes()
        )
    # The hand-over on the same key comes after both on the partition: once it is applied, both
    # openings were dealt with.
    await case.hand_over()
    reference = await clients.leverance.GetCaseReference(
        pb.GetCaseReferenceRequest(case_id=case.case_id),
        metadata=case.as_consultant(),
        timeout=DEADLINE,
    )
    assert reference.inquiry_id == case.inquiry_id
    dead = await clients.db("leverance").outbox.count_documents(
        {"key": case.case_id, "topic": dead_letter_topic(consumer_group("leverance"))}
    )
    assert dead == 0
