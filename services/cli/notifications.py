"""`vias notifications ...`: notices, letters and surveys."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from services.cli.pages import every_page_of
from services.kernel.paging import MAX_PAGE_SIZE
from vias.notifications.v1 import (
    deliveries_pb2,
    deliveries_pb2_grpc,
    letters_pb2,
    letters_pb2_grpc,
    notifications_pb2,
    notifications_pb2_grpc,
    surveys_pb2,
    surveys_pb2_grpc,
)

if TYPE_CHECKING:
    from services.cli.main import Client


async def list_notices(args: argparse.Namespace, client: Client) -> Any:
    stub = notifications_pb2_grpc.NotificationsServiceStub(client.channel("notifications"))
    request = notifications_pb2.ListNoticesRequest(
        recipient_id=args.recipient or "", case_id=args.case or "", page_size=MAX_PAGE_SIZE
    )
    return await every_page_of(client, stub.ListNotices, request, "notices")


async def list_letters(args: argparse.Namespace, client: Client) -> Any:
    stub = letters_pb2_grpc.LettersServiceStub(client.channel("notifications"))
    request = letters_pb2.ListLettersRequest(inquiry_id=args.inquiry, page_size=MAX_PAGE_SIZE)
    return await every_page_of(client, stub.ListLetters, request, "letters")


async def list_surveys(args: argparse.Namespace, client: Client) -> Any:
    stub = surveys_pb2_grpc.SurveysServiceStub(client.channel("notifications"))
    request = surveys_pb2.ListSurveysRequest(
        case_id=args.case or "",
        year=args.year or 0,
        status=args.status or "",
        page_size=MAX_PAGE_SIZE,
    )
    return await every_page_of(client, stub.ListSurveys, request, "surveys")


async def answer_survey(args: argparse.Namespace, client: Client) -> Any:
    stub = surveys_pb2_grpc.SurveysServiceStub(client.channel("notifications"))
    answers = []
    for pair in args.answer:
        question, _, answer = pair.partition("=")
        answers.append(surveys_pb2.SurveyAnswer(question_id=question, answer=answer))
    request = surveys_pb2.AnswerSurveyRequest(survey_id=args.id, answers=answers)
    return await client.call(stub.AnswerSurvey, request)


async def survey_summary(args: argparse.Namespace, client: Client) -> Any:
    stub = surveys_pb2_grpc.SurveysServiceStub(client.channel("notifications"))
    request = surveys_pb2.GetSurveySummaryRequest(year=args.year, main_area=args.main_area or "")
    return await client.call(stub.GetSurveySummary, request)


def _deliveries(client: Client) -> Any:
    return deliveries_pb2_grpc.DeliveriesServiceStub(client.channel("notifications"))


async def list_deliveries(args: argparse.Namespace, client: Client) -> Any:
    request = deliveries_pb2.ListDeliveriesRequest(
        inquiry_id=args.inquiry or "", case_id=args.case or "", page_size=MAX_PAGE_SIZE
    )
    return await every_page_of(client, _deliveries(client).ListDeliveries, request, "deliveries")


async def get_delivery(args: argparse.Namespace, client: Client) -> Any:
    request = deliveries_pb2.GetDeliveryRequest(delivery_id=args.id)
    return await client.call(_deliveries(client).GetDelivery, request)


async def retry_delivery(args: argparse.Namespace, client: Client) -> Any:
    request = deliveries_pb2.RetryDeliveryRequest(delivery_id=args.id)
    return await client.call(_deliveries(client).RetryDelivery, request)


async def record_receipt(args: argparse.Namespace, client: Client) -> Any:
    request = deliveries_pb2.RecordDeliveryReceiptRequest(delivery_id=args.id, receipt=args.receipt)
    return await client.call(_deliveries(client).RecordDeliveryReceipt, request)


def _add_delivery_commands(actions: Any) -> None:
    deliveries = actions.add_parser("deliveries", help="outbound letters and their status")
    steps = deliveries.add_subparsers(dest="step", required=True)
    listing = steps.add_parser("list", help="the deliveries of an inquiry or a case")
    which = listing.add_mutually_exclusive_group(required=True)
    which.add_argument("--inquiry")
    which.add_argument("--case")
    listing.set_defaults(call=list_deliveries)
    one = steps.add_parser("get", help="one delivery with its attempts")
    one.add_argument("id")
    one.set_defaults(call=get_delivery)
    retry = steps.add_parser("retry", help="send a failed delivery again (Team Support)")
    retry.add_argument("id")
    retry.set_defaults(call=retry_delivery)
    receipt = steps.add_parser("receipt", help="record the recipient's receipt of a delivery")
    receipt.add_argument("id")
    receipt.add_argument("--receipt", required=True, help="their reference, e.g. journal no.")
    receipt.set_defaults(call=record_receipt)


def add_commands(sub: Any) -> None:
    """The notifications commands."""
    notifications = sub.add_parser("notifications", help="notices, letters and surveys")
    actions = notifications.add_subparsers(dest="action", required=True)
    notices = actions.add_parser("list", help="the caller's notices, newest first")
    notices.add_argument("--recipient", help="default: the caller")
    notices.add_argument("--case", help="only the notices about this case")
    notices.set_defaults(call=list_notices)
    letters = actions.add_parser("letters", help="receipt and personal-data letters")
    letters.add_argument("--inquiry", required=True)
    letters.set_defaults(call=list_letters)
    _add_delivery_commands(actions)
    surveys = actions.add_parser("surveys", help="satisfaction surveys")
    surveys.add_argument("--case")
    surveys.add_argument("--year", type=int)
    surveys.add_argument("--status", choices=["sent", "unsent", "answered"])
    surveys.set_defaults(call=list_surveys)
    answer = actions.add_parser("answer-survey", help="record a recipient's answers")
    answer.add_argument("id")
    answer.add_argument(
        "--answer", action="append", default=[], help="question=option, once per question"
    )
    answer.set_defaults(call=answer_survey)
    summary = actions.add_parser("survey-summary", help="response rate and answers per area")
    summary.add_argument("--year", type=int, required=True)
    summary.add_argument("--main-area")
    summary.set_defaults(call=survey_summary)
