"""`vias intake ...` and `vias kas ...`: the intake and KaS commands of the command-line client."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from services.cli.deadlines import add_check_deadlines
from services.cli.pages import every_page_of
from services.intake.reference import load_reference
from services.kernel.paging import MAX_PAGE_SIZE
from vias.intake.v1 import intake_pb2, intake_pb2_grpc, kas_pb2, kas_pb2_grpc

CONSENT_FLAGS = {
    "consent": ("citizen_consented", "custody_holder_consented", "young_person_consented"),
    "guardian": ("guardian_consented",),
    "power_of_attorney": ("attorney_consented", "power_of_attorney_in_force"),
    "rsl_11d_without_consent": ("consent_attempted",),
    "sel_82_without_consent": (),
}


def _stub(client: Any) -> Any:
    return intake_pb2_grpc.IntakeServiceStub(client.channel("intake"))


def _kas(client: Any) -> Any:
    return kas_pb2_grpc.KasServiceStub(client.channel("intake"))


def _municipality_of(name: str) -> str:
    """The code of a municipality named like the inquirer ("Vejle Kommune" -> 630)."""
    wanted = name.strip().lower()
    for municipality in load_reference().municipalities:
        if municipality.name.lower() == wanted:
            return municipality.code
    return ""


async def register(args: argparse.Namespace, client: Any) -> Any:
    if len(args.cpr) != len(args.citizen):
        raise SystemExit("give one --cpr per --citizen")
    flags = dict.fromkeys(CONSENT_FLAGS[args.consent], True)
    citizens = [
        intake_pb2.Citizen(
            name=name,
            cpr=cpr,
            custody_holders=[intake_pb2.Person(name=n) for n in args.custody_holder],
            guardian=intake_pb2.Person(name=args.guardian) if args.guardian else None,
            under_guardianship=bool(args.guardian),
            consent=intake_pb2.Consent(
                basis=args.consent, justification=args.justification, **flags
            ),
        )
        for name, cpr in zip(args.citizen, args.cpr, strict=True)
    ]
    request = intake_pb2.RegisterInquiryRequest(
        inquirer_name=args.inquirer,
        main_area=args.main_area,
        description=args.description,
        requested_service=args.service,
        management_approved=args.management_approved,
        inquirer=intake_pb2.InquirerDetails(
            type=args.inquirer_type,
            organisation=args.inquirer if args.inquirer_type not in ("citizen", "relative") else "",
            municipality_code=args.municipality or _municipality_of(args.inquirer),
            email=args.email,
            phone=args.phone,
        ),
        citizens=citizens,
        target_groups=args.target_group,
    )
    return await client.call(_stub(client).RegisterInquiry, request)


async def assign(args: argparse.Namespace, client: Any) -> Any:
    request = intake_pb2.AssignInquiryRequest(
        inquiry_id=args.id,
        consultant_id=args.consultant,
        consultant_name=args.consultant_name,
        distributed_on=args.on,
    )
    return await client.call(_stub(client).AssignInquiry, request)


async def get(args: argparse.Namespace, client: Any) -> Any:
    request = intake_pb2.GetInquiryRequest(
        inquiry_id=args.id, reveal_cpr=args.reveal_cpr, purpose=args.purpose
    )
    return await client.call(_stub(client).GetInquiry, request)


async def search(args: argparse.Namespace, client: Any) -> Any:
    request = intake_pb2.ListInquiriesRequest(
        status=args.status,
        text=args.text,
        cpr=args.cpr,
        consultant_id=args.consultant,
        family_group_id=args.family,
        page_size=min(args.limit or MAX_PAGE_SIZE, MAX_PAGE_SIZE),
        purpose=args.purpose,
    )
    return await every_page_of(
        client, _stub(client).SearchInquiries, request, "inquiries", at_most=args.limit
    )


async def contact(args: argparse.Namespace, client: Any) -> Any:
    request = intake_pb2.RegisterContactInquiryRequest(
        channel=args.channel,
        main_area=args.main_area,
        inquirer_type=args.inquirer_type,
        municipality_code=args.municipality,
        summary=args.summary,
        outcome=args.outcome,
        referred_to=args.referred_to,
    )
    return await client.call(_stub(client).RegisterContactInquiry, request)


async def distribution(args: argparse.Namespace, client: Any) -> Any:
    request = intake_pb2.ProduceDistributionListRequest(list_date=args.date)
    return await client.call(_stub(client).ProduceDistributionList, request)


async def kas_list(args: argparse.Namespace, client: Any) -> Any:
    request = kas_pb2.ListKasRegistrationsRequest(
        view=args.view, text=args.text, page_size=MAX_PAGE_SIZE
    )
    return await every_page_of(client, _kas(client).ListKasRegistrations, request, "registrations")


async def kas_export(args: argparse.Namespace, client: Any) -> Any:
    request = kas_pb2.ExportKasExtractRequest(
        extract=args.extract,
        period_from=args.period_from,
        period_to=args.period_to,
        format=args.format,
    )
    reply = await client.call(_kas(client).ExportKasExtract, request)
    target = Path(args.out or reply.filename)
    await asyncio.to_thread(target.write_bytes, reply.content)
    return {"file": str(target), "rows": reply.row_count, "media_type": reply.media_type}


def add_commands(sub: Any) -> None:
    """The `intake` and `kas` command groups."""
    intake = sub.add_parser("intake", help="inquiries").add_subparsers(dest="action", required=True)
    reg = intake.add_parser("register", help="register a form inquiry")
    reg.add_argument("--inquirer", required=True, help="the inquiring body or person")
    reg.add_argument("--inquirer-type", default="municipal_administration")
    reg.add_argument("--municipality", default="", help="code; default: from the inquirer name")
    reg.add_argument("--email", default="")
    reg.add_argument("--phone", default="")
    reg.add_argument("--main-area", required=True)
    reg.add_argument("--service", default="single_case", help="requested advisory service")
    reg.add_argument("--citizen", action="append", default=[], help="repeat for siblings")
    reg.add_argument("--cpr", action="append", default=[], help="one per --citizen")
    reg.add_argument("--custody-holder", action="append", default=[])
    reg.add_argument("--guardian", default="")
    reg.add_argument("--consent", default="consent", choices=sorted(CONSENT_FLAGS))
    reg.add_argument("--justification", default="", help="§ 82 justification")
    reg.add_argument("--target-group", action="append", default=[])
    reg.add_argument("--management-approved", action=argparse.BooleanOptionalAction, default=True)
    reg.add_argument("--description", required=True)
    reg.set_defaults(call=register)
    give = intake.add_parser("assign", help="record the consultant a distribution list gave")
    give.add_argument("id")
    give.add_argument("--consultant", required=True)
    give.add_argument("--consultant-name", default="")
    give.add_argument(
        "--on",
        required=True,
        help="date of the list the inquiry is on (its distribution_date), YYYY-MM-DD",
    )
    give.set_defaults(call=assign)
    read = intake.add_parser("get", help="read an inquiry")
    read.add_argument("id")
    read.add_argument("--reveal-cpr", action="store_true")
    read.add_argument("--purpose", default="")
    read.set_defaults(call=get)
    find = intake.add_parser("search", help="list or search inquiries")
    for name in ("status", "text", "cpr", "consultant", "family", "purpose"):
        find.add_argument(f"--{name}", default="")
    find.add_argument("--limit", type=int, default=0, help="at most this many (0: every page)")
    find.set_defaults(call=search)
    call = intake.add_parser("contact", help="register (and close) a phone or e-mail inquiry")
    call.add_argument("--channel", default="phone", choices=["phone", "email"])
    call.add_argument("--main-area", required=True)
    call.add_argument("--inquirer-type", required=True)
    call.add_argument("--municipality", default="")
    call.add_argument("--summary", required=True)
    call.add_argument("--outcome", default="")
    call.add_argument("--referred-to", default="")
    call.set_defaults(call=contact)
    lists = intake.add_parser("distribution", help="the distribution list for a date")
    lists.add_argument("date", help="YYYY-MM-DD, a distribution day")
    lists.set_defaults(call=distribution)
    add_check_deadlines(intake, _stub, intake_pb2.CheckDeadlinesRequest)

    kas = sub.add_parser("kas", help="KaS registrations").add_subparsers(
        dest="action", required=True
    )
    view = kas.add_parser("list", help="my_ongoing, my_closed, my_inquiries or search")
    view.add_argument("--view", default="my_ongoing")
    view.add_argument("--text", default="")
    view.set_defaults(call=kas_list)
    export = kas.add_parser("export", help="one of the five extracts as CSV or XLSX")
    export.add_argument("extract")
    export.add_argument("--from", dest="period_from", required=True)
    export.add_argument("--to", dest="period_to", required=True)
    export.add_argument("--format", default="xlsx", choices=["csv", "xlsx"])
    export.add_argument("--out", default="")
    export.set_defaults(call=kas_export)
