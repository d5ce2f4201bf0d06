"""From an assigned inquiry to a supplier that said yes, end to end through gRPC and Kafka."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.kernel.topics import events_topic
from services.notifications.texts import danish_date
from tests.integration.visitation_helpers import (
    assigned_case,
    call,
    new_world,
    outbox_events,
    proceeding_case,
    publish_world,
    ranking,
    staff,
    supplier_staff,
    working_days_after,
)
from tests.support import Clients, eventually, read_topic
from vias.leverance.v1 import leverance_pb2 as lpb
from vias.notifications.v1 import notifications_pb2
from vias.visitation.v1 import visitation_pb2 as pb


async def notices(clients: Clients, user: str, supplier: str | None = None) -> list[Any]:
    role = "specialist" if supplier else "consultant"
    reply = await clients.notifications.ListNotices(
        notifications_pb2.ListNoticesRequest(limit=500),
        metadata=clients.auth(user=user, role=role, supplier=supplier),
        timeout=10,
    )
    return list(reply.notices)


async def test_inquiry_to_handover_with_a_no_then_a_yes(clients: Clients) -> None:
    world = new_world()
    await publish_world(clients, world)
    consultant = f"consultant-{world.suffix}"
    me = staff(clients, consultant)

    opened = await assigned_case(clients, consultant, on="2026-05-08")
    [first_contact] = [d for d in opened.deadlines if d.rule == "visitation.first_contact"]
    # Friday 2026-05-08 + 7 working days, Ascension Day (Thursday 2026-05-14) excluded.
    assert (first_contact.start, first_contact.due) == ("2026-05-08", "2026-05-20")
    assert "Ascension Day" in first_contact.explanation
    [set_event] = await outbox_events(clients, opened.case_id, "DeadlineSet")
    assert set_event["due"] == "2026-05-20" and set_event["rule"] == "visitation.first_contact"
    assert set_event["responsible_user_id"] == consultant

    reminders = await eventually(
        lambda: _kinds(clients, consultant, "deadline_reminder"), timeout=30
    )
    assert any("20. maj 2026" in n.text and opened.case_id in n.text for n in reminders)
    assert {n.case_id for n in reminders} == {opened.case_id}

    case = await call(
        clients.visitation.RecordFirstContact,
        pb.RecordFirstContactRequest(
            case_id=opened.case_id, expected_version=opened.version, contacted_on="2026-05-19"
        ),
        me,
    )
    assert (case.status, case.first_contact_on) == ("in_visitation", "2026-05-19")
    [met] = await outbox_events(clients, case.case_id, "DeadlineMet")
    assert (met["met_on"], met["due"]) == ("2026-05-19", "2026-05-20")

    case = await call(
        clients.visitation.RecordInformation,
        pb.RecordInformationRequest(
            case_id=case.case_id, area="desired_goals", text="Staff learn visual support."
        ),
        me,
    )
    assert [(i.area, i.text) for i in case.information] == [
        ("desired_goals", "Staff learn visual support.")
    ]
    case = await call(
        clients.visitation.ProceedWithService,
        pb.ProceedWithServiceRequest(
            case_id=case.case_id,
            expected_version=case.version,
            service_id="single_case",
            inquirer_role="authority_caseworker",
            subject="individual",
            facts={"management_approved": True},
            target_groups=world.groups,
            citizen_age_years=9,
            reasoning="Complex support needs at school and at home.",
        ),
        me,
    )
    assert (case.status, case.service_id, case.decision.outcome) == (
        "proceeding",
        "single_case",
        "proceed",
    )
    assert case.decision.advice_given and not case.decision.complaint_guidance

    ranked = await ranking(clients, case.case_id, consultant, expected=3)
    assert [c.supplier_id for c in ranked.candidates] == [
        world.sid("Bravo"),
        world.sid("Alpha"),
        world.sid("Charlie"),
    ]
    # Equally qualified Bravo and Alpha by price: 20 h x rate + 100 km x 3.50 + 2 h x 400;
    # Bravo's older revision (rate 100) arrived after its newer one and was ignored.
    assert [c.estimated_price_dkk for c in ranked.candidates[:2]] == ["15150.00", "19150.00"]
    assert list(ranked.candidates[2].missing_target_groups) == [world.groups[1]]
    assert any("estimated price" in r for r in ranked.candidates[0].reasons)
    [delta] = [e for e in ranked.excluded if e.supplier_id == world.sid("Delta")]
    assert "no free capacity" in delta.reasons

    bravo = await call(
        clients.visitation.OfferToSupplier,
        pb.OfferToSupplierRequest(
            case_id=case.case_id,
            supplier_id=world.sid("Bravo"),
            justification="Best qualified and cheapest.",
        ),
        me,
    )
    assert (bravo.status, bravo.rank, bravo.top_ranked_supplier_id) == (
        "offered",
        1,
        world.sid("Bravo"),
    )
    [answer_due] = [d for d in bravo.deadlines if d.rule == "visitation.supplier_answer"]
    offered_on = date.fromisoformat(bravo.offered_on)
    assert answer_due.due == working_days_after(offered_on, 5).isoformat()

    bravo_specialist = supplier_staff(clients, f"spec-b-{world.suffix}", world.sid("Bravo"))
    declined = await call(
        clients.visitation.AnswerOffer,
        pb.AnswerOfferRequest(
            offer_id=bravo.offer_id, accept=False, reason="No autism specialist free before June."
        ),
        bravo_specialist,
    )
    assert (declined.status, declined.decline_reason) == (
        "declined",
        "No autism specialist free before June.",
    )
    prompts = await eventually(lambda: _kinds(clients, consultant, "next_supplier"), timeout=30)
    assert world.sid("Alpha") in prompts[0].text

    alpha_specialist_id = f"spec-a-{world.suffix}"
    alpha = await call(
        clients.visitation.OfferToSupplier,
        pb.OfferToSupplierRequest(
            case_id=case.case_id,
            supplier_id=world.sid("Alpha"),
            justification="Bravo declined; Alpha is next and has the competences.",
            specialist_id=alpha_specialist_id,
        ),
        me,
    )
    assert (alpha.rank, alpha.top_ranked_supplier_id) == (1, world.sid("Alpha"))
    reminded = await eventually(
        lambda: _kinds(clients, alpha_specialist_id, "deadline_reminder", world.sid("Alpha")),
        timeout=30,
    )
    assert danish_date(working_days_after(date.fromisoformat(alpha.offered_on), 5)) in (
        reminded[0].text
    )
    alpha_specialist = supplier_staff(clients, alpha_specialist_id, world.sid("Alpha"))
    accepted = await call(
        clients.visitation.AnswerOffer,
        pb.AnswerOfferRequest(offer_id=alpha.offer_id, accept=True),
        alpha_specialist,
    )
    assert (accepted.status, accepted.specialist_id) == ("accepted", alpha_specialist_id)
    answered_on = date.fromisoformat(accepted.answered_on)
    dues = {d.rule: d.due for d in accepted.deadlines if d.status == "open"}
    assert dues["visitation.specialist_contacts_inquirer"] == (
        working_days_after(answered_on, 5).isoformat()
    )
    assert dues["visitation.clarifying_meeting_offered"] == (
        date.fromordinal(answered_on.toordinal() + 30).isoformat()
    )

    today = accepted.answered_on
    booked = await call(
        clients.visitation.RecordInquirerContact,
        pb.RecordInquirerContactRequest(
            offer_id=alpha.offer_id, contacted_on=today, meeting_on=today
        ),
        alpha_specialist,
    )
    assert booked.status == "meeting_booked"
    held = await call(
        clients.visitation.RecordClarifyingMeeting,
        pb.RecordClarifyingMeetingRequest(
            offer_id=alpha.offer_id,
            held_on=today,
            citizen_attended=False,
            citizen_absence_reason="The boy was ill; his views came through his parents.",
        ),
        alpha_specialist,
    )
    assert held.status == "handed_over" and not held.citizen_attended
    [note_due] = [d for d in held.deadlines if d.rule == "visitation.summary_note"]
    assert note_due.due == working_days_after(date.fromisoformat(today), 5).isoformat()

    [handed] = await outbox_events(clients, case.case_id, "CaseHandedToLeverance")
    assert (handed["supplier_id"], handed["specialist_id"]) == (
        world.sid("Alpha"),
        alpha_specialist_id,
    )
    assert (handed["service"], handed["clarifying_meeting_on"]) == ("single_case", today)
    assert handed["summary_note_due"] == note_due.due and handed["course_max_months"] == 8

    async def on_broker() -> list[object]:
        records = await read_topic(clients.platform, events_topic("visitation"))
        return [
            r
            for r in records
            if r.key == case.case_id.encode() and b'"CaseHandedToLeverance"' in r.value
        ]

    assert len(await eventually(on_broker, timeout=30)) == 1

    noted = await call(
        clients.visitation.RecordSummaryNote,
        pb.RecordSummaryNoteRequest(offer_id=alpha.offer_id, sent_on=today, note="Goals agreed."),
        alpha_specialist,
    )
    [note] = [d for d in noted.deadlines if d.rule == "visitation.summary_note"]
    assert (note.status, note.met_on) == ("met", today)

    final = await call(clients.visitation.GetCase, pb.GetCaseRequest(case_id=case.case_id), me)
    assert final.status == "handed_over"
    assert [(o.supplier_id, o.status) for o in final.offers] == [
        (world.sid("Bravo"), "declined"),
        (world.sid("Alpha"), "handed_over"),
    ]
    # Every due date set is an event with its rule, start and due date (computed here from the
    # holidays package, not with services.workdays) and an explanation.
    set_events = await outbox_events(clients, case.case_id, "DeadlineSet")
    assert all(e["explanation"] for e in set_events)

    def due(start: str, n: int) -> tuple[str, str]:
        return start, working_days_after(date.fromisoformat(start), n).isoformat()

    thirty_days = date.fromordinal(answered_on.toordinal() + 30).isoformat()
    assert sorted((e["rule"], e["start"], e["due"]) for e in set_events) == sorted(
        [
            ("visitation.first_contact", "2026-05-08", "2026-05-20"),
            ("visitation.supplier_answer", *due(bravo.offered_on, 5)),
            ("visitation.supplier_answer", *due(alpha.offered_on, 5)),
            ("visitation.specialist_contacts_inquirer", *due(accepted.answered_on, 5)),
            ("visitation.clarifying_meeting_offered", accepted.answered_on, thirty_days),
            ("visitation.summary_note", *due(today, 5)),
        ]
    )
    met_events = await outbox_events(clients, case.case_id, "DeadlineMet")
    assert all(e["explanation"] and e["due"] for e in met_events)
    assert sorted((e["rule"], e["met_on"]) for e in met_events) == sorted(
        [
            ("visitation.first_contact", "2026-05-19"),
            ("visitation.supplier_answer", accepted.answered_on),
            ("visitation.supplier_answer", declined.answered_on),
            ("visitation.specialist_contacts_inquirer", today),
            ("visitation.clarifying_meeting_offered", today),
            ("visitation.summary_note", today),
        ]
    )
    [next_needed] = await outbox_events(clients, case.case_id, "NextSupplierNeeded")
    assert (next_needed["previous_supplier_id"], next_needed["next_supplier_id"]) == (
        world.sid("Bravo"),
        world.sid("Alpha"),
    )
    assert next_needed["reason"] == "No autism specialist free before June."

    async def course_opened() -> Any:
        reply = await clients.leverance.ListDeliveries(
            lpb.ListDeliveriesRequest(case_id=case.case_id), metadata=me, timeout=30
        )
        return list(reply.deliveries) or None

    [delivery] = await eventually(course_opened, timeout=30)
    assert (delivery.supplier_id, delivery.specialist_id, delivery.service) == (
        world.sid("Alpha"),
        alpha_specialist_id,
        "single_case",
    )


async def _kinds(clients: Clients, user: str, kind: str, supplier: str | None = None) -> list[Any]:
    return [n for n in await notices(clients, user, supplier) if n.kind == kind]


async def test_an_unanswered_first_contact_is_reported_missed_once(clients: Clients) -> None:
    consultant = f"consultant-{new_world().suffix}"
    case = await assigned_case(clients, consultant, on="2026-05-08")
    manager = staff(clients, "manager-1", role="manager")
    # Every case first (as the periodic check does), then this case alone: reported once.
    for request in (pb.CheckDeadlinesRequest(), pb.CheckDeadlinesRequest(case_id=case.case_id)):
        await clients.visitation.CheckDeadlines(request, metadata=manager, timeout=120)

    missed = await outbox_events(clients, case.case_id, "DeadlineMissed")
    assert [(m["rule"], m["due"]) for m in missed] == [("visitation.first_contact", "2026-05-20")]
    stored = await call(
        clients.visitation.GetCase,
        pb.GetCaseRequest(case_id=case.case_id),
        staff(clients, consultant),
    )
    assert [d.status for d in stored.deadlines] == ["missed"]
    escalations = await eventually(
        lambda: _kinds(clients, consultant, "deadline_escalation"), timeout=30
    )
    assert len(escalations) == 1 and "20. maj 2026" in escalations[0].text

    late = await call(
        clients.visitation.RecordFirstContact,
        pb.RecordFirstContactRequest(case_id=case.case_id, contacted_on="2026-05-22"),
        staff(clients, consultant),
    )
    assert [(d.status, d.met_on) for d in late.deadlines] == [("met", "2026-05-22")]


async def test_withdrawn_consent_closes_the_case_and_keeps_the_record(clients: Clients) -> None:
    world = new_world()
    consultant = f"consultant-{world.suffix}"
    case = await proceeding_case(clients, world, consultant)
    closed = await call(
        clients.visitation.CloseCase,
        pb.CloseCaseRequest(
            case_id=case.case_id, kind="consent_withdrawn", reason="The mother withdrew consent."
        ),
        staff(clients, consultant),
    )
    assert (closed.status, closed.closed_kind, closed.closed_reason) == (
        "consent_withdrawn",
        "consent_withdrawn",
        "The mother withdrew consent.",
    )
    assert closed.decision.service_id == "single_case" and closed.first_contact_on == "2026-05-19"
    [event] = await outbox_events(clients, case.case_id, "VisitationCaseClosed")
    assert event["kind"] == "consent_withdrawn"


async def test_a_missed_deadline_moved_to_an_agreed_day_is_announced(clients: Clients) -> None:
    consultant = f"consultant-{new_world().suffix}"
    case = await assigned_case(clients, consultant, on="2026-05-08")
    today = datetime.now(ZoneInfo("Europe/Copenhagen")).date()
    new_due = working_days_after(today, 1)
    moved = await call(
        clients.visitation.MoveDeadline,
        pb.MoveDeadlineRequest(
            case_id=case.case_id,
            deadline_id=f"{case.case_id}/visitation.first_contact",
            new_due=new_due.isoformat(),
            reason="The inquirer is on leave; agreed by phone.",
        ),
        staff(clients, consultant),
    )
    [deadline] = moved.deadlines
    assert (deadline.status, deadline.due) == ("open", new_due.isoformat())
    [changed] = await outbox_events(clients, case.case_id, "DeadlineChanged")
    assert (changed["previous_due"], changed["due"]) == ("2026-05-20", new_due.isoformat())
    assert changed["reason"] == "The inquirer is on leave; agreed by phone."
    told = await eventually(lambda: _kinds(clients, consultant, "deadline_changed"), timeout=30)
    assert "tidligere 20. maj 2026" in told[0].text
