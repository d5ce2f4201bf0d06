"""The journal documents keeps for leverance's cases: an event delivered again after the inbox
forgot it journals nothing twice."""

from __future__ import annotations

from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.topics import consumer_group, events_topic
from services.visitation.messages import CaseHandedToLeverance, VisitationCaseOpened
from tests.integration.test_leverance import CLARIFYING
from tests.support import DEADLINE, Clients, eventually, produce
from vias.documents.v1 import documents_pb2


async def test_a_case_opening_delivered_again_after_the_inbox_purge_is_journaled_once(
    clients: Clients,
) -> None:
    case_id, inquiry_id = new_id(), new_id()
    opened = Envelope.wrap(
        VisitationCaseOpened(
            case_id=case_id,
            inquiry_id=inquiry_id,
            main_area="adults",
            consultant_id="consultant-1",
            opened_at=utcnow(),
        ),
        source="visitation",
        correlation_id=new_id(),
        causation_id=None,
    )
    topic = events_topic("visitation")
    await produce(clients.platform, topic, case_id, opened.to_bytes())
    documents = clients.db("documents")

    async def opening_entries() -> list[str]:
        journal = await clients.documents.GetJournal(
            documents_pb2.GetJournalRequest(inquiry_id=inquiry_id),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
        return [e.entry_id for e in journal.entries if e.kind == "case_opened"]

    first = await eventually(opening_entries)
    # The inbox purge forgot the event; the broker then delivers it again.
    inbox_key = f"{consumer_group('documents')}:{opened.event_id}"
    assert (await documents.inbox.delete_one({"_id": inbox_key})).deleted_count == 1
    await produce(clients.platform, topic, case_id, opened.to_bytes())
    # A later event on the same key: once documents applied it, the repeat was dealt with too.
    handed = CaseHandedToLeverance(
        case_id=case_id,
        inquiry_id=inquiry_id,
        supplier_id=f"supplier-{new_id()[:8]}",
        specialist_id="spec-1",
        consultant_id="consultant-1",
        main_area="adults",
        service="single_case",
        clarifying_meeting_on=CLARIFYING,
        handed_at=utcnow(),
    )
    marker = Envelope.wrap(handed, source="visitation", correlation_id=new_id(), causation_id=None)
    await produce(clients.platform, topic, case_id, marker.to_bytes())

    async def marker_applied() -> bool:
        return (
            await documents.inbox.find_one(
                {"_id": f"{consumer_group('documents')}:{marker.event_id}"}
            )
            is not None
        )

    await eventually(marker_applied)
    assert await documents.inbox.find_one({"_id": inbox_key}) is not None
    assert await opening_entries() == first
