"""`vias leverance ...`: suppliers, deliveries and money from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.cli.deadlines import add_check_deadlines
from services.cli.listing import add_paging, listed
from vias.leverance.v1 import leverance_pb2 as pb
from vias.leverance.v1 import leverance_pb2_grpc

if TYPE_CHECKING:
    from services.cli.main import Client


def _stub(client: Client) -> Any:
    return leverance_pb2_grpc.LeveranceServiceStub(client.channel("leverance"))


def _csv_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise argparse.ArgumentTypeError(f"cannot read {path}: {error.strerror}") from error


async def import_suppliers(args: argparse.Namespace, client: Client) -> Any:
    request = pb.ImportSuppliersRequest(csv_text=args.file)
    return await client.call(_stub(client).ImportSuppliers, request)


async def get_supplier(args: argparse.Namespace, client: Client) -> Any:
    request = pb.GetSupplierRequest(supplier_id=args.id)
    return await client.call(_stub(client).GetSupplier, request)


async def list_suppliers(args: argparse.Namespace, client: Client) -> Any:
    request = pb.ListSuppliersRequest()
    return await listed(client, _stub(client).ListSuppliers, request, "suppliers", args)


async def get_course(args: argparse.Namespace, client: Client) -> Any:
    return await client.call(_stub(client).GetCourse, pb.GetCourseRequest(case_id=args.case))


async def get_delivery(args: argparse.Namespace, client: Client) -> Any:
    request = pb.GetDeliveryRequest(delivery_id=args.id)
    return await client.call(_stub(client).GetDelivery, request)


async def list_deliveries(args: argparse.Namespace, client: Client) -> Any:
    request = pb.ListDeliveriesRequest(
        case_id=args.case or "", supplier_id=args.supplier or "", status=args.status or ""
    )
    return await listed(client, _stub(client).ListDeliveries, request, "deliveries", args)


async def list_consumption(args: argparse.Namespace, client: Client) -> Any:
    request = pb.ListConsumptionRequest(delivery_id=args.id)
    return await listed(client, _stub(client).ListConsumption, request, "entries", args)


async def approve(args: argparse.Namespace, client: Client) -> Any:
    request = pb.ApproveAgreementRequest(delivery_id=args.id, expected_version=args.version)
    return await client.call(_stub(client).ApproveAgreement, request)


async def settle(args: argparse.Namespace, client: Client) -> Any:
    request = pb.CreateMonthlySettlementRequest(supplier_id=args.supplier, month=args.month)
    return await client.call(_stub(client).CreateMonthlySettlement, request)


async def get_settlement(args: argparse.Namespace, client: Client) -> Any:
    request = pb.GetSettlementRequest(supplier_id=args.supplier, month=args.month)
    return await client.call(_stub(client).GetSettlement, request)


async def spending(args: argparse.Namespace, client: Client) -> Any:
    return await client.call(_stub(client).GetSpending, pb.GetSpendingRequest(year=args.year))


async def start_central(args: argparse.Namespace, client: Client) -> Any:
    request = pb.StartCentralCourseRequest(
        case_id=args.case,
        expected_version=args.version,
        description=pb.DeliveryDescription(
            purpose=args.purpose,
            goals=args.goal,
            content=args.content,
            course=args.course_plan,
            method=args.method,
        ),
        planned_hours=args.planned_hours,
    )
    return await client.call(_stub(client).StartCentralCourse, request)


async def log_hours(args: argparse.Namespace, client: Client) -> Any:
    request = pb.LogCentralHoursRequest(
        case_id=args.case,
        activity_kind=args.kind,
        worked_on=args.on,
        hours=args.hours,
        note=args.note or "",
    )
    return await client.call(_stub(client).LogCentralHours, request)


async def close_central(args: argparse.Namespace, client: Client) -> Any:
    request = pb.CloseCentralCourseRequest(case_id=args.case, expected_version=args.version)
    return await client.call(_stub(client).CloseCentralCourse, request)


def _goal_evaluation(text: str) -> pb.GoalEvaluation:
    """`goal=result:comment`, e.g. "The team uses a visual schedule=reached:Seen daily"."""
    goal, _, judged = text.rpartition("=")
    result, _, comment = judged.partition(":")
    if not goal or not result:
        raise argparse.ArgumentTypeError("write GOAL=RESULT:COMMENT")
    return pb.GoalEvaluation(goal=goal, result=result, comment=comment)


async def closing_meeting(args: argparse.Namespace, client: Client) -> Any:
    request = pb.RecordClosingMeetingRequest(
        case_id=args.case,
        expected_version=args.version,
        held_on=args.held_on,
        goal_evaluations=args.goal,
        consultant_attended=args.consultant_attended,
    )
    return await client.call(_stub(client).RecordClosingMeeting, request)


def _central_commands(actions: Any) -> None:
    cmd = actions.add_parser(
        "closing-meeting", help="record the closing meeting: each goal evaluated, who attended"
    )
    cmd.add_argument("--case", required=True)
    cmd.add_argument("--version", type=int, default=0, help="the course version read")
    cmd.add_argument("--held-on", required=True, help="YYYY-MM-DD")
    cmd.add_argument(
        "--goal",
        type=_goal_evaluation,
        action="append",
        default=[],
        help="GOAL=reached|partly_reached|not_reached:COMMENT (repeat for every goal)",
    )
    attended = cmd.add_mutually_exclusive_group(required=True)
    attended.add_argument("--consultant-attended", action="store_true", default=None)
    attended.add_argument("--consultant-absent", dest="consultant_attended", action="store_false")
    cmd.set_defaults(call=closing_meeting)
    cmd = actions.add_parser(
        "start-central", help="plan and start a course the central unit runs itself"
    )
    cmd.add_argument("--case", required=True)
    cmd.add_argument("--version", type=int, default=0, help="the course version read")
    cmd.add_argument("--purpose", required=True)
    cmd.add_argument("--goal", action="append", required=True, help="a concrete goal (repeat)")
    cmd.add_argument("--content", required=True)
    cmd.add_argument("--course-plan", required=True, help="how the course runs")
    cmd.add_argument("--method", required=True)
    cmd.add_argument("--planned-hours", required=True)
    cmd.set_defaults(call=start_central)
    cmd = actions.add_parser("log-hours", help="log the central unit's hours on its course")
    cmd.add_argument("--case", required=True)
    cmd.add_argument("--kind", default="special_advice", help="activity kind")
    cmd.add_argument("--on", required=True, help="YYYY-MM-DD")
    cmd.add_argument("--hours", required=True)
    cmd.add_argument("--note")
    cmd.set_defaults(call=log_hours)
    cmd = actions.add_parser("close-central", help="close a course the central unit ran")
    cmd.add_argument("--case", required=True)
    cmd.add_argument("--version", type=int, default=0, help="the course version read")
    cmd.set_defaults(call=close_central)


def add_commands(actions: Any) -> None:
    """Add leverance's commands to the `vias leverance` sub-command parsers."""
    cmd = actions.add_parser("import-suppliers", help="import a supplier list (CSV)")
    cmd.add_argument(
        "file", type=_csv_text, help="CSV file, one row per contract (columns: see the proto)"
    )
    cmd.set_defaults(call=import_suppliers)
    cmd = actions.add_parser("supplier", help="read a supplier")
    cmd.add_argument("id")
    cmd.set_defaults(call=get_supplier)
    cmd = actions.add_parser("suppliers", help="list suppliers")
    add_paging(cmd)
    cmd.set_defaults(call=list_suppliers)
    cmd = actions.add_parser("course", help="the course of a case with its checklist")
    cmd.add_argument("--case", required=True)
    cmd.set_defaults(call=get_course)
    cmd = actions.add_parser("delivery", help="a delivery with its versions and totals")
    cmd.add_argument("id")
    cmd.set_defaults(call=get_delivery)
    cmd = actions.add_parser("deliveries", help="list deliveries")
    cmd.add_argument("--case")
    cmd.add_argument("--supplier")
    cmd.add_argument("--status")
    add_paging(cmd)
    cmd.set_defaults(call=list_deliveries)
    cmd = actions.add_parser("consumption", help="a delivery's logged consumption and totals")
    cmd.add_argument("id", help="the delivery")
    add_paging(cmd)
    cmd.set_defaults(call=list_consumption)
    cmd = actions.add_parser("approve", help="approve the pending agreement version")
    cmd.add_argument("id")
    cmd.add_argument("--version", type=int, default=0, help="the delivery version read")
    cmd.set_defaults(call=approve)
    cmd = actions.add_parser("settle", help="make a supplier's monthly settlement")
    cmd.add_argument("--supplier", required=True)
    cmd.add_argument("--month", required=True, help="YYYY-MM, a finished month")
    cmd.set_defaults(call=settle)
    cmd = actions.add_parser("settlement", help="read a monthly settlement")
    cmd.add_argument("--supplier", required=True)
    cmd.add_argument("--month", required=True)
    cmd.set_defaults(call=get_settlement)
    cmd = actions.add_parser("spending", help="spending per main area against the appropriation")
    cmd.add_argument("--year", type=int, required=True)
    cmd.set_defaults(call=spending)
    add_check_deadlines(actions, _stub, pb.CheckDeadlinesRequest)
    _central_commands(actions)
