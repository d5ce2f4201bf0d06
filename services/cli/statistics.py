"""`vias stats report --year Y [--xlsx F] [--pdf F]`: the annual report."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.cli.report_files import write_pdf, write_xlsx
from vias.statistics.v1 import statistics_pb2, statistics_pb2_grpc

if TYPE_CHECKING:
    from services.cli.main import Client


async def annual_report(args: argparse.Namespace, client: Client) -> Any:
    stub = statistics_pb2_grpc.StatisticsServiceStub(client.channel("statistics"))
    report = await client.call(
        stub.GetAnnualReport, statistics_pb2.GetAnnualReportRequest(year=args.year)
    )
    written = {}
    if args.xlsx:
        write_xlsx(report, Path(args.xlsx))
        written["xlsx"] = args.xlsx
    if args.pdf:
        write_pdf(report, Path(args.pdf))
        written["pdf"] = args.pdf
    if written:
        return {"year": report.year, "tables": len(report.tables), "written": written}
    return report


def add_commands(sub: Any) -> None:
    """The statistics commands."""
    stats = sub.add_parser("stats", help="statistics: the annual report")
    actions = stats.add_subparsers(dest="action", required=True)
    report = actions.add_parser("report", help="the annual report's tables of a year")
    report.add_argument("--year", type=int, required=True)
    report.add_argument("--xlsx", help="write the tables to this workbook (one sheet each)")
    report.add_argument("--pdf", help="write charts of the main tables to this PDF")
    report.set_defaults(call=annual_report)
