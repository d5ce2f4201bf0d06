"""Intake over gRPC against the real database and broker, with every service running."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import grpc
import pytest
from bson import json_util
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from services.intake.domain import is_distribution_day, next_distribution_day
from services.workdays import WorkingDayCalendar
from tests.support import (
    DEADLINE,
    Clients,
    adult_form,
    bad_fields,
    eventually,
    fake_cpr,
    outside_history,
)
from vias.documents.v1 import documents_pb2
from vias.intake.v1 import intake_pb2
from vias.notifications.v1 import letters_pb2, letters_pb2_grpc, notifications_pb2
from vias.visitation.v1 import visitation_pb2

SERVICES = ("intake", "visitation", "leverance", "documents", "notifications")


def next_wednesday() -> date:
    """The next Wednesday that is a distribution day."""
    day = date.today()
    while True:
        day = next_distribution_day(day, WorkingDayCalendar(), (2, 4))
        if day.weekday() == 2:
            return day


def child(name: str, cpr: str) -> intake_pb2.Citizen:
    return intake_pb2.Citizen(
        name=name,
        cpr=cpr,
        custody_holders=[intake_pb2.Person(name="Mette Mor", address="Skolevej 1, 7100 Vejle")],
        consent=intake_pb2.Consent(basis="consent", custody_holder_consented=True),
        details=f"Om {name}",
    )


def family_form(*children: intake_pb2.Citizen) -> intake_pb2.RegisterInquiryRequest:
    return intake_pb2.RegisterInquiryRequest(
        inquirer_name="Vejle Kommune",
        main_area="children_youth",
        description="Tre søskende med autisme; familien er presset",
        requested_service="single_case",
        management_approved=True,
        inquirer=intake_pb2.InquirerDetails(
            type="municipal_administration",
            organisation="Vejle Kommune, Børn og Familie",
            municipality_code="630",
            email="familie@vejle.dk",
        ),
        citizens=list(children),
        shared_information="Forældrene er skilt; fælles forældremyndighed.",
        attachments=[intake_pb2.DocumentRef(document_id="doc-f2-1", title="Skoleudtalelse")],
        target_groups=["autism_spectrum"],
    )


async def register(clients: Clients, request: Any, **auth: str) -> Any:
    return await clients.intake.RegisterInquiry(
        request, metadata=clients.auth(**auth), timeout=DEADLINE
    )


async def stored(clients: Clients, inquiry_id: str) -> Any:
    """The inquiry as Team Support reads it."""
    return await clients.intake.GetInquiry(
        intake_pb2.GetInquiryRequest(inquiry_id=inquiry_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )


async def error_of(call: Any, request: Any, metadata: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(request, metadata=metadata, timeout=DEADLINE)
    return caught.value


def violation_texts(error: grpc.aio.AioRpcError) -> str:
    """The descriptions of a BadRequest's field violations."""
    status = rpc_status.from_call(error)
    assert status is not None
    texts = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            texts += [v.description for v in bad.field_violations]
    return "\n".join(texts)


async def everything_stored(clients: Clients) -> str:
    """Every document of every service database, as one text."""
    parts = []
    for service in SERVICES:
        db = clients.db(service)
        for name in await db.list_collection_names():
            parts += [json_util.dumps(doc) async for doc in db[name].find({})]
    return "\n".join(parts)


async def intake_writes(clients: Clients) -> dict[str, int]:
    """Counts of what a registration writes in intake: inquiries, audit records and the
    registration events (only the calls of the running test make these; consumers don't)."""
    db = clients.db("intake")
    registered = {"type": {"$in": ["InquiryRegistered", "InquiryHeldForOngoingCourse"]}}
    return {
        "inquiries": await db.inquiries.count_documents({}),
        # Not notifications' audited Digital Post lookups, which its worker makes meanwhile.
        "audit_trail": await db.audit_trail.count_documents({"role": {"$ne": "system"}}),
        "registration events": await db.outbox.count_documents(registered),
    }


async def test_a_family_inquiry_with_three_children_yields_three_linked_inquiries(
    clients: Clients,
) -> None:
    cprs = [fake_cpr(born=2014), fake_cpr(born=2016), fake_cpr(born=2019)]
    first = await register(
        clients,
        family_form(*(child(n, c) for n, c in zip(("Asta", "Bo", "Carl"), cprs, strict=True))),
    )
    assert first.family_group_id and len(first.family_inquiry_ids) == 3
    listed = await clients.intake.ListInquiries(
        intake_pb2.ListInquiriesRequest(family_group_id=first.family_group_id, purpose="test"),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    found = sorted(listed.inquiries, key=lambda i: i.citizen.name)
    assert [i.citizen.name for i in found] == ["Asta", "Bo", "Carl"]
    assert {i.inquiry_id for i in found} == set(first.family_inquiry_ids)
    assert all(i.shared_information.startswith("Forældrene") for i in found)
    assert [i.citizen.details for i in found] == ["Om Asta", "Om Bo", "Om Carl"]
    assert [i.citizen.cpr_masked for i in found] == [c[:6] + "-xxxx" for c in cprs]
    assert all(i.citizen.cpr == "" for i in found)
    assert all(i.status == "registered" and i.distribution_date for i in found)

    async def attachment_journaled() -> Any:
        reply = await clients.documents.GetJournal(
            documents_pb2.GetJournalRequest(inquiry_id=found[0].inquiry_id),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
        kinds = sorted(e.kind for e in reply.entries)
        return kinds if "attachment" in kinds else None

    assert await eventually(attachment_journaled) == ["attachment", "inquiry_registered"]
    registered = await clients.db("intake").outbox.count_documents(
        {"key": {"$in": list(first.family_inquiry_ids)}, "type": "InquiryRegistered"}
    )
    assert registered == 3


async def test_an_inquiry_without_a_consent_basis_is_refused_and_leaves_no_trace(
    clients: Clients,
) -> None:
    marker = "Nomen Nescio Refusatus"
    cpr = fake_cpr()
    request = adult_form(citizen_name=marker, cpr=cpr)
    request.citizens[0].consent.Clear()
    before = await intake_writes(clients)
    error = await error_of(clients.intake.RegisterInquiry, request, clients.auth())
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == {"citizens.0.consent.basis"}
    assert "VISO cannot process" in violation_texts(error)
    stored = await everything_stored(clients)
    assert marker not in stored
    assert cpr.replace("-", "") not in stored and cpr not in stored
    assert await intake_writes(clients) == before
    for path in clients.platform.log_dir.glob("*.log"):
        text = path.read_text(errors="replace")
        assert marker not in text and cpr not in text and cpr.replace("-", "") not in text


async def test_bad_input_names_each_field(clients: Clients) -> None:
    before = await intake_writes(clients)
    alone = await error_of(
        clients.intake.RegisterInquiry, adult_form(cpr="320290-1234"), clients.auth()
    )
    assert alone.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(alone) == {"citizens.0.cpr"}
    assert "320290" not in (alone.details() or "")
    # One form with a malformed CPR, an unknown municipality and a required field left empty:
    # all three are named at once, not one per attempt.
    marker = "Malformus Formularius"
    together = adult_form(
        cpr="320290-1234", municipality_code="999", description="", citizen_name=marker
    )
    error = await error_of(clients.intake.RegisterInquiry, together, clients.auth())
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == {"citizens.0.cpr", "inquirer.municipality_code", "description"}
    assert "320290" not in violation_texts(error) and "320290" not in (error.details() or "")
    assert marker not in await everything_stored(clients)
    assert await intake_writes(clients) == before
    # A CPR number typed into free text later is refused like one in the form.
    stored = await clients.register()
    plain = fake_cpr()
    error = await error_of(
        clients.intake.UpdateInquiryDescription,
        intake_pb2.UpdateInquiryDescriptionRequest(
            inquiry_id=stored.inquiry_id,
            expected_version=stored.version,
            description=f"Borgeren har CPR {plain}",
        ),
        clients.auth(),
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == {"description"}
    assert plain not in await everything_stored(clients)
    # A search with an unknown status, an impossible date and an unknown municipality names
    # all three rather than quietly finding nothing.
    error = await error_of(
        clients.intake.SearchInquiries,
        intake_pb2.ListInquiriesRequest(
            status="bogus", registered_from="2026-02-30", municipality_code="999"
        ),
        clients.auth(),
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == {"status", "registered_from", "municipality_code"}
    error = await error_of(
        clients.intake.GetInquiry, intake_pb2.GetInquiryRequest(), clients.auth()
    )
    assert (error.code(), bad_fields(error)) == (grpc.StatusCode.INVALID_ARGUMENT, {"inquiry_id"})
    unknown = adult_form(municipality_code="999")
    unknown.citizens[0].consent.citizen_consented = False
    error = await error_of(clients.intake.RegisterInquiry, unknown, clients.auth())
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == {
        "inquirer.municipality_code",
        "citizens.0.consent.citizen_consented",
    }


async def held_inquiry(clients: Clients) -> tuple[Any, Any]:
    cpr = fake_cpr()
    course = await register(clients, adult_form(cpr=cpr, citizen_name="Kurt Kursus"))
    await clients.assign(
        course.inquiry_id, consultant="consultant-course", on=next_wednesday().isoformat()
    )
    second = await register(clients, adult_form(cpr=cpr, citizen_name="Kurt Kursus"))
    return course, second


async def test_a_second_inquiry_for_a_citizen_in_a_course_goes_to_that_course_s_consultant(
    clients: Clients,
) -> None:
    course, held = await held_inquiry(clients)
    assert held.status == "awaiting_course_decision"
    assert (held.ongoing_inquiry_id, held.held_for_consultant_id) == (
        course.inquiry_id,
        "consultant-course",
    )
    assert held.distribution_date == ""

    async def notice() -> Any:
        reply = await clients.notifications.ListNotices(
            notifications_pb2.ListNoticesRequest(limit=500),
            metadata=clients.auth(user="consultant-course", role="consultant"),
            timeout=DEADLINE,
        )
        return [
            n
            for n in reply.notices
            if n.kind == "course_decision" and n.subject_id == held.inquiry_id
        ]

    assert len(await eventually(notice)) == 1
    decide = intake_pb2.DecideOngoingCourseRequest(
        inquiry_id=held.inquiry_id, decision="journal_on_existing"
    )
    error = await error_of(
        clients.intake.DecideOngoingCourse, decide, clients.auth(user="other", role="consultant")
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    decided = await clients.intake.DecideOngoingCourse(
        decide,
        metadata=clients.auth(user="consultant-course", role="consultant"),
        timeout=DEADLINE,
    )
    assert (decided.status, decided.journaled_on) == ("journaled_on_course", course.inquiry_id)
    ongoing = await clients.intake.GetInquiry(
        intake_pb2.GetInquiryRequest(inquiry_id=course.inquiry_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert [s.from_inquiry_id for s in ongoing.supplements] == [held.inquiry_id]


async def test_a_wednesday_distribution_assigns_and_emits_the_letter_events(
    clients: Clients,
) -> None:
    wednesday = next_wednesday().isoformat()
    kid = await register(clients, family_form(child("Dina", fake_cpr(born=2015))))
    adult = await clients.register()
    listed = await clients.intake.ProduceDistributionList(
        intake_pb2.ProduceDistributionListRequest(list_date=wednesday),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    on_list = {i.inquiry_id for i in listed.inquiries}
    assert {kid.inquiry_id, adult.inquiry_id} <= on_list
    assert all(i.status == "registered" for i in listed.inquiries)
    trail = await clients.intake.ListAuditTrail(
        intake_pb2.ListAuditTrailRequest(inquiry_id=kid.inquiry_id),
        metadata=clients.auth(user="boss", role="manager"),
        timeout=DEADLINE,
    )
    assert [(r.action, r.call) for r in trail.records] == [
        ("distribution_list", "ProduceDistributionList"),
        ("write", "RegisterInquiry"),
    ]
    tuesday = (next_wednesday() - timedelta(days=1)).isoformat()
    error = await error_of(
        clients.intake.AssignInquiry,
        intake_pb2.AssignInquiryRequest(
            inquiry_id=kid.inquiry_id, consultant_id="c-1", distributed_on=tuesday
        ),
        clients.auth(),
    )
    assert bad_fields(error) == {"distributed_on"}
    assigned = await clients.intake.AssignInquiry(
        intake_pb2.AssignInquiryRequest(
            inquiry_id=kid.inquiry_id,
            consultant_id="consultant-wed",
            consultant_name="Karen Konsulent",
            distributed_on=wednesday,
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert (assigned.status, assigned.distributed_on) == ("assigned", wednesday)
    rows = (
        await clients.db("intake")
        .outbox.find({"type": {"$in": ["InquiryAssigned", "InquiryLetterRequested"]}})
        .to_list()
    )
    payloads = [json.loads(r["value"])["payload"] for r in rows]
    mine = [p for p in payloads if p["inquiry_id"] == kid.inquiry_id]
    assert sorted(p.get("letter_kind", "assigned") for p in mine) == [
        "assigned",
        "personal_data",
        "receipt",
    ]

    letters = letters_pb2_grpc.LettersServiceStub(clients._channels["notifications"])

    async def sent() -> Any:
        reply = await letters.ListLetters(
            letters_pb2.ListLettersRequest(inquiry_id=kid.inquiry_id),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
        return reply.letters if len(reply.letters) == 3 else None

    found = await eventually(sent)
    by_role = {(x.letter_kind, x.recipient_role): x for x in found}
    assert set(by_role) == {
        ("receipt", "inquirer"),
        ("personal_data", "citizen"),
        ("personal_data", "custody_holder"),
    }
    assert "Karen Konsulent" in by_role[("receipt", "inquirer")].text

    async def journaled() -> Any:
        reply = await clients.documents.GetJournal(
            documents_pb2.GetJournalRequest(inquiry_id=kid.inquiry_id),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
        kinds = {e.kind for e in reply.entries}
        return kinds if {"receipt_letter", "personal_data_letter", "case_opened"} <= kinds else None

    await eventually(journaled)
    case = await eventually(lambda: case_or_none(clients, kid.inquiry_id))
    assert case.consultant_id == "consultant-wed"


def distribution_day_before(day: date) -> date:
    """The last distribution day before `day`."""
    earlier = day - timedelta(days=1)
    while not is_distribution_day(earlier, WorkingDayCalendar(), (2, 4)):
        earlier -= timedelta(days=1)
    return earlier


async def test_an_inquiry_is_assigned_only_from_the_list_it_is_on(clients: Clients) -> None:
    inquiry = await clients.register()
    own = date.fromisoformat(inquiry.distribution_date)
    before_registration = distribution_day_before(date.today())
    later = next_distribution_day(own, WorkingDayCalendar(), (2, 4))

    def assign(on: date) -> intake_pb2.AssignInquiryRequest:
        return intake_pb2.AssignInquiryRequest(
            inquiry_id=inquiry.inquiry_id, consultant_id="c-dates", distributed_on=on.isoformat()
        )

    for wrong in (before_registration, later):
        error = await error_of(clients.intake.AssignInquiry, assign(wrong), clients.auth())
        assert outside_history(error) == {"distributed_on"}  # FAILED_PRECONDITION
        assert f"is on the distribution list of {own}, not {wrong}" in (error.details() or "")
    unchanged = await stored(clients, inquiry.inquiry_id)
    assert (unchanged.version, unchanged.status, unchanged.distributed_on) == (
        inquiry.version,
        "registered",
        "",
    )
    outbox = clients.db("intake").outbox
    assert await outbox.count_documents({"key": inquiry.inquiry_id, "type": "InquiryAssigned"}) == 0

    # Not assigned from its own list, it is on the next one once that is made, and only there.
    listed = await clients.intake.ProduceDistributionList(
        intake_pb2.ProduceDistributionListRequest(list_date=later.isoformat()),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    [shown] = [i for i in listed.inquiries if i.inquiry_id == inquiry.inquiry_id]
    assert (shown.distribution_date, shown.version) == (later.isoformat(), inquiry.version + 1)
    error = await error_of(clients.intake.AssignInquiry, assign(own), clients.auth())
    assert f"is on the distribution list of {later}, not {own}" in (error.details() or "")
    assigned = await clients.intake.AssignInquiry(
        assign(later), metadata=clients.auth(), timeout=DEADLINE
    )
    assert (assigned.status, assigned.distributed_on) == ("assigned", later.isoformat())


async def case_or_none(clients: Clients, inquiry_id: str) -> Any:
    try:
        return await clients.visitation.GetCaseByInquiry(
            visitation_pb2.GetCaseByInquiryRequest(inquiry_id=inquiry_id),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
    except grpc.aio.AioRpcError:
        return None


async def test_the_cpr_is_masked_revealed_only_on_request_and_every_read_is_audited(
    clients: Clients,
) -> None:
    cpr = fake_cpr()
    inquiry = await register(clients, adult_form(cpr=cpr))
    request = intake_pb2.GetInquiryRequest(inquiry_id=inquiry.inquiry_id)
    masked = await clients.intake.GetInquiry(request, metadata=clients.auth(), timeout=DEADLINE)
    assert (masked.citizen.cpr_masked, masked.citizen.cpr) == (cpr[:6] + "-xxxx", "")
    reveal = intake_pb2.GetInquiryRequest(
        inquiry_id=inquiry.inquiry_id, reveal_cpr=True, purpose="letter to the citizen"
    )
    shown = await clients.intake.GetInquiry(
        reveal, metadata=clients.auth(user="c-9", role="consultant"), timeout=DEADLINE
    )
    assert shown.citizen.cpr == cpr
    for role, supplier in (("manager", None), ("specialist", "s")):
        error = await error_of(
            clients.intake.GetInquiry, reveal, clients.auth(user="x", role=role, supplier=supplier)
        )
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    found = await clients.intake.SearchInquiries(
        intake_pb2.ListInquiriesRequest(cpr=cpr, purpose="duplicate check"),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert [i.inquiry_id for i in found.inquiries] == [inquiry.inquiry_id]
    trail = await clients.intake.ListAuditTrail(
        intake_pb2.ListAuditTrailRequest(inquiry_id=inquiry.inquiry_id),
        metadata=clients.auth(user="boss", role="manager"),
        timeout=DEADLINE,
    )
    seen = sorted((r.user_id, r.action, r.purpose) for r in trail.records if r.role != "system")
    assert seen == [
        ("c-9", "reveal_cpr", "letter to the citizen"),
        ("support-1", "list", "duplicate check"),
        ("support-1", "read", "GetInquiry"),
        ("support-1", "write", "RegisterInquiry"),
    ]
    assert {r.citizen_ref for r in trail.records} == {masked.citizen.citizen_ref}


async def test_a_phone_inquiry_is_registered_and_closed_with_a_referral(clients: Clients) -> None:
    opened = await clients.intake.RegisterContactInquiry(
        intake_pb2.RegisterContactInquiryRequest(
            channel="phone",
            main_area="adults",
            inquirer_type="relative",
            summary="Spørgsmål om aflastning",
        ),
        metadata=clients.auth(user="c-phone", role="consultant"),
        timeout=DEADLINE,
    )
    assert (opened.status, opened.kind) == ("open", "phone")
    closed = await clients.intake.CloseContactInquiry(
        intake_pb2.CloseContactInquiryRequest(
            inquiry_id=opened.inquiry_id, outcome="referred_elsewhere", referred_to="Ældresagen"
        ),
        metadata=clients.auth(user="c-phone", role="consultant"),
        timeout=DEADLINE,
    )
    assert (closed.status, closed.outcome, closed.referred_to) == (
        "closed",
        "referred_elsewhere",
        "Ældresagen",
    )


async def test_extended_phone_advice_is_created_internally_and_opens_a_case(
    clients: Clients,
) -> None:
    created = await clients.intake.CreateInternalCase(
        intake_pb2.CreateInternalCaseRequest(
            kind="phone_extended",
            consultant_id="c-ext",
            main_area="special_education",
            inquirer_type="ppr",
            inquirer_name="PPR Aarhus",
            municipality_code="751",
            description="Udvidet telefonrådgivning om skolevægring",
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert (created.case_type, created.case_name, created.status) == (
        "udvidet telefonrådgivning",
        "Udvidet telefonrådgivning \u2013 Aarhus Kommune",
        "assigned",
    )
    case = await eventually(lambda: case_or_none(clients, created.inquiry_id))
    assert case.consultant_id == "c-ext"


async def test_supplementary_material_and_withdrawn_consent_are_journaled(
    clients: Clients,
) -> None:
    inquiry = await clients.register_and_assign(consultant="c-supp")
    with_material = await clients.add_material(inquiry.inquiry_id)
    assert len(with_material.supplements) == 1
    stopped = await clients.intake.WithdrawConsent(
        intake_pb2.WithdrawConsentRequest(
            inquiry_id=inquiry.inquiry_id, reason="Borgeren ønsker ikke"
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert stopped.status == "stopped" and stopped.citizen.name

    async def journal() -> Any:
        reply = await clients.documents.GetJournal(
            documents_pb2.GetJournalRequest(inquiry_id=inquiry.inquiry_id),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
        kinds = {e.kind for e in reply.entries}
        return kinds if {"supplementary_material", "consent_withdrawn"} <= kinds else None

    kinds = await eventually(journal)
    assert "inquiry_registered" in kinds

    outbox = clients.db("intake").outbox
    events_before = await outbox.count_documents({"key": inquiry.inquiry_id})
    refused = [
        (
            clients.intake.AddSupplementaryMaterial,
            intake_pb2.AddSupplementaryMaterialRequest(
                inquiry_id=inquiry.inquiry_id,
                documents=[intake_pb2.DocumentRef(document_id="doc-2", title="For sent")],
                received_via="email",
            ),
        ),
        (
            clients.intake.UpdateInquiryDescription,
            intake_pb2.UpdateInquiryDescriptionRequest(
                inquiry_id=inquiry.inquiry_id,
                expected_version=stopped.version,
                description="Ændret efter tilbagetrækning",
            ),
        ),
        (
            clients.intake.AssignInquiry,
            intake_pb2.AssignInquiryRequest(
                inquiry_id=inquiry.inquiry_id,
                consultant_id="c-other",
                distributed_on=next_wednesday().isoformat(),
            ),
        ),
        (
            clients.intake.WithdrawConsent,
            intake_pb2.WithdrawConsentRequest(inquiry_id=inquiry.inquiry_id),
        ),
    ]
    for call, request in refused:
        error = await error_of(call, request, clients.auth())
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "consent was withdrawn" in (error.details() or "")
    kept = await stored(clients, inquiry.inquiry_id)
    assert (kept.version, kept.status, kept.description) == (
        stopped.version,
        "stopped",
        inquiry.description,
    )
    assert [s.documents[0].document_id for s in kept.supplements] == ["doc-1"]
    assert await outbox.count_documents({"key": inquiry.inquiry_id}) == events_before

    async def notice() -> Any:
        reply = await clients.notifications.ListNotices(
            notifications_pb2.ListNoticesRequest(limit=500),
            metadata=clients.auth(user="c-supp", role="consultant"),
            timeout=DEADLINE,
        )
        return [n for n in reply.notices if n.kind == "supplementary_material"]

    assert len(await eventually(notice)) == 1


async def test_reference_data_lists_every_code_list(clients: Clients) -> None:
    reply = await clients.intake.GetReferenceData(
        intake_pb2.GetReferenceDataRequest(),
        metadata=clients.auth(user="k", role="kas_supplier", supplier="sup-r"),
        timeout=DEADLINE,
    )
    lists = {cl.name: [i.id for i in cl.items] for cl in reply.lists}
    assert len(lists["municipalities"]) == 99  # 98 municipalities and "not stated"
    assert "single_case" in lists["services"] and "legal_areas" in lists
    assert lists["kas_handlings"] == [
        "closed",
        "referred",
        "course_advice",
        "course_assessment_advice",
    ]


async def test_a_combination_course_is_created_from_a_single_case_and_noted_on_it(
    clients: Clients,
) -> None:
    single = await clients.register_and_assign(consultant="c-comb")
    created = await clients.intake.CreateInternalCase(
        intake_pb2.CreateInternalCaseRequest(
            kind="combination_course",
            consultant_id="c-comb",
            main_area="children_youth",
            inquirer_type="municipal_administration",
            inquirer_name="Odense Kommune",
            municipality_code="461",
            description="Almengørelse af enkeltsagen",
            origin_inquiry_id=single.inquiry_id,
            supplier_id="supplier-7",
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert (created.case_type, created.requested_service, created.supplier_id) == (
        "gruppesag",
        "mini_group_course",
        "supplier-7",
    )
    assert created.delivery_type.startswith("Kombinationsforløb")
    origin = await clients.intake.GetInquiry(
        intake_pb2.GetInquiryRequest(inquiry_id=single.inquiry_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    [note] = origin.notes
    assert created.inquiry_id not in note.text

    async def noted() -> Any:
        reply = await clients.documents.GetJournal(
            documents_pb2.GetJournalRequest(inquiry_id=single.inquiry_id),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
        return [e for e in reply.entries if e.kind == "internal_note"]

    assert len(await eventually(noted)) == 1
    case = await eventually(lambda: case_or_none(clients, created.inquiry_id))
    assert case.consultant_id == "c-comb"
