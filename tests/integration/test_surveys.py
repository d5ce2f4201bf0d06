"""The satisfaction survey end to end: a closed single_case course leads to a survey for the
inquirer that can be answered once; a citizen_course leads to none."""

from __future__ import annotations

from datetime import timedelta
from email.message import Message

import grpc
import pytest

from services.contracts.leverance import SatisfactionSurveyRequested
from services.kernel.envelope import Envelope, new_id, utcnow
from services.kernel.topics import events_topic
from tests.integration.documents_helpers import final_advisory_report
from tests.integration.mail_helpers import body, received_async
from tests.integration.test_leverance import TODAY, Case, new_supplier
from tests.support import DEADLINE, Clients, bad_fields, eventually, produce, violations
from vias.documents.v1 import documents_pb2
from vias.leverance.v1 import leverance_pb2 as pb
from vias.notifications.v1 import letters_pb2, letters_pb2_grpc, surveys_pb2, surveys_pb2_grpc

ANSWERS = {
    "overall_satisfaction": "very_high",
    "understood_context": "high",
    "positive_change": "high",
    "would_recommend": "yes",
}


def surveys_stub(clients: Clients) -> surveys_pb2_grpc.SurveysServiceStub:
    channel = grpc.aio.insecure_channel(clients.platform.grpc_address("notifications"))
    return surveys_pb2_grpc.SurveysServiceStub(channel)


async def close_course(case: Case) -> None:
    """Run a started course to its final closure: meeting, documents, statement, approval."""
    clients = case.clients
    await case.hold_closing_meeting()
    await clients.documents.JournalDocument(
        documents_pb2.JournalDocumentRequest(
            case_id=case.case_id,
            inquiry_id=case.inquiry_id,
            kind="closing_summary_note",
            title="Opsamlingsnotat fra afsluttende møde",
            sent_to=["Odense Kommune"],
        ),
        metadata=case.as_specialist(),
        timeout=DEADLINE,
    )
    await final_advisory_report(clients, case.case_id, case.as_specialist())

    async def checklist_done() -> bool:
        return not (await case.course()).checklist.missing

    await case.confirm_closing_steps()
    await eventually(checklist_done)
    await case.call("SubmitFinancialStatement", case.as_specialist())
    closed = await case.call("ApproveFinancialStatement", case.as_consultant())
    assert closed.status == "closed"


async def sent_survey(clients: Clients) -> surveys_pb2.Survey:
    """The survey of a single_case course run to its final closure, sent to its inquirer."""
    inquiry = await clients.register_and_assign()
    letters = letters_pb2_grpc.LettersServiceStub(
        grpc.aio.insecure_channel(clients.platform.grpc_address("notifications"))
    )

    async def receipt() -> bool:
        reply = await letters.ListLetters(
            letters_pb2.ListLettersRequest(inquiry_id=inquiry.inquiry_id),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
        return any(x.letter_kind == "receipt" for x in reply.letters)

    await eventually(receipt)
    case = Case(clients, await new_supplier(clients))
    case.inquiry_id = inquiry.inquiry_id
    await case.hand_over()
    await case.start()
    await close_course(case)
    stub = surveys_stub(clients)

    async def survey() -> surveys_pb2.Survey | None:
        reply = await stub.ListSurveys(
            surveys_pb2.ListSurveysRequest(case_id=case.case_id),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
        return reply.surveys[0] if reply.surveys else None

    return await eventually(survey)


async def test_a_closed_single_case_course_sends_a_survey_to_the_inquirer_answered_once(
    clients: Clients,
) -> None:
    sent = await sent_survey(clients)
    stub = surveys_stub(clients)
    staff = clients.auth()
    assert (sent.status, sent.service, sent.recipient_name) == (
        "sent",
        "single_case",
        "Odense Kommune",
    )
    assert sent.recipient_email == "raadgiver@odense.dk"
    assert [q.question_id for q in sent.questions] == list(ANSWERS)
    assert sent.answer_url.startswith(f"{clients.platform.web_url('notifications')}/survey/")
    assert sent.answer_url_expires_at.ToDatetime() > sent.created_at.ToDatetime()

    def invitation_to(mail: Message) -> bool:
        return mail["X-VIAS-Delivery"].endswith(":survey") and "raadgiver@odense.dk" in mail["To"]

    async def invited() -> list[str]:
        found = await received_async(clients.platform, invitation_to)
        return [text for text in map(body, found) if sent.answer_url in text]

    [invitation] = await eventually(invited, timeout=60)  # the invitation carries the link
    assert "Tilfredshedsundersøgelse" in invitation or "tilfredshedsundersøgelsen" in invitation

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.AnswerSurvey(
            surveys_pb2.AnswerSurveyRequest(
                survey_id=sent.survey_id,
                answers=[surveys_pb2.SurveyAnswer(question_id="overall_satisfaction", answer="ok")],
            ),
            metadata=staff,
            timeout=DEADLINE,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == {"answers.0.answer", "answers"}
    assert ("answers", "question would_recommend not answered") in violations(caught.value)
    before = await stub.GetSurveySummary(
        surveys_pb2.GetSurveySummaryRequest(year=sent.year, main_area="children_youth"),
        metadata=staff,
        timeout=DEADLINE,
    )
    request = surveys_pb2.AnswerSurveyRequest(
        survey_id=sent.survey_id,
        answers=[surveys_pb2.SurveyAnswer(question_id=q, answer=a) for q, a in ANSWERS.items()],
    )
    answered = await stub.AnswerSurvey(request, metadata=staff, timeout=DEADLINE)
    assert answered.status == "answered"
    assert {a.question_id: a.answer for a in answered.answers} == ANSWERS
    assert answered.answer_url == "" and not answered.HasField("answer_url_expires_at")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.AnswerSurvey(request, metadata=staff, timeout=DEADLINE)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    after = await stub.GetSurveySummary(
        surveys_pb2.GetSurveySummaryRequest(year=sent.year, main_area="children_youth"),
        metadata=staff,
        timeout=DEADLINE,
    )
    [was], [now] = before.areas, after.areas
    assert now.answered == was.answered + 1 and now.sent == was.sent
    overall = {o.id: o.count for o in now.questions[0].options}
    earlier = {o.id: o.count for o in was.questions[0].options}
    assert overall["very_high"] == earlier["very_high"] + 1


async def test_a_closed_citizen_course_sends_no_survey(clients: Clients) -> None:
    supplier_id = await new_supplier(clients)
    await clients.leverance.SetContract(
        pb.SetContractRequest(
            supplier_id=supplier_id,
            contract=pb.Contract(
                contract_id="borger-2025",
                main_area="children_youth",
                services=["citizen_course"],
                valid_from=(TODAY - timedelta(days=800)).isoformat(),
                valid_to=(TODAY + timedelta(days=800)).isoformat(),
                min_age=0,
                max_age=23,
                hourly_rate_dkk="950.00",
                transport_rate_dkk_per_km="3.79",
                transport_hourly_rate_dkk="475.00",
            ),
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    case = Case(clients, supplier_id, service="citizen_course")
    await case.hand_over()
    await case.start()
    await close_course(case)
    assert (await case.course()).status == "closed"

    # A marker survey on the same partition (same key) as the closed course's events: once it is
    # recorded, notifications has consumed everything leverance wrote for that course before it.
    marker = SatisfactionSurveyRequested(
        case_id=f"marker-{new_id()}",
        inquiry_id=new_id(),
        service="single_case",
        main_area="children_youth",
        consultant_id=case.consultant,
        supplier_ids=[supplier_id],
        closed_at=utcnow(),
    )
    envelope = Envelope.wrap(marker, source="leverance", correlation_id=new_id(), causation_id=None)
    await produce(clients.platform, events_topic("leverance"), case.case_id, envelope.to_bytes())
    stub = surveys_stub(clients)

    async def listed(case_id: str) -> list[surveys_pb2.Survey]:
        reply = await stub.ListSurveys(
            surveys_pb2.ListSurveysRequest(case_id=case_id),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
        return list(reply.surveys)

    [recorded] = await eventually(lambda: listed(marker.case_id))
    assert recorded.status == "unsent"  # no receipt letter names an inquirer for it
    assert await listed(case.case_id) == []
