"""Access requests over gRPC on the real database and broker: a request covering a case's notes
and documents compiled, decided (one withheld, one redacted) and delivered as one PDF whose index
lists exactly what is disclosed; a deadline passed without a delay letter escalates to the
manager."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from email.header import decode_header, make_header
from typing import Any

import grpc
import pytest

from services.kernel.envelope import new_id
from tests.integration.caseflow_helpers import (
    Flow,
    Suppliers,
    form,
    registered_case,
)
from tests.integration.documents_helpers import downloaded, once_known, pdf_text
from tests.integration.mail_helpers import attached_pdfs, received_async
from tests.integration.test_course_end_to_end import today
from tests.integration.visitation_helpers import staff
from tests.support import DEADLINE, Clients, eventually
from vias.documents.v1 import access_pb2 as apb
from vias.documents.v1 import access_pb2_grpc
from vias.documents.v1 import documents_pb2 as dpb
from vias.notifications.v1 import notifications_pb2 as npb

SECRET = "Oplysninger om naboens misbrug"
PASSAGE = "farens arbejdsløshed"


@pytest.fixture(scope="module")
async def access(clients: Clients) -> AsyncIterator[access_pb2_grpc.AccessRequestsServiceStub]:
    channel = grpc.aio.insecure_channel(clients.platform.grpc_address("documents"))
    try:
        yield access_pb2_grpc.AccessRequestsServiceStub(channel)
    finally:
        await channel.close()


async def final_text_document(clients: Clients, flow: Flow, title: str, text: str) -> Any:
    def requests() -> Iterator[dpb.UploadDocumentRequest]:
        yield dpb.UploadDocumentRequest(
            header=dpb.UploadHeader(
                case_id=flow.case_id, kind="other", title=title, filename=f"{title}.txt"
            )
        )
        yield dpb.UploadDocumentRequest(chunk=text.encode())

    draft = await once_known(
        lambda: clients.documents.UploadDocument(
            requests(), metadata=flow.as_consultant(), timeout=DEADLINE
        )
    )
    return await clients.documents.FinaliseDocument(
        dpb.FinaliseDocumentRequest(document_id=draft.document_id, expected_version=1),
        metadata=flow.as_consultant(),
        timeout=DEADLINE,
    )


async def test_a_disclosure_lists_exactly_what_is_disclosed_and_leaves_out_the_rest(
    clients: Clients, suppliers: Suppliers, access: access_pb2_grpc.AccessRequestsServiceStub
) -> None:
    flow = Flow(clients, suppliers)
    await registered_case(flow, form("single_case"))
    me = flow.as_consultant()
    texts = [
        "Telefonsamtale med moren om skolen.",
        f"Møde om familiens situation og {PASSAGE}.",
        "Aftale om næste møde.",
    ]
    written = []
    for text in texts:
        request = dpb.WriteNoteRequest(case_id=flow.case_id, category="meeting", text=text)
        written.append(
            await once_known(
                lambda request=request: clients.documents.WriteNote(  # type: ignore[misc]
                    request, metadata=me, timeout=DEADLINE
                )
            )
        )
    shown = await final_text_document(clients, flow, "Skoleudtalelse", "Drengen trives bedre.")
    hidden = await final_text_document(clients, flow, "Naboklage", SECRET)

    support = clients.auth()
    registered = await access.RegisterAccessRequest(
        apb.RegisterAccessRequestRequest(
            channel="letter",
            requester_name="Anne Hansen",
            requester_contact="anne.hansen@example.dk",
            relation="party",
            case_ids=[flow.case_id],
        ),
        metadata=support,
        timeout=DEADLINE,
    )
    assert [p.kind for p in registered.parts] == ["decision", "gdpr"]
    compiled = await access.CompileAccessRequest(
        apb.CompileAccessRequestRequest(request_id=registered.request_id),
        metadata=support,
        timeout=DEADLINE,
    )
    ids = {i.item_id for i in compiled.items}
    assert ids == {n.note_id for n in written} | {shown.document_id, hidden.document_id}

    async def decide(item_id: str, decision: str, basis: str = "", passages: Any = ()) -> None:
        await access.DecideAccessItem(
            apb.DecideAccessItemRequest(
                request_id=registered.request_id,
                item_id=item_id,
                decision=decision,
                legal_basis=basis,
                redacted_passages=list(passages),
            ),
            metadata=support,
            timeout=DEADLINE,
        )

    with pytest.raises(grpc.aio.AioRpcError) as early:
        await access.DeliverAccessRequest(
            apb.DeliverAccessRequestRequest(request_id=registered.request_id),
            metadata=support,
            timeout=DEADLINE,
        )
    assert early.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    for note in (written[0], written[2]):
        await decide(note.note_id, "disclose")
    await decide(written[1].note_id, "partly", "fvl_15a", [PASSAGE])
    await decide(shown.document_id, "disclose")
    await decide(hidden.document_id, "withhold", "fvl_15b")
    delivered = await access.DeliverAccessRequest(
        apb.DeliverAccessRequestRequest(request_id=registered.request_id),
        metadata=support,
        timeout=DEADLINE,
    )
    assert delivered.status == "delivered"
    assert [p.status for p in delivered.parts] == ["met", "met"]

    text = pdf_text(await downloaded(clients, delivered.package_document_id, me))
    listed = re.findall(r"^\d+\. (.+?) \((notat|dokument), ", text, flags=re.MULTILINE)
    assert sorted(title for title, _ in listed) == ["Notat (møde)"] * 3 + ["Skoleudtalelse"]
    assert SECRET not in text and PASSAGE not in text and "[UDELADT]" in text
    assert "Drengen trives bedre." in text and texts[0] in text

    letter = pdf_text(await downloaded(clients, delivered.letter_document_id, me))
    assert "Du får aktindsigt i 4 af 5 dokumenter og notater." in letter
    assert "Forvaltningsloven § 15 b" in letter and "Klagevejledning" in letter

    async def mailed() -> list[Any]:
        found = await received_async(
            clients.platform, lambda m: "anne.hansen@example.dk" in (m["To"] or "")
        )
        return found if len(found) >= 2 else []

    sent = await eventually(mailed, timeout=60)  # the decision letter and the package
    subjects = [str(make_header(decode_header(m["Subject"]))) for m in sent]
    assert sorted(subjects) == [
        "Afgørelse om aktindsigt",
        "Aktindsigt: de udleverede dokumenter",
    ]
    for mail in sent:
        [pdf] = attached_pdfs(mail)
        assert SECRET not in pdf_text(pdf)

    journal = await clients.documents.GetJournal(
        dpb.GetJournalRequest(case_id=flow.case_id), metadata=me, timeout=DEADLINE
    )
    assert {"access_request", "access_delivered"} <= {e.kind for e in journal.entries}
    audit = clients.db("documents").audit_trail
    compiled_records = await audit.count_documents({"access_request_id": registered.request_id})
    assert compiled_records == 5 + 1  # each item compiled and the package delivered


async def test_a_deadline_missed_without_a_delay_letter_escalates_to_the_manager(
    clients: Clients, suppliers: Suppliers, access: access_pb2_grpc.AccessRequestsServiceStub
) -> None:
    flow = Flow(clients, suppliers)
    await registered_case(flow, form("single_case"))
    await once_known(
        lambda: clients.documents.WriteNote(
            dpb.WriteNoteRequest(case_id=flow.case_id, category="other", text="Notat."),
            metadata=flow.as_consultant(),
            timeout=DEADLINE,
        )
    )
    manager = f"leder-{new_id()[:8]}"
    received = today() - timedelta(days=20)

    async def registered(relation: str) -> Any:
        return await access.RegisterAccessRequest(
            apb.RegisterAccessRequestRequest(
                channel="phone",
                requester_name="Journalist",
                relation=relation,
                case_ids=[flow.case_id],
                received_on=received.isoformat(),
                manager_id=manager,
            ),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )

    late = await registered("other")
    reported = await access.CheckAccessDeadlines(
        apb.CheckAccessDeadlinesRequest(),
        metadata=staff(clients, manager, "manager"),
        timeout=DEADLINE,
    )
    assert reported.reported >= 1

    async def escalated() -> list[Any]:
        listed = await clients.notifications.ListNotices(
            npb.ListNoticesRequest(case_id=late.request_id),
            metadata=staff(clients, manager, "manager"),
            timeout=DEADLINE,
        )
        return [n for n in listed.notices if n.kind == "deadline_escalation"]

    [notice] = await eventually(escalated)
    assert "aktindsigt" in notice.text
    after = await access.GetAccessRequest(
        apb.GetAccessRequestRequest(request_id=late.request_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert [p.status for p in after.parts] == ["missed"]
