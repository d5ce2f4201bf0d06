"""The journal of leverance's cases: a case's documents go under its own inquiry; events
delivered again after the inbox forgot them journal nothing twice and notify nobody twice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc
import pytest

from services.contracts.leverance import HighPriceDecided
from services.contracts.visitation import CaseHandedToLeverance, VisitationCaseOpened
from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.topics import consumer_group, events_topic
from tests.integration.test_leverance import CLARIFYING, notices
from tests.support import DEADLINE, Clients, bad_fields, eventually, produce
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


async def test_the_urgent_notice_delivered_again_after_the_inbox_purge_is_given_once(
    clients: Clients,
) -> None:
    case_id, consultant = new_id(), f"consultant-{new_id()[:8]}"

    def decided(approved: bool) -> Envelope:
        event = HighPriceDecided(
            case_id=case_id,
            delivery_id=new_id(),
            supplier_id="supplier-1",
            version=1,
            approved=approved,
            total_dkk=Decimal("155800.00"),
            consultant_id=consultant,
            manager_id="manager-1",
            decided_at=utcnow(),
        )
        return Envelope.wrap(event, source="leverance", correlation_id=new_id(), causation_id=None)

    topic = events_topic("leverance")
    first = decided(approved=True)
    await produce(clients.platform, topic, case_id, first.to_bytes())
    as_consultant = clients.auth(user=consultant, role="consultant")

    async def urgent() -> list[str]:
        found = await notices(clients, as_consultant, case_id)
        return sorted(n.text for n in found if n.urgent)

    [told] = await eventually(urgent)
    group = consumer_group("notifications")
    assert (
        await clients.db("notifications").inbox.delete_one({"_id": f"{group}:{first.event_id}"})
    ).deleted_count == 1
    await produce(clients.platform, topic, case_id, first.to_bytes())
    marker = decided(approved=False)  # a later decision on the same key, applied after the repeat
    await produce(clients.platform, topic, case_id, marker.to_bytes())

    async def both_seen() -> list[str] | None:
        found = await urgent()
        return found if any("afvist" in t for t in found) else None

    found = await eventually(both_seen)
    assert len(found) == 2 and told in found


async def test_staff_journal_a_known_case_only_under_its_own_inquiry(clients: Clients) -> None:
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
    await produce(clients.platform, events_topic("visitation"), case_id, opened.to_bytes())

    async def known() -> Any:
        return await clients.db("documents").cases.find_one({"_id": case_id})

    await eventually(known)
    consultant = clients.auth(user="consultant-1", role="consultant")

    def note(inquiry: str) -> documents_pb2.JournalDocumentRequest:
        return documents_pb2.JournalDocumentRequest(
            case_id=case_id, inquiry_id=inquiry, kind="letter", title="Brev til kommunen"
        )

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await clients.documents.JournalDocument(
            note(new_id()), metadata=consultant, timeout=DEADLINE
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == {"inquiry_id"}
    entry = await clients.documents.JournalDocument(note(""), metadata=consultant, timeout=DEADLINE)
    journal = await clients.documents.GetJournal(
        documents_pb2.GetJournalRequest(inquiry_id=inquiry_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert [e.entry_id for e in journal.entries if e.kind == "letter"] == [entry.entry_id]
