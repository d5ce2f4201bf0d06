"""Paging (AIP-158) of intake's audit trail and KaS registrations, notifications' notices,
letters, surveys and deliveries, and documents' journal, documents and concern reports: small
pages give each item that existed before the first page exactly once, in the documented order,
while new items arrive between the pages; a token used with other filters, and a negative page
size, are INVALID_ARGUMENT; supplier staff and consultants see only their own on every page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import grpc
import pytest

from services.cli.pages import every_page
from services.contracts.intake import InquiryLetterRequested, LetterRecipient
from services.contracts.leverance import SatisfactionSurveyRequested
from services.documents import case_record
from services.documents.concern import handlers as concern_handlers
from services.documents.concern.handlers import CONCERNS
from services.documents.handlers import JOURNAL
from services.intake.audit import AUDIT, AUDIT_ORDER
from services.intake.kas import handlers as kas_handlers
from services.kernel.envelope import Envelope, EventPayload, new_id, utcnow
from services.kernel.paging import Paging
from services.kernel.topics import events_topic
from services.notifications import letters as letters_module
from services.notifications import surveys as surveys_module
from services.notifications.delivery import handlers as outbound
from services.notifications.handlers import NOTICE_ORDER, notices
from tests.integration.caseflow_helpers import (
    Flow,
    Suppliers,
    handed_single_case,
    refused,
)
from tests.integration.test_documents import upload
from tests.integration.test_intake_kas import Kas
from tests.integration.visitation_helpers import supplier_staff
from tests.support import DEADLINE, Clients, eventually, produce
from vias.documents.v1 import concern_pb2 as cpb
from vias.documents.v1 import concern_pb2_grpc
from vias.documents.v1 import documents_pb2 as dpb
from vias.intake.v1 import intake_pb2, kas_pb2
from vias.notifications.v1 import (
    deliveries_pb2,
    deliveries_pb2_grpc,
    letters_pb2,
    letters_pb2_grpc,
    notifications_pb2,
    surveys_pb2,
    surveys_pb2_grpc,
)

INVALID = grpc.StatusCode.INVALID_ARGUMENT
SURVEY_YEAR = 2003
"""Surveys of courses closed in a year no other test uses, so that the year filter holds only
this module's surveys."""


@dataclass
class Paged:
    """Every item of a listing followed page by page, and how many each page held."""

    items: list[Any] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)


async def paged(
    method: Any,
    request: Any,
    items: str,
    metadata: Sequence[tuple[str, str]],
    *,
    arrive: Callable[[], Awaitable[None]] | None = None,
) -> Paged:
    """The listing followed with the CLI's `every_page` (on a copy of `request`); `arrive` adds
    an item between pages."""
    found = Paged()

    async def call(page: Any) -> Any:
        return await method(page, metadata=metadata, timeout=DEADLINE)

    async def on_page(reply: Any) -> None:
        found.sizes.append(len(getattr(reply, items)))
        if arrive is not None and reply.next_page_token:
            await arrive()

    first = type(request)()
    first.CopyFrom(request)
    reply = await every_page(call, first, items, on_page=on_page)
    found.items = list(getattr(reply, items))
    return found


def ns(moment: Any) -> int:
    """A proto Timestamp as nanoseconds, for ordering."""
    return int(moment.ToNanoseconds())


def assert_paged(
    found: Paged, ids: list[str], *, before: Sequence[str], size: int, ordered: list[str]
) -> None:
    """Several full pages, each item at most once, every item of `before` present, and the
    items as the documented order (`ordered`, the same items sorted by it) has them."""
    assert len(found.sizes) >= 3, found.sizes
    assert all(n == size for n in found.sizes[:-1]) and 0 < found.sizes[-1] <= size
    assert len(ids) == len(set(ids)), "an item came twice"
    assert set(before) <= set(ids), "an item that was there before the first page is missing"
    assert ids == ordered


async def publish(clients: Clients, source: str, payload: EventPayload) -> None:
    """An event on its producer's topic, as the producing service would write it."""
    envelope = Envelope.wrap(payload, source=source, correlation_id=new_id(), causation_id=None)
    await produce(clients.platform, events_topic(source), payload.subject(), envelope.to_bytes())


# --- intake --------------------------------------------------------------------------------


async def test_the_audit_trail_pages_newest_first(clients: Clients) -> None:
    inquiry = await clients.register()
    reader = f"auditor-{new_id()[:8]}"

    async def read(purpose: str) -> None:
        await clients.intake.GetInquiry(
            intake_pb2.GetInquiryRequest(inquiry_id=inquiry.inquiry_id, purpose=purpose),
            metadata=clients.auth(user=reader),
            timeout=DEADLINE,
        )

    for i in range(13):
        await read(f"paging {i:02d}")
    arrived = 0

    async def arrive() -> None:
        nonlocal arrived
        arrived += 1
        await read(f"arrived {arrived}")

    manager = clients.auth(user="manager-1", role="manager")
    request = intake_pb2.ListAuditTrailRequest(user_id=reader, page_size=4)
    found = await paged(clients.intake.ListAuditTrail, request, "records", manager, arrive=arrive)
    purposes = [r.purpose for r in found.items]
    newest_first = [r.purpose for r in sorted(found.items, key=lambda r: -ns(r.at))]
    # Newer records than the first page's come before the cursor: never on a later page.
    assert_paged(
        found,
        purposes,
        before=[f"paging {i:02d}" for i in range(13)],
        size=4,
        ordered=newest_first,
    )
    assert purposes == [f"paging {i:02d}" for i in reversed(range(13))] and arrived >= 3

    first = await clients.intake.ListAuditTrail(request, metadata=manager, timeout=DEADLINE)
    other = intake_pb2.ListAuditTrailRequest(user_id="someone-else", page_token="")
    other.page_token = first.next_page_token
    assert await refused(clients.intake.ListAuditTrail, other, manager) == INVALID
    negative = intake_pb2.ListAuditTrailRequest(user_id=reader, page_size=-1)
    assert await refused(clients.intake.ListAuditTrail, negative, manager) == INVALID


async def test_kas_registrations_page_within_the_supplier(clients: Clients) -> None:
    ours = Kas(clients, f"sup-{new_id()[:8]}", user="kas-paging")
    theirs = Kas(clients, f"sup-{new_id()[:8]}", user="kas-paging")
    today = date.today()

    async def draft(kas: Kas, days_ago: int) -> str:
        day = (today - timedelta(days=days_ago)).isoformat()
        saved = await kas.save(kas_pb2.KasForm(channel="email", inquiry_date=day), complete=False)
        return str(saved.registration_id)

    # Several share an inquiry date: the order is made total by the registration id.
    before = [await draft(ours, i % 4) for i in range(14)]
    others = [await draft(theirs, i) for i in range(3)]

    async def arrive() -> None:
        await draft(ours, 2)
        await draft(theirs, 2)

    request = kas_pb2.ListKasRegistrationsRequest(view="search", page_size=5)
    found = await paged(
        ours.stub.ListKasRegistrations, request, "registrations", ours.metadata, arrive=arrive
    )
    ids = [r.registration_id for r in found.items]
    ordered = sorted(
        found.items,
        key=lambda r: (-date.fromisoformat(r.form.inquiry_date).toordinal(), r.registration_id),
    )
    assert_paged(found, ids, before=before, size=5, ordered=[r.registration_id for r in ordered])
    assert {r.supplier_id for r in found.items} == {ours.supplier_id}
    assert not set(others) & set(ids)

    first = await ours.call("ListKasRegistrations", request)
    other = kas_pb2.ListKasRegistrationsRequest(
        view="search", text="Lene", page_token=first.next_page_token
    )
    assert (await ours.error("ListKasRegistrations", other)).code() == INVALID
    negative = kas_pb2.ListKasRegistrationsRequest(view="search", page_size=-2)
    assert (await ours.error("ListKasRegistrations", negative)).code() == INVALID


# --- notifications -------------------------------------------------------------------------


async def test_notices_page_newest_first_while_new_ones_arrive(clients: Clients) -> None:
    consultant = f"c-paging-{new_id()[:8]}"
    inquiry = await clients.register_and_assign(consultant=consultant)
    for i in range(11):
        await clients.add_material(inquiry.inquiry_id, title=f"Bilag {i}")
    mine = clients.auth(user=consultant, role="consultant")

    async def every_notice() -> list[Any] | None:
        reply = await clients.notifications.ListNotices(
            notifications_pb2.ListNoticesRequest(page_size=500), metadata=mine, timeout=DEADLINE
        )
        material = [n for n in reply.notices if n.kind == "supplementary_material"]
        return list(reply.notices) if len(material) == 11 else None

    before = [n.notice_id for n in await eventually(every_notice)]

    async def arrive() -> None:
        await clients.add_material(inquiry.inquiry_id, title="Eftersendt bilag")

    request = notifications_pb2.ListNoticesRequest(page_size=3)
    found = await paged(clients.notifications.ListNotices, request, "notices", mine, arrive=arrive)
    ids = [n.notice_id for n in found.items]
    ordered = sorted(found.items, key=lambda n: (-ns(n.created_at), n.notice_id))
    assert_paged(found, ids, before=before, size=3, ordered=[n.notice_id for n in ordered])
    assert {n.recipient_id for n in found.items} == {consultant}

    first = await clients.notifications.ListNotices(request, metadata=mine, timeout=DEADLINE)
    other = notifications_pb2.ListNoticesRequest(
        case_id="another-case", page_token=first.next_page_token
    )
    assert await refused(clients.notifications.ListNotices, other, mine) == INVALID
    negative = notifications_pb2.ListNoticesRequest(page_size=-1)
    assert await refused(clients.notifications.ListNotices, negative, mine) == INVALID


async def request_letters(clients: Clients, inquiry_id: str, consultant: str, n: int) -> None:
    """Intake's request for the receipt letter to `n` recipients of one inquiry."""
    recipients = [
        LetterRecipient(name=f"Modtager {i}", role="inquirer", email=f"paging-{i}@example.dk")
        for i in range(n)
    ]
    event = InquiryLetterRequested(
        inquiry_id=inquiry_id,
        letter_kind="receipt",
        consultant_id=consultant,
        recipients=recipients,
        requested_at=utcnow(),
    )
    await publish(clients, "intake", event)


async def test_letters_and_deliveries_page_oldest_first(clients: Clients) -> None:
    inquiry_id, consultant = new_id(), f"c-letters-{new_id()[:8]}"
    # Each request's letters share their moment: the order is made total by the id.
    for _ in range(4):
        await request_letters(clients, inquiry_id, consultant, 4)
    channel = grpc.aio.insecure_channel(clients.platform.grpc_address("notifications"))
    letters = letters_pb2_grpc.LettersServiceStub(channel)
    deliveries = deliveries_pb2_grpc.DeliveriesServiceStub(channel)
    support = clients.auth()

    async def recorded() -> tuple[list[str], list[str]] | None:
        listed = await letters.ListLetters(
            letters_pb2.ListLettersRequest(inquiry_id=inquiry_id, page_size=500),
            metadata=support,
            timeout=DEADLINE,
        )
        queued = await deliveries.ListDeliveries(
            deliveries_pb2.ListDeliveriesRequest(inquiry_id=inquiry_id, page_size=500),
            metadata=support,
            timeout=DEADLINE,
        )
        if len(listed.letters) < 16 or len(queued.deliveries) < 16:
            return None
        return [x.letter_id for x in listed.letters], [d.delivery_id for d in queued.deliveries]

    letters_before, deliveries_before = await eventually(recorded)

    async def arrive() -> None:
        await request_letters(clients, inquiry_id, consultant, 1)

    # Letters and deliveries requested after the first page are newer than its cursor: they
    # come at the end, once each (or not yet, while notifications is still recording them).
    letter_request = letters_pb2.ListLettersRequest(inquiry_id=inquiry_id, page_size=5)
    found = await paged(letters.ListLetters, letter_request, "letters", support, arrive=arrive)
    ids = [x.letter_id for x in found.items]
    ordered = sorted(found.items, key=lambda x: (ns(x.created_at), x.letter_id))
    assert_paged(found, ids, before=letters_before, size=5, ordered=[x.letter_id for x in ordered])
    assert ids[:16] == letters_before

    # The consultant the letters name sees their deliveries on every page; another, none.
    theirs = clients.auth(user=consultant, role="consultant")
    delivery_request = deliveries_pb2.ListDeliveriesRequest(inquiry_id=inquiry_id, page_size=6)
    found = await paged(
        deliveries.ListDeliveries, delivery_request, "deliveries", theirs, arrive=arrive
    )
    ids = [d.delivery_id for d in found.items]
    ordered = sorted(found.items, key=lambda d: (ns(d.created_at), d.delivery_id))
    assert_paged(
        found, ids, before=deliveries_before, size=6, ordered=[d.delivery_id for d in ordered]
    )
    assert {d.consultant_id for d in found.items} == {consultant}
    someone = clients.auth(user="c-someone-else", role="consultant")
    hidden = await deliveries.ListDeliveries(
        deliveries_pb2.ListDeliveriesRequest(inquiry_id=inquiry_id, page_size=3),
        metadata=someone,
        timeout=DEADLINE,
    )
    assert list(hidden.deliveries) == [] and hidden.next_page_token == ""

    first = await letters.ListLetters(letter_request, metadata=support, timeout=DEADLINE)
    assert first.next_page_token
    other = letters_pb2.ListLettersRequest(inquiry_id=new_id(), page_token=first.next_page_token)
    assert await refused(letters.ListLetters, other, support) == INVALID
    page = await deliveries.ListDeliveries(delivery_request, metadata=support, timeout=DEADLINE)
    by_case = deliveries_pb2.ListDeliveriesRequest(
        case_id=new_id(), page_token=page.next_page_token
    )
    assert await refused(deliveries.ListDeliveries, by_case, support) == INVALID
    negative = deliveries_pb2.ListDeliveriesRequest(inquiry_id=inquiry_id, page_size=-1)
    assert await refused(deliveries.ListDeliveries, negative, support) == INVALID
    await channel.close()


async def request_survey(clients: Clients) -> None:
    """Leverance's request for the survey of a course closed in SURVEY_YEAR."""
    closed = datetime(SURVEY_YEAR, 6, 1, 12, tzinfo=UTC)
    event = SatisfactionSurveyRequested(
        case_id=f"paging-{new_id()}",
        inquiry_id=new_id(),
        service="single_case",
        main_area="adults",
        consultant_id="c-surveys",
        supplier_ids=["supplier-paging"],
        closed_at=closed,
    )
    await publish(clients, "leverance", event)


async def test_surveys_page_newest_first(clients: Clients) -> None:
    for _ in range(12):
        await request_survey(clients)
    channel = grpc.aio.insecure_channel(clients.platform.grpc_address("notifications"))
    surveys = surveys_pb2_grpc.SurveysServiceStub(channel)
    support = clients.auth()

    async def every_survey() -> list[Any] | None:
        reply = await surveys.ListSurveys(
            surveys_pb2.ListSurveysRequest(year=SURVEY_YEAR, page_size=500),
            metadata=support,
            timeout=DEADLINE,
        )
        return list(reply.surveys) if len(reply.surveys) >= 12 else None

    before = [s.survey_id for s in await eventually(every_survey)]

    async def arrive() -> None:
        await request_survey(clients)

    request = surveys_pb2.ListSurveysRequest(year=SURVEY_YEAR, page_size=5)
    found = await paged(surveys.ListSurveys, request, "surveys", support, arrive=arrive)
    ids = [s.survey_id for s in found.items]
    ordered = sorted(found.items, key=lambda s: (-ns(s.created_at), s.survey_id))
    assert_paged(found, ids, before=before, size=5, ordered=[s.survey_id for s in ordered])

    first = await surveys.ListSurveys(request, metadata=support, timeout=DEADLINE)
    other = surveys_pb2.ListSurveysRequest(
        year=SURVEY_YEAR, main_area="other", page_token=first.next_page_token
    )
    assert await refused(surveys.ListSurveys, other, support) == INVALID
    negative = surveys_pb2.ListSurveysRequest(year=SURVEY_YEAR, page_size=-1)
    assert await refused(surveys.ListSurveys, negative, support) == INVALID
    await channel.close()


# --- documents -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def flow(clients: Clients, suppliers: Suppliers) -> Flow:
    """One single-case course handed to the main supplier."""
    return await handed_single_case(Flow(clients, suppliers))


async def test_a_cases_journal_pages_newest_first_within_the_callers_view(
    clients: Clients, flow: Flow
) -> None:
    async def note(text: str) -> str:
        written = await clients.documents.WriteNote(
            dpb.WriteNoteRequest(case_id=flow.case_id, category="other", text=text),
            metadata=flow.as_specialist(),
            timeout=DEADLINE,
        )
        return str(written.note_id)

    notes = [await note(f"Notat {i}") for i in range(9)]
    arrived: list[str] = []

    async def arrive() -> None:
        arrived.append(await note("Notat skrevet mens journalen læses"))

    def newest_first(found: Paged) -> list[str]:
        ordered = sorted(found.items, key=lambda e: (ns(e.recorded_at), e.entry_id), reverse=True)
        return [e.entry_id for e in ordered]

    request = dpb.GetJournalRequest(case_id=flow.case_id, page_size=4)
    found = await paged(
        clients.documents.GetJournal, request, "entries", flow.as_specialist(), arrive=arrive
    )
    ids = [e.entry_id for e in found.items]
    assert_paged(found, ids, before=[], size=4, ordered=newest_first(found))
    noted = [e.note_id for e in found.items if e.note_id]
    assert set(notes) <= set(noted) and not set(arrived) & set(noted) and arrived
    # The supplier's staff see the case's entries only; VISO staff also the inquiry's.
    assert {e.case_id for e in found.items} == {flow.case_id}
    staff = await paged(
        clients.documents.GetJournal,
        dpb.GetJournalRequest(case_id=flow.case_id, page_size=5),
        "entries",
        flow.as_consultant(),
    )
    staff_ids = [e.entry_id for e in staff.items]
    assert_paged(staff, staff_ids, before=ids, size=5, ordered=newest_first(staff))
    assert "" in {e.case_id for e in staff.items}

    first = await clients.documents.GetJournal(
        request, metadata=flow.as_consultant(), timeout=DEADLINE
    )
    by_inquiry = dpb.GetJournalRequest(inquiry_id=flow.inquiry_id, page_token=first.next_page_token)
    assert await refused(clients.documents.GetJournal, by_inquiry, flow.as_consultant()) == INVALID
    documents = dpb.ListDocumentsRequest(case_id=flow.case_id, page_token=first.next_page_token)
    assert await refused(clients.documents.ListDocuments, documents, flow.as_consultant()) == (
        INVALID
    )
    negative = dpb.GetJournalRequest(case_id=flow.case_id, page_size=-1)
    assert await refused(clients.documents.GetJournal, negative, flow.as_consultant()) == INVALID


async def test_a_cases_documents_page_newest_first(clients: Clients, flow: Flow) -> None:
    async def uploaded(title: str) -> str:
        header = dpb.UploadHeader(
            case_id=flow.case_id, kind="other", title=title, filename="bilag.txt"
        )
        stored = await upload(clients, header, title.encode(), flow.as_specialist())
        return str(stored.document_id)

    mine = [await uploaded(f"Bilag {i}") for i in range(10)]
    arrived: list[str] = []

    async def arrive() -> None:
        arrived.append(await uploaded("Bilag lagt op mens listen læses"))

    request = dpb.ListDocumentsRequest(case_id=flow.case_id, page_size=4)
    found = await paged(
        clients.documents.ListDocuments, request, "documents", flow.as_specialist(), arrive=arrive
    )
    ids = [d.document_id for d in found.items]
    # Uploaded one after the other: newest first is the reverse of the uploads; documents
    # uploaded after the first page are newer than its cursor and never listed.
    in_listing = [i for i in ids if i in set(mine)]
    assert_paged(found, in_listing, before=mine, size=4, ordered=list(reversed(mine)))
    assert len(ids) == len(set(ids)) and not set(arrived) & set(ids) and arrived
    negative = dpb.ListDocumentsRequest(case_id=flow.case_id, page_size=-3)
    assert await refused(clients.documents.ListDocuments, negative, flow.as_specialist()) == (
        INVALID
    )


async def test_concern_reports_page_oldest_first_for_the_cases_supplier_only(
    clients: Clients, suppliers: Suppliers, flow: Flow
) -> None:
    channel = grpc.aio.insecure_channel(clients.platform.grpc_address("documents"))
    concerns = concern_pb2_grpc.ConcernReportsServiceStub(channel)

    async def drafted() -> str:
        report = await concerns.DraftConcernReport(
            cpb.DraftConcernReportRequest(
                case_id=flow.case_id,
                subject="child",
                recipients=["municipality"],
                municipality_code="461",
                facts="Drengen er 9 år.",
                viso_task="Rådgivning om undervisningen.",
                observations="Bekymring noteret under paging-testen.",
            ),
            metadata=flow.as_specialist(),
            timeout=DEADLINE,
        )
        return str(report.report_id)

    before = [await drafted() for _ in range(8)]
    arrived: list[str] = []

    async def arrive() -> None:
        arrived.append(await drafted())

    request = cpb.ListConcernReportsRequest(case_id=flow.case_id, page_size=3)
    found = await paged(
        concerns.ListConcernReports, request, "reports", flow.as_specialist(), arrive=arrive
    )
    ids = [r.report_id for r in found.items]
    ordered = sorted(found.items, key=lambda r: (ns(r.drafted_at), r.report_id))
    assert_paged(found, ids, before=before, size=3, ordered=[r.report_id for r in ordered])
    # Drafted after the cursor's report, the new ones come on a later page, once each.
    assert set(arrived) <= set(ids) and arrived
    assert {r.supplier_id for r in found.items} == {flow.supplier_id}

    theirs = supplier_staff(clients, suppliers.specialist(suppliers.theme), suppliers.theme)
    assert await refused(concerns.ListConcernReports, request, theirs) == grpc.StatusCode.NOT_FOUND
    first = await concerns.ListConcernReports(
        request, metadata=flow.as_specialist(), timeout=DEADLINE
    )
    # The supplier's token holds its supplier filter: VISO staff cannot continue with it.
    staff = cpb.ListConcernReportsRequest(case_id=flow.case_id, page_token=first.next_page_token)
    assert await refused(concerns.ListConcernReports, staff, flow.as_consultant()) == INVALID
    negative = cpb.ListConcernReportsRequest(case_id=flow.case_id, page_size=-1)
    assert await refused(concerns.ListConcernReports, negative, flow.as_consultant()) == INVALID
    await channel.close()


# --- indexes -------------------------------------------------------------------------------

MOMENT = datetime(2026, 3, 2, 10, tzinfo=UTC)
LISTINGS: list[tuple[str, str, dict[str, Any], tuple[tuple[str, int], ...]]] = [
    ("intake", AUDIT, {}, AUDIT_ORDER),
    ("intake", AUDIT, {"user_id": "u"}, AUDIT_ORDER),
    ("intake", AUDIT, {"inquiry_id": "i"}, AUDIT_ORDER),
    ("intake", AUDIT, {"inquiry_id": "i", "user_id": "u"}, AUDIT_ORDER),
    ("intake", kas_handlers.registrations.collection, {}, kas_handlers.ORDER),
    ("intake", kas_handlers.registrations.collection, {"supplier_id": "s"}, kas_handlers.ORDER),
    ("notifications", notices.collection, {"recipient_id": "r"}, NOTICE_ORDER),
    ("notifications", notices.collection, {"recipient_id": "r", "case_id": "c"}, NOTICE_ORDER),
    ("notifications", letters_module.letters.collection, {"inquiry_id": "i"}, letters_module.ORDER),
    ("notifications", surveys_module.surveys.collection, {}, surveys_module.ORDER),
    ("notifications", surveys_module.surveys.collection, {"year": 2003}, surveys_module.ORDER),
    (
        "notifications",
        surveys_module.surveys.collection,
        {"year": 2003, "main_area": "adults", "status": "unsent"},
        surveys_module.ORDER,
    ),
    ("notifications", outbound.deliveries.collection, {"inquiry_id": "i"}, outbound.ORDER),
    ("notifications", outbound.deliveries.collection, {"case_id": "c"}, outbound.ORDER),
    (
        "notifications",
        outbound.deliveries.collection,
        {"inquiry_id": "i", "consultant_id": "c"},
        outbound.ORDER,
    ),
    (
        "notifications",
        outbound.deliveries.collection,
        {"case_id": "c", "consultant_id": "c"},
        outbound.ORDER,
    ),
    ("documents", JOURNAL, {"case_id": "c"}, case_record.JOURNAL_ORDER),
    ("documents", JOURNAL, {"inquiry_id": "i"}, case_record.JOURNAL_ORDER),
    ("documents", JOURNAL, {"inquiry_id": "i", "case_id": ""}, case_record.JOURNAL_ORDER),
    ("documents", case_record.DOCUMENTS, {"case_id": "c"}, case_record.DOCUMENT_ORDER),
    ("documents", CONCERNS, {"case_id": "c"}, concern_handlers.ORDER),
    ("documents", CONCERNS, {"case_id": "c", "supplier_id": "s"}, concern_handlers.ORDER),
]


def index_names(plan: Any) -> list[str]:
    """Every index a query plan reads; a COLLSCAN stage is named as such."""
    if isinstance(plan, list):
        return [name for part in plan for name in index_names(part)]
    if not isinstance(plan, dict):
        return []
    found = ["COLLSCAN"] if plan.get("stage") == "COLLSCAN" else []
    if plan.get("indexName"):
        found.append(str(plan["indexName"]))
    for key, value in plan.items():
        if key not in ("rejectedPlans", "allPlansExecution"):
            found += index_names(value)
    return found


@pytest.mark.parametrize(("service", "collection", "query", "order"), LISTINGS)
async def test_first_and_deep_pages_are_served_by_an_index(
    clients: Clients,
    service: str,
    collection: str,
    query: dict[str, Any],
    order: tuple[tuple[str, int], ...],
) -> None:
    paging = Paging(order, query)
    last = {
        "at": MOMENT,
        "created_at": MOMENT,
        "recorded_at": MOMENT,
        "drafted_at": MOMENT,
        "form": {"inquiry_date": "2026-03-02"},
        "_id": "m",
    }
    coll = clients.db(service)[collection]
    for where in [query, *paging.where(query, paging.token_after(last))]:
        plan = await coll.find(where).sort(list(order)).limit(51).explain()
        used = index_names(plan.get("queryPlanner", plan))
        assert used and "COLLSCAN" not in used, (where, used)
