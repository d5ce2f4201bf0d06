"""Consent withdrawn through intake stops the visitation case across services (H 2.2.3)."""

from __future__ import annotations

import json
from typing import Any

from services.contracts.intake import InquiryConsentWithdrawn
from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.topics import consumer_group, events_topic
from tests.integration.test_walking_skeleton import case_of
from tests.integration.visitation_helpers import call, new_world, outbox_events, staff
from tests.support import DEADLINE, Clients, eventually, produce
from vias.intake.v1 import intake_pb2
from vias.visitation.v1 import visitation_pb2 as pb


async def withdraw(clients: Clients, inquiry_id: str) -> Any:
    return await clients.intake.WithdrawConsent(
        intake_pb2.WithdrawConsentRequest(inquiry_id=inquiry_id, reason="Borgeren ønsker ikke"),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )


async def withdrawal_handled(clients: Clients, inquiry_id: str) -> None:
    """Wait until visitation's consumer processed intake's InquiryConsentWithdrawn."""
    rows = await (
        clients.db("intake")
        .outbox.find({"key": inquiry_id, "type": "InquiryConsentWithdrawn"})
        .to_list()
    )
    [event_id] = [json.loads(r["value"])["event_id"] for r in rows]
    inbox_id = f"{consumer_group('visitation')}:{event_id}"
    await eventually(lambda: clients.db("visitation").inbox.find_one({"_id": inbox_id}))


async def test_consent_withdrawn_in_intake_stops_the_visitation_case(clients: Clients) -> None:
    consultant = f"consultant-{new_world().suffix}"
    inquiry = await clients.register_and_assign(consultant=consultant)
    opened = await case_of(clients, inquiry.inquiry_id)
    contacted = await call(
        clients.visitation.RecordFirstContact,
        pb.RecordFirstContactRequest(case_id=opened.case_id, contacted_on="2026-04-02"),
        staff(clients, consultant),
    )
    assert contacted.status == "in_visitation"

    stopped = await withdraw(clients, inquiry.inquiry_id)
    assert stopped.status == "stopped"

    async def closed() -> Any:
        case = await call(
            clients.visitation.GetCase,
            pb.GetCaseRequest(case_id=opened.case_id),
            staff(clients, consultant),
        )
        return case if case.status == "consent_withdrawn" else None

    case = await eventually(closed)
    assert case.closed_kind == "consent_withdrawn" and case.closed_on
    assert "Samtykket er trukket tilbage" in case.closed_reason
    assert case.first_contact_on == "2026-04-02", "the record is kept"
    [event] = await outbox_events(clients, case.case_id, "VisitationCaseClosed")
    assert (event["kind"], event["inquiry_id"]) == ("consent_withdrawn", inquiry.inquiry_id)

    # A second withdrawal of the same inquiry (a new event, as a replayed outbox would send)
    # changes nothing: the case is already closed.
    again = InquiryConsentWithdrawn(
        inquiry_id=inquiry.inquiry_id, consultant_id=consultant, withdrawn_at=utcnow()
    )
    envelope = Envelope.wrap(again, source="intake", correlation_id=new_id(), causation_id=None)
    await produce(clients.platform, events_topic("intake"), inquiry.inquiry_id, envelope.to_bytes())
    inbox_id = f"{consumer_group('visitation')}:{envelope.event_id}"
    await eventually(lambda: clients.db("visitation").inbox.find_one({"_id": inbox_id}))
    still = await call(
        clients.visitation.GetCase,
        pb.GetCaseRequest(case_id=case.case_id),
        staff(clients, consultant),
    )
    assert (still.status, still.version) == ("consent_withdrawn", case.version)
    assert len(await outbox_events(clients, case.case_id, "VisitationCaseClosed")) == 1


async def test_consent_withdrawn_after_the_case_ended_leaves_it_as_it_was(
    clients: Clients,
) -> None:
    consultant = f"consultant-{new_world().suffix}"
    inquiry = await clients.register_and_assign(consultant=consultant)
    opened = await case_of(clients, inquiry.inquiry_id)
    me = staff(clients, consultant)
    await call(
        clients.visitation.RecordFirstContact,
        pb.RecordFirstContactRequest(case_id=opened.case_id, contacted_on="2026-04-02"),
        me,
    )
    ended = await call(
        clients.visitation.CloseWithAdvice,
        pb.CloseWithAdviceRequest(case_id=opened.case_id, reasoning="The talk was enough."),
        me,
    )
    assert ended.status == "closed_with_advice"

    await withdraw(clients, inquiry.inquiry_id)
    await withdrawal_handled(clients, inquiry.inquiry_id)

    after = await call(clients.visitation.GetCase, pb.GetCaseRequest(case_id=ended.case_id), me)
    assert (after.status, after.version) == ("closed_with_advice", ended.version)
    assert await outbox_events(clients, ended.case_id, "VisitationCaseClosed") == []
