"""`vias access ...` and `vias concern ...`: access requests and concern reports."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from services.cli.pages import every_page_of
from services.kernel.paging import MAX_PAGE_SIZE
from vias.documents.v1 import access_pb2, access_pb2_grpc, concern_pb2, concern_pb2_grpc

if TYPE_CHECKING:
    from services.cli.main import Client


def _access(client: Client) -> access_pb2_grpc.AccessRequestsServiceStub:
    return access_pb2_grpc.AccessRequestsServiceStub(client.channel("documents"))


def _concern(client: Client) -> concern_pb2_grpc.ConcernReportsServiceStub:
    return concern_pb2_grpc.ConcernReportsServiceStub(client.channel("documents"))


async def access_register(args: argparse.Namespace, client: Client) -> Any:
    request = access_pb2.RegisterAccessRequestRequest(
        channel=args.channel,
        received_on=args.received_on or "",
        requester_name=args.requester,
        requester_contact=args.contact or "",
        relation=args.relation,
        on_behalf_of=args.on_behalf_of or "",
        power_of_attorney=args.power_of_attorney or "",
        case_ids=args.case,
        period_from=args.period_from or "",
        period_to=args.period_to or "",
    )
    return await client.call(_access(client).RegisterAccessRequest, request)


async def access_show(args: argparse.Namespace, client: Client) -> Any:
    request = access_pb2.GetAccessRequestRequest(request_id=args.id)
    return await client.call(_access(client).GetAccessRequest, request)


async def access_compile(args: argparse.Namespace, client: Client) -> Any:
    request = access_pb2.CompileAccessRequestRequest(request_id=args.id)
    return await client.call(_access(client).CompileAccessRequest, request)


async def access_decide(args: argparse.Namespace, client: Client) -> Any:
    request = access_pb2.DecideAccessItemRequest(
        request_id=args.id,
        item_id=args.item,
        decision=args.decision,
        legal_basis=args.basis or "",
        redacted_passages=args.redact,
    )
    return await client.call(_access(client).DecideAccessItem, request)


async def access_extend(args: argparse.Namespace, client: Client) -> Any:
    request = access_pb2.ExtendAccessDeadlineRequest(request_id=args.id, reason=args.reason)
    return await client.call(_access(client).ExtendAccessDeadline, request)


async def access_delay(args: argparse.Namespace, client: Client) -> Any:
    request = access_pb2.SendAccessDelayLetterRequest(
        request_id=args.id, part=args.part, reason=args.reason, expected_on=args.expected_on
    )
    return await client.call(_access(client).SendAccessDelayLetter, request)


async def access_deliver(args: argparse.Namespace, client: Client) -> Any:
    request = access_pb2.DeliverAccessRequestRequest(request_id=args.id)
    return await client.call(_access(client).DeliverAccessRequest, request)


async def access_check(args: argparse.Namespace, client: Client) -> Any:
    request = access_pb2.CheckAccessDeadlinesRequest(as_of=args.as_of or "")
    return await client.call(_access(client).CheckAccessDeadlines, request)


async def access_bases(args: argparse.Namespace, client: Client) -> Any:
    return await client.call(_access(client).ListLegalBases, access_pb2.ListLegalBasesRequest())


async def concern_draft(args: argparse.Namespace, client: Client) -> Any:
    request = concern_pb2.DraftConcernReportRequest(
        case_id=args.case,
        subject=args.subject,
        recipients=args.to,
        municipality_code=args.municipality or "",
        facts=args.facts,
        viso_task=args.viso_task,
        observations=args.observations,
    )
    return await client.call(_concern(client).DraftConcernReport, request)


async def concern_show(args: argparse.Namespace, client: Client) -> Any:
    request = concern_pb2.GetConcernReportRequest(report_id=args.id)
    return await client.call(_concern(client).GetConcernReport, request)


async def concern_list(args: argparse.Namespace, client: Client) -> Any:
    request = concern_pb2.ListConcernReportsRequest(case_id=args.case, page_size=MAX_PAGE_SIZE)
    return await every_page_of(client, _concern(client).ListConcernReports, request, "reports")


async def concern_cosign(args: argparse.Namespace, client: Client) -> Any:
    request = concern_pb2.CoSignConcernReportRequest(report_id=args.id)
    return await client.call(_concern(client).CoSignConcernReport, request)


async def concern_send_alone(args: argparse.Namespace, client: Client) -> Any:
    request = concern_pb2.SendWithoutCoSignatureRequest(report_id=args.id, reason=args.reason)
    return await client.call(_concern(client).SendConcernReportWithoutCoSignature, request)


async def concern_receipt(args: argparse.Namespace, client: Client) -> Any:
    request = concern_pb2.RecordConcernReportReceiptRequest(
        report_id=args.id, reference=args.reference
    )
    return await client.call(_concern(client).RecordConcernReportReceipt, request)


async def concern_ankestyrelsen(args: argparse.Namespace, client: Client) -> Any:
    request = concern_pb2.RecordAnkestyrelsenStepRequest(
        report_id=args.id,
        notified=args.notified,
        manager_consulted=args.manager,
        what_sent=args.what_sent or "",
    )
    return await client.call(_concern(client).RecordAnkestyrelsenStep, request)


def add_commands(sub: Any) -> None:
    """The access and concern commands."""
    access = sub.add_parser("access", help="access requests (aktindsigt), central unit only")
    acts = access.add_subparsers(dest="action", required=True)
    reg = acts.add_parser("register", help="register a request and split it into its parts")
    reg.add_argument(
        "--channel", required=True, choices=["phone", "sms", "letter", "email", "in_person"]
    )
    reg.add_argument("--requester", required=True)
    reg.add_argument("--contact")
    reg.add_argument("--relation", required=True, choices=["party", "named", "other"])
    reg.add_argument("--case", action="append", required=True, help="a case id; repeatable")
    reg.add_argument("--received-on")
    reg.add_argument("--on-behalf-of")
    reg.add_argument("--power-of-attorney", help="the power of attorney's reference")
    reg.add_argument("--period-from")
    reg.add_argument("--period-to")
    reg.set_defaults(call=access_register)
    for name, call, text in (
        ("show", access_show, "a request with its parts and items"),
        ("compile", access_compile, "list the notes and finals in scope as items"),
        ("deliver", access_deliver, "the disclosure package and the decision letter"),
    ):
        one = acts.add_parser(name, help=text)
        one.add_argument("id")
        one.set_defaults(call=call)
    dec = acts.add_parser("decide", help="disclose, partly or withhold one item")
    dec.add_argument("id")
    dec.add_argument("--item", required=True)
    dec.add_argument("--decision", required=True, choices=["disclose", "partly", "withhold"])
    dec.add_argument("--basis", help="a code from `vias access bases`")
    dec.add_argument("--redact", action="append", default=[], help="a passage left out")
    dec.set_defaults(call=access_decide)
    ext = acts.add_parser("extend", help="extend the personal-data part by two months")
    ext.add_argument("id")
    ext.add_argument("--reason", required=True)
    ext.set_defaults(call=access_extend)
    delay = acts.add_parser("delay-letter", help="tell the requester an answer will be late")
    delay.add_argument("id")
    delay.add_argument("--part", required=True, choices=["decision", "gdpr", "files_act"])
    delay.add_argument("--reason", required=True)
    delay.add_argument("--expected-on", required=True)
    delay.set_defaults(call=access_delay)
    check = acts.add_parser("check-deadlines", help="manager: report missed deadlines")
    check.add_argument("--as-of")
    check.set_defaults(call=access_check)
    acts.add_parser("bases", help="the legal bases code list").set_defaults(call=access_bases)

    concern = sub.add_parser("concern", help="concern reports (underretning)")
    cacts = concern.add_subparsers(dest="action", required=True)
    draft = cacts.add_parser("draft", help="draft a report on a case")
    draft.add_argument("--case", required=True)
    draft.add_argument("--subject", required=True, choices=["child", "adult"])
    draft.add_argument(
        "--to",
        action="append",
        required=True,
        choices=["municipality", "management", "authority", "socialtilsynet"],
    )
    draft.add_argument("--municipality", help="the municipality code (three digits)")
    draft.add_argument("--facts", required=True)
    draft.add_argument("--viso-task", required=True)
    draft.add_argument("--observations", required=True)
    draft.set_defaults(call=concern_draft)
    for name, call, text in (
        ("show", concern_show, "one report (audited)"),
        ("cosign", concern_cosign, "the case's consultant co-signs and sends it"),
    ):
        one = cacts.add_parser(name, help=text)
        one.add_argument("id")
        one.set_defaults(call=call)
    listed = cacts.add_parser("list", help="a case's reports")
    listed.add_argument("--case", required=True)
    listed.set_defaults(call=concern_list)
    alone = cacts.add_parser("send-alone", help="the specialist sends without co-signature")
    alone.add_argument("id")
    alone.add_argument("--reason", required=True)
    alone.set_defaults(call=concern_send_alone)
    rec = cacts.add_parser("receipt", help="record the recipient's receipt")
    rec.add_argument("id")
    rec.add_argument("--reference", required=True)
    rec.set_defaults(call=concern_receipt)
    ank = cacts.add_parser("ankestyrelsen", help="record the Ankestyrelsen step")
    ank.add_argument("id")
    ank.add_argument("--notified", action="store_true")
    ank.add_argument("--manager", required=True, help="the manager consulted")
    ank.add_argument("--what-sent")
    ank.set_defaults(call=concern_ankestyrelsen)
