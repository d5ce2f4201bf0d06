"""`vias visitation ...`: the consultant's and the supplier's visitation steps."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from services.cli.deadlines import add_check_deadlines
from services.cli.listing import add_paging, listed
from vias.visitation.v1 import visitation_pb2 as pb
from vias.visitation.v1 import visitation_pb2_grpc

if TYPE_CHECKING:
    from services.cli.main import Client


def _stub(client: Client) -> Any:
    return visitation_pb2_grpc.VisitationServiceStub(client.channel("visitation"))


def _estimate(args: argparse.Namespace) -> pb.Estimate:
    estimate = pb.Estimate()
    for name in ("hours", "transport_km", "transport_hours"):
        value = getattr(args, name)
        if value is not None:
            setattr(estimate, name, value)
    return estimate


def _facts(pairs: list[str]) -> dict[str, bool]:
    facts = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        facts[name] = value.lower() in ("", "1", "true", "yes")
    return facts


async def get_case(args: argparse.Namespace, client: Client) -> Any:
    if args.case:
        return await client.call(_stub(client).GetCase, pb.GetCaseRequest(case_id=args.case))
    request = pb.GetCaseByInquiryRequest(inquiry_id=args.inquiry)
    return await client.call(_stub(client).GetCaseByInquiry, request)


async def search(args: argparse.Namespace, client: Client) -> Any:
    request = pb.SearchCasesRequest(
        status=args.status or "",
        consultant_id=args.consultant or "",
        main_area=args.main_area or "",
        service_id=args.service or "",
        supplier_id=args.supplier or "",
    )
    return await listed(client, _stub(client).SearchCases, request, "cases", args)


async def services(args: argparse.Namespace, client: Client) -> Any:
    return await client.call(_stub(client).ListAdvisoryServices, pb.ListAdvisoryServicesRequest())


async def first_contact(args: argparse.Namespace, client: Client) -> Any:
    request = pb.RecordFirstContactRequest(
        case_id=args.case, expected_version=args.version, contacted_on=args.on
    )
    return await client.call(_stub(client).RecordFirstContact, request)


async def supplier_contact(args: argparse.Namespace, client: Client) -> Any:
    request = pb.RecordSupplierContactRequest(
        case_id=args.case,
        expected_version=args.version,
        supplier_id=args.supplier,
        contacted_on=args.on,
        note=args.note or "",
    )
    return await client.call(_stub(client).RecordSupplierContact, request)


async def information(args: argparse.Namespace, client: Client) -> Any:
    request = pb.RecordInformationRequest(
        case_id=args.case, expected_version=args.version, area=args.area, text=args.text
    )
    return await client.call(_stub(client).RecordInformation, request)


async def close_with_advice(args: argparse.Namespace, client: Client) -> Any:
    request = pb.CloseWithAdviceRequest(
        case_id=args.case, expected_version=args.version, reasoning=args.reasoning
    )
    return await client.call(_stub(client).CloseWithAdvice, request)


async def refer(args: argparse.Namespace, client: Client) -> Any:
    request = pb.ReferElsewhereRequest(
        case_id=args.case,
        expected_version=args.version,
        referred_to=args.to,
        reasoning=args.reasoning,
    )
    return await client.call(_stub(client).ReferElsewhere, request)


async def outside_scope(args: argparse.Namespace, client: Client) -> Any:
    request = pb.DeclareOutsideScopeRequest(
        case_id=args.case,
        expected_version=args.version,
        reason=args.reason,
        reasoning=args.reasoning,
    )
    return await client.call(_stub(client).DeclareOutsideScope, request)


async def proceed(args: argparse.Namespace, client: Client) -> Any:
    request = pb.ProceedWithServiceRequest(
        case_id=args.case,
        expected_version=args.version,
        service_id=args.service,
        inquirer_role=args.role,
        subject=args.subject,
        facts=_facts(args.fact),
        complexity_areas=args.complexity,
        target_groups=args.target_group,
        reasoning=args.reasoning,
    )
    if args.months is not None:
        request.planned_duration_months = args.months
    if args.age is not None:
        request.citizen_age_years = args.age
    return await client.call(_stub(client).ProceedWithService, request)


async def close(args: argparse.Namespace, client: Client) -> Any:
    request = pb.CloseCaseRequest(
        case_id=args.case, expected_version=args.version, kind=args.kind, reason=args.reason
    )
    return await client.call(_stub(client).CloseCase, request)


async def move_deadline(args: argparse.Namespace, client: Client) -> Any:
    request = pb.MoveDeadlineRequest(
        case_id=args.case,
        expected_version=args.version,
        deadline_id=args.deadline,
        new_due=args.due,
        reason=args.reason,
    )
    return await client.call(_stub(client).MoveDeadline, request)


async def rank(args: argparse.Namespace, client: Client) -> Any:
    request = pb.RankSuppliersRequest(case_id=args.case, estimate=_estimate(args))
    return await client.call(_stub(client).RankSuppliers, request)


async def offer(args: argparse.Namespace, client: Client) -> Any:
    request = pb.OfferToSupplierRequest(
        case_id=args.case,
        expected_version=args.version,
        supplier_id=args.supplier,
        justification=args.justification,
        estimate=_estimate(args),
        specialist_id=args.specialist or "",
    )
    return await client.call(_stub(client).OfferToSupplier, request)


async def get_offer(args: argparse.Namespace, client: Client) -> Any:
    return await client.call(_stub(client).GetOffer, pb.GetOfferRequest(offer_id=args.offer))


async def offers(args: argparse.Namespace, client: Client) -> Any:
    request = pb.ListOffersRequest(case_id=args.case or "", status=args.status or "")
    return await listed(client, _stub(client).ListOffers, request, "offers", args)


async def answer(args: argparse.Namespace, client: Client) -> Any:
    request = pb.AnswerOfferRequest(
        offer_id=args.offer,
        accept=args.yes,
        reason=args.reason or "",
        specialist_id=args.specialist or "",
    )
    return await client.call(_stub(client).AnswerOffer, request)


async def book(args: argparse.Namespace, client: Client) -> Any:
    request = pb.RecordInquirerContactRequest(
        offer_id=args.offer, contacted_on=args.contacted_on, meeting_on=args.meeting_on
    )
    return await client.call(_stub(client).RecordInquirerContact, request)


async def meeting(args: argparse.Namespace, client: Client) -> Any:
    request = pb.RecordClarifyingMeetingRequest(
        offer_id=args.offer,
        held_on=args.held_on,
        citizen_attended=args.absent_reason is None,
        citizen_absence_reason=args.absent_reason or "",
        outside_scope_reason=args.outside_scope or "",
    )
    return await client.call(_stub(client).RecordClarifyingMeeting, request)


async def central_meeting(args: argparse.Namespace, client: Client) -> Any:
    request = pb.RecordCentralClarifyingMeetingRequest(
        case_id=args.case,
        expected_version=args.version,
        held_on=args.held_on,
        citizen_attended=args.absent_reason is None,
        citizen_absence_reason=args.absent_reason or "",
        delivered_by=args.delivered_by or "",
    )
    return await client.call(_stub(client).RecordCentralClarifyingMeeting, request)


async def note(args: argparse.Namespace, client: Client) -> Any:
    request = pb.RecordSummaryNoteRequest(offer_id=args.offer, sent_on=args.sent_on, note=args.note)
    return await client.call(_stub(client).RecordSummaryNote, request)


def _case_step(actions: Any, name: str, help_text: str, call: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = actions.add_parser(name, help=help_text)
    parser.add_argument("case")
    parser.add_argument("--version", type=int, default=0, help="expected case version (0: any)")
    parser.set_defaults(call=call)
    return parser


def _estimate_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hours", help="estimated hours (default from reference data)")
    parser.add_argument("--km", dest="transport_km", help="estimated transport km")
    parser.add_argument("--transport-hours", dest="transport_hours")


def add_commands(sub: Any) -> None:
    """Add `vias visitation ...` to the top-level subcommands."""
    visitation = sub.add_parser("visitation", help="visitation cases, suppliers and offers")
    actions = visitation.add_subparsers(dest="action", required=True)

    case = actions.add_parser("case", help="read a case")
    which = case.add_mutually_exclusive_group(required=True)
    which.add_argument("--case")
    which.add_argument("--inquiry")
    case.set_defaults(call=get_case)

    found = actions.add_parser("search", help="find cases")
    found.add_argument("--status")
    found.add_argument("--consultant")
    found.add_argument("--main-area")
    found.add_argument("--service")
    found.add_argument("--supplier")
    add_paging(found)
    found.set_defaults(call=search)

    actions.add_parser("services", help="advisory services and rules").set_defaults(call=services)

    contact = _case_step(actions, "first-contact", "record the first contact", first_contact)
    contact.add_argument("--on", required=True, help="YYYY-MM-DD")
    reached = _case_step(
        actions, "supplier-contact", "record contacting a supplier", supplier_contact
    )
    reached.add_argument("--supplier", required=True)
    reached.add_argument("--on", required=True, help="YYYY-MM-DD")
    reached.add_argument("--note")
    info = _case_step(actions, "info", "record an information-wheel area", information)
    info.add_argument("--area", required=True)
    info.add_argument("--text", required=True)
    advice = _case_step(
        actions, "close-with-advice", "decide: closed with advice", close_with_advice
    )
    advice.add_argument("--reasoning", required=True)
    referred = _case_step(actions, "refer", "decide: referred to another body", refer)
    referred.add_argument("--to", required=True)
    referred.add_argument("--reasoning", required=True)
    outside = _case_step(actions, "outside-scope", "decide: outside VISO's scope", outside_scope)
    outside.add_argument("--reason", required=True)
    outside.add_argument("--reasoning", required=True)
    chosen = _case_step(actions, "proceed", "decide: advise with a service", proceed)
    chosen.add_argument("--service", required=True)
    chosen.add_argument("--role", required=True, help="inquirer role, e.g. authority_caseworker")
    chosen.add_argument("--subject", required=True, help="individual, group or anonymous")
    chosen.add_argument("--fact", action="append", default=[], help="name=true|false")
    chosen.add_argument("--complexity", action="append", default=[])
    chosen.add_argument("--target-group", action="append", default=[])
    chosen.add_argument("--age", type=int)
    chosen.add_argument("--months", type=int, help="planned duration")
    chosen.add_argument("--reasoning", required=True)
    stop = _case_step(actions, "close", "consent withdrawn or interrupted", close)
    stop.add_argument("--kind", required=True)
    stop.add_argument("--reason", required=True)

    moved = _case_step(actions, "move-deadline", "agree a new due date", move_deadline)
    moved.add_argument("--deadline", required=True)
    moved.add_argument("--due", required=True, help="YYYY-MM-DD")
    moved.add_argument("--reason", required=True)

    ranked = actions.add_parser("rank", help="eligible suppliers for a case, best first")
    ranked.add_argument("case")
    _estimate_options(ranked)
    ranked.set_defaults(call=rank)
    offered = _case_step(actions, "offer", "send the case to a supplier", offer)
    offered.add_argument("--supplier", required=True)
    offered.add_argument("--justification", required=True)
    offered.add_argument("--specialist", help="the specialist the case was discussed with")
    _estimate_options(offered)

    one = actions.add_parser("get-offer", help="read an offer")
    one.add_argument("offer")
    one.set_defaults(call=get_offer)
    offered = actions.add_parser("offers", help="offers the caller may see")
    offered.add_argument("--case")
    offered.add_argument("--status")
    add_paging(offered)
    offered.set_defaults(call=offers)
    answered = actions.add_parser("answer", help="the supplier's yes or no")
    answered.add_argument("offer")
    yes_no = answered.add_mutually_exclusive_group(required=True)
    yes_no.add_argument("--yes", action="store_true")
    yes_no.add_argument("--no", action="store_true")
    answered.add_argument("--reason")
    answered.add_argument("--specialist")
    answered.set_defaults(call=answer)
    booked = actions.add_parser("book", help="the clarifying meeting booked with the inquirer")
    booked.add_argument("offer")
    booked.add_argument("--contacted-on", required=True)
    booked.add_argument("--meeting-on", required=True)
    booked.set_defaults(call=book)
    held = actions.add_parser("meeting", help="the clarifying meeting was held")
    held.add_argument("offer")
    held.add_argument("--held-on", required=True)
    held.add_argument("--absent-reason", help="why the citizen did not take part")
    held.add_argument("--outside-scope", help="the meeting showed it is outside scope")
    held.set_defaults(call=meeting)
    central = _case_step(
        actions,
        "central-meeting",
        "the clarifying meeting of a course the central unit runs itself was held",
        central_meeting,
    )
    central.add_argument("--held-on", required=True)
    central.add_argument("--absent-reason", help="why the citizen did not take part")
    central.add_argument(
        "--delivered-by", help="the VISO colleague who delivers (default: the consultant)"
    )
    noted = actions.add_parser("note", help="the summary note was sent")
    noted.add_argument("offer")
    noted.add_argument("--sent-on", required=True)
    noted.add_argument("--note", required=True)
    noted.set_defaults(call=note)
    add_check_deadlines(actions, _stub, pb.CheckDeadlinesRequest)
