"""Statistics' gRPC servicer."""

from __future__ import annotations

from typing import Any

from services.kernel.bounds import check_year
from services.kernel.context import VISO_STAFF, require_role
from services.kernel.grpc_server import Registration
from services.kernel.store import MongoStore
from services.statistics.convert import report_to_proto
from services.statistics.domain import annual_tables
from services.statistics.queries import year_counts
from services.statistics.reference import Reference
from vias.statistics.v1 import statistics_pb2 as pb
from vias.statistics.v1 import statistics_pb2_grpc


class StatisticsApi(statistics_pb2_grpc.StatisticsServiceServicer):
    """StatisticsService: the annual report, suppressed, from the read model."""

    def __init__(self, store: MongoStore, reference: Reference, min_cell: int) -> None:
        self.store = store
        self.reference = reference
        self.min_cell = min_cell

    async def GetAnnualReport(self, request: Any, context: Any) -> pb.AnnualReport:
        require_role(*VISO_STAFF)
        year = check_year(request.year)
        current = await year_counts(self.store.db, year)
        previous = await year_counts(self.store.db, year - 1)
        tables = annual_tables(
            current, previous, min_cell=self.min_cell, labels=self.reference.labels()
        )
        return report_to_proto(year, tables, min_cell=self.min_cell)


def registrations(store: MongoStore, reference: Reference, min_cell: int) -> list[Registration]:
    """The servicers statistics serves."""
    return [
        (
            statistics_pb2_grpc.add_StatisticsServiceServicer_to_server,
            StatisticsApi(store, reference, min_cell),
            pb.DESCRIPTOR.services_by_name["StatisticsService"].full_name,
        )
    ]
