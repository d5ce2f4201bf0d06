"""A whole course across every service, real processes on the real broker and database:
intake registers and distributes, visitation visits and offers to a supplier that leverance
imported, leverance opens the course from visitation's hand-over, and the agreement starts it."""

from __future__ import annotations

import calendar
import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from services.kernel.envelope import new_id
from services.notifications.texts import danish_date
from tests.integration.test_walking_skeleton import case_of
from tests.integration.visitation_helpers import (
    call,
    outbox_events,
    ranking,
    staff,
    supplier_staff,
    working_days_after,
)
from tests.support import DEADLINE, Clients, eventually
from vias.documents.v1 import documents_pb2
from vias.intake.v1 import intake_pb2
from vias.leverance.v1 import leverance_pb2 as lpb
from vias.notifications.v1 import notifications_pb2
from vias.visitation.v1 import visitation_pb2 as pb

CSV_HEADER = (
    "supplier_id,name,kind,kas,active,street,postcode,city,municipality_code,free_capacity,"
    "contract_id,main_area,services,valid_from,valid_to,min_age,max_age,target_groups,"
    "competences,hourly_rate_dkk,transport_rate_dkk_per_km,transport_hourly_rate_dkk"
)
DISTRIBUTION_WEEKDAYS = (2, 4)  # Wednesday and Friday (H 4.2)


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Copenhagen")).date()


def is_distribution_day(day: date) -> bool:
    return day.weekday() in DISTRIBUTION_WEEKDAYS and is_open(day)


def distribution_day(start: date, step: int) -> date:
    """The first distribution day from `start` in direction `step` (+1 or -1), `start` included."""
    day = start
    while not is_distribution_day(day):
        day += timedelta(days=step)
    return day


def days_then_a_working_day(start: date, n: int) -> date:
    """n calendar days on, moved forward past weekends, holidays and closing days."""
    day = start + timedelta(days=n)
    while day.weekday() >= 5 or not is_open(day):
        day += timedelta(days=1)
    return day


def is_open(day: date) -> bool:
    public = holidays.country_holidays("DK", years=[day.year])
    return day not in public and (day.month, day.day) not in {(6, 5), (12, 24), (12, 31)}


def eight_months_after(day: date) -> date:
    """Same day 8 months later, clamped to the month's end (the course limit of single_case)."""
    year, month = divmod(day.month - 1 + 8, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


async def notices(clients: Clients, metadata: list[tuple[str, str]]) -> list[Any]:
    reply = await clients.notifications.ListNotices(
        notifications_pb2.ListNoticesRequest(limit=500), metadata=metadata, timeout=DEADLINE
    )
    return list(reply.notices)


async def notice_kinds(
    clients: Clients, metadata: list[tuple[str, str]], wanted: set[str]
) -> dict[str, list[Any]] | None:
    found: dict[str, list[Any]] = {}
    for notice in await notices(clients, metadata):
        found.setdefault(notice.kind, []).append(notice)
    return found if wanted <= set(found) else None


async def import_suppliers(clients: Clients, suffix: str, groups: list[str]) -> dict[str, str]:
    """Three suppliers through leverance's CSV import: Nord covers both groups, Syd only one,
    and a KaS supplier covers both, cheapest of all, but runs its own intake."""
    ids = {"nord": f"nord-{suffix}", "syd": f"syd-{suffix}", "kas": f"kas-{suffix}"}
    valid = f"{(today() - timedelta(days=400)).isoformat()},{(today() + timedelta(days=900))}"
    rows = [
        f"{ids['nord']},Specialcenter Nord {suffix},municipal,nej,true,,,Aalborg,851,3,"
        f"n1,children_youth,single_case;mini_single_case,{valid},0,17,{';'.join(groups)},,"
        "850.00,3.50,400.00",
        f"{ids['syd']},Specialcenter Syd {suffix},self_owning,nej,true,,,Vejle,630,3,"
        f"s1,children_youth,single_case,{valid},0,17,{groups[0]},,600.00,3.50,400.00",
        f"{ids['kas']},Synscenter {suffix},regional,ja,true,,,Hellerup,157,3,"
        f"v1,children_youth,single_case,{valid},0,17,{';'.join(groups)},,300.00,3.50,400.00",
    ]
    reply = await clients.leverance.ImportSuppliers(
        lpb.ImportSuppliersRequest(csv_text="\n".join([CSV_HEADER, *rows])),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert (reply.created, reply.updated) == (3, 0)
    return ids


async def test_a_course_from_registration_to_its_start_across_every_service(
    clients: Clients,
) -> None:
    suffix = new_id()[:8]
    groups = [f"autism_spectrum-{suffix}", f"anxiety-{suffix}"]
    consultant = f"consultant-{suffix}"
    specialist = f"spec-{suffix}"
    me = staff(clients, consultant)
    now = today()

    # Intake: registered, on the next distribution list, assigned by Team Support.
    inquiry = await clients.register(main_area="children_youth")
    list_day = distribution_day(now + timedelta(days=1), +1)
    listed = await clients.intake.ProduceDistributionList(
        intake_pb2.ProduceDistributionListRequest(list_date=list_day.isoformat()),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert inquiry.inquiry_id in {i.inquiry_id for i in listed.inquiries}
    # The suite cannot wait for that day, and the consultant's steps may not be dated in the
    # future: the inquiry is put on the last list instead (a fixture backdates its
    # registration) and assigned from there.
    distributed = distribution_day(now, -1)
    await clients.put_on_list(inquiry.inquiry_id, distributed.isoformat())
    assigned = await clients.intake.AssignInquiry(
        intake_pb2.AssignInquiryRequest(
            inquiry_id=inquiry.inquiry_id,
            consultant_id=consultant,
            consultant_name="Karen Konsulent",
            distributed_on=distributed.isoformat(),
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert assigned.status == "assigned"

    # Visitation: the case opens with the first-contact deadline, 7 working days on.
    opened = await case_of(clients, inquiry.inquiry_id)
    assert (opened.consultant_id, opened.distributed_on) == (consultant, distributed.isoformat())
    [first] = opened.deadlines
    assert (first.rule, first.due) == (
        "visitation.first_contact",
        working_days_after(distributed, 7).isoformat(),
    )
    case = await call(
        clients.visitation.RecordFirstContact,
        pb.RecordFirstContactRequest(case_id=opened.case_id, contacted_on=now.isoformat()),
        me,
    )
    case = await call(
        clients.visitation.ProceedWithService,
        pb.ProceedWithServiceRequest(
            case_id=case.case_id,
            expected_version=case.version,
            service_id="single_case",
            inquirer_role="authority_caseworker",
            subject="individual",
            facts={"management_approved": True},
            complexity_areas=["complex_support_needs"],
            target_groups=groups,
            citizen_age_years=9,
            reasoning="The school needs specialised advice on a 9-year-old with autism.",
        ),
        me,
    )
    assert case.status == "proceeding"

    # Leverance: suppliers imported and a specialist registered; visitation hears of them.
    ids = await import_suppliers(clients, suffix, groups)
    await clients.leverance.SetSpecialist(
        lpb.SetSpecialistRequest(
            supplier_id=ids["nord"],
            specialist=lpb.Specialist(
                specialist_id=specialist,
                name="Sofie Specialist",
                role="specialist",
                training=[lpb.TrainingModule(module="VISO intro", status="completed")],
            ),
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )

    async def ranked_with_specialist() -> Any:
        reply = await ranking(clients, case.case_id, consultant, expected=2)
        return reply if list(reply.candidates[0].specialist_ids) == [specialist] else None

    ranked = await eventually(ranked_with_specialist)
    assert [c.supplier_id for c in ranked.candidates] == [ids["nord"], ids["syd"]]
    assert list(ranked.candidates[1].missing_target_groups) == [groups[1]]

    async def kas_left_out() -> Any:
        reply = await ranking(clients, case.case_id, consultant, expected=2)
        return [e for e in reply.excluded if e.supplier_id == ids["kas"]]

    [kas] = await eventually(kas_left_out)
    assert list(kas.reasons) == [
        "KaS supplier: registers and visits its own inquiries (KaS), not offered by VISO"
    ]

    offer = await call(
        clients.visitation.OfferToSupplier,
        pb.OfferToSupplierRequest(
            case_id=case.case_id,
            supplier_id=ids["nord"],
            justification="Covers both target groups.",
        ),
        me,
    )
    # No specialist named: the offer goes to every specialist Nord lists in leverance.
    assert list(offer.notified_specialist_ids) == [specialist]
    [answer_due] = [d for d in offer.deadlines if d.rule == "visitation.supplier_answer"]
    assert answer_due.due == working_days_after(now, 5).isoformat()

    as_specialist = supplier_staff(clients, specialist, ids["nord"])
    accepted = await call(
        clients.visitation.AnswerOffer,
        pb.AnswerOfferRequest(offer_id=offer.offer_id, accept=True),
        as_specialist,
    )
    dues = {d.rule: d.due for d in accepted.deadlines if d.status == "open"}
    assert dues["visitation.specialist_contacts_inquirer"] == working_days_after(now, 5).isoformat()
    assert dues["visitation.clarifying_meeting_offered"] == (now + timedelta(days=30)).isoformat()
    await call(
        clients.visitation.RecordInquirerContact,
        pb.RecordInquirerContactRequest(
            offer_id=offer.offer_id, contacted_on=now.isoformat(), meeting_on=now.isoformat()
        ),
        as_specialist,
    )
    held = await call(
        clients.visitation.RecordClarifyingMeeting,
        pb.RecordClarifyingMeetingRequest(
            offer_id=offer.offer_id, held_on=now.isoformat(), citizen_attended=True
        ),
        as_specialist,
    )
    assert held.status == "handed_over"
    [note_due] = [d for d in held.deadlines if d.rule == "visitation.summary_note"]
    assert note_due.due == working_days_after(now, 5).isoformat()

    # Leverance opened the course from CaseHandedToLeverance.
    async def course_opened() -> Any:
        reply = await clients.leverance.ListDeliveries(
            lpb.ListDeliveriesRequest(case_id=case.case_id), metadata=me, timeout=DEADLINE
        )
        return reply.deliveries[0] if reply.deliveries else None

    delivery = await eventually(course_opened)
    assert (delivery.supplier_id, delivery.specialist_id, delivery.consultant_id) == (
        ids["nord"],
        specialist,
        consultant,
    )
    assert (delivery.inquiry_id, delivery.service, delivery.status) == (
        inquiry.inquiry_id,
        "single_case",
        "awaiting_proposal",
    )
    course = await clients.leverance.GetCourse(
        lpb.GetCourseRequest(case_id=case.case_id), metadata=me, timeout=DEADLINE
    )
    assert (course.status, course.clarifying_meeting_on, course.main_area) == (
        "awaiting_agreement",
        now.isoformat(),
        "children_youth",
    )
    assert course.course_limit == eight_months_after(now).isoformat()

    noted = await call(
        clients.visitation.RecordSummaryNote,
        pb.RecordSummaryNoteRequest(
            offer_id=offer.offer_id, sent_on=now.isoformat(), note="Goals agreed with the school."
        ),
        as_specialist,
    )
    assert [d.status for d in noted.deadlines if d.rule == "visitation.summary_note"] == ["met"]

    # The one path: documents journals the note visitation recorded as sent (F2), and that
    # journaled note makes leverance's agreement proposal due 5 days later.
    async def journaled_note() -> list[Any]:
        journal = await clients.documents.GetJournal(
            documents_pb2.GetJournalRequest(inquiry_id=inquiry.inquiry_id),
            metadata=me,
            timeout=DEADLINE,
        )
        return [e for e in journal.entries if e.kind == "clarifying_summary_note"]

    [note_entry] = await eventually(journaled_note)
    assert "Opsamlingsnotat" in note_entry.text and "sent to" in note_entry.text

    async def proposal_due() -> list[dict[str, Any]]:
        rows = await clients.db("leverance").outbox.find({"key": case.case_id}).to_list()
        payloads = [json.loads(r["value"])["payload"] for r in rows]
        return [p for p in payloads if p.get("rule") == "leverance.agreement_proposal"]

    [proposal_deadline] = await eventually(proposal_due)
    assert proposal_deadline["due"] == days_then_a_working_day(now, 5).isoformat()
    assert proposal_deadline["responsible_user_id"] == specialist

    # The specialist proposes the delivery agreement; the consultant approves; the course runs.
    planned = (now + timedelta(days=14)).isoformat()
    proposed = await clients.leverance.ProposeAgreement(
        lpb.ProposeAgreementRequest(
            delivery_id=delivery.delivery_id,
            activities=[
                lpb.ActivityInput(kind="visitation", hours="4", planned_on=planned),
                lpb.ActivityInput(kind="special_advice", hours="20", planned_on=planned),
            ],
            description=lpb.DeliveryDescription(
                purpose="Qualify the school's work with the boy",
                goals=["Staff use a shared visual schedule every day"],
                content="Observation in class and four advice sessions",
                course="Observation first, then advice every third week",
                method="Systemic, dialogical advice",
            ),
        ),
        metadata=as_specialist,
        timeout=DEADLINE,
    )
    assert proposed.versions[0].total_dkk == "20400.00"  # 24 h x 850 DKK (Nord's contract)
    met = await (
        clients.db("leverance").outbox.find({"key": case.case_id, "type": "DeadlineMet"}).to_list()
    )
    assert [json.loads(r["value"])["payload"]["deadline_id"] for r in met] == [
        proposal_deadline["deadline_id"]
    ]
    approved = await clients.leverance.ApproveAgreement(
        lpb.ApproveAgreementRequest(delivery_id=delivery.delivery_id), metadata=me, timeout=DEADLINE
    )
    assert approved.status == "running"
    started = await clients.leverance.GetCourse(
        lpb.GetCourseRequest(case_id=case.case_id), metadata=me, timeout=DEADLINE
    )
    assert started.status == "running" and started.started_at.seconds > 0
    rows = await (
        clients.db("leverance")
        .outbox.find({"key": case.case_id, "type": {"$in": ["CourseStarted", "DeadlineSet"]}})
        .to_list()
    )
    payloads = [(r["type"], json.loads(r["value"])["payload"]) for r in rows]
    [started_event] = [p for t, p in payloads if t == "CourseStarted"]
    assert started_event["supplier_ids"] == [ids["nord"]]
    [duration] = [p for t, p in payloads if p.get("rule") == "leverance.course_duration"]
    assert duration["due"] == eight_months_after(now).isoformat()

    # The consultant was told at each turn; the specialist was reminded of the answer deadline.
    told = await eventually(
        lambda: notice_kinds(
            clients, me, {"case_assigned", "deadline_reminder", "agreement_proposed"}
        )
    )
    assert any(opened.case_id in n.text for n in told["case_assigned"])
    first_due = danish_date(date.fromisoformat(first.due))
    assert any(first_due in n.text and case.case_id in n.text for n in told["deadline_reminder"]), (
        "the first-contact reminder"
    )
    assert any(delivery.delivery_id in n.text for n in told["agreement_proposed"])
    reminded = await eventually(
        lambda: notice_kinds(clients, as_specialist, {"deadline_reminder", "offer_received"})
    )
    answer_by = danish_date(date.fromisoformat(answer_due.due))
    assert any(answer_by in n.text for n in reminded["deadline_reminder"])
    assert [n.subject_id for n in reminded["offer_received"]] == [offer.offer_id]
    handed = await outbox_events(clients, case.case_id, "CaseHandedToLeverance")
    assert [h["supplier_id"] for h in handed] == [ids["nord"]]
