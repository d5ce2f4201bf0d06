"""Domain tables -> the wire form of the annual report."""

from __future__ import annotations

from collections.abc import Sequence

from services.statistics.domain import Table
from vias.statistics.v1 import statistics_pb2 as pb


def report_to_proto(year: int, tables: Sequence[Table], *, min_cell: int) -> pb.AnnualReport:
    """The annual report of `year`, its tables already suppressed."""
    return pb.AnnualReport(
        year=year,
        previous_year=year - 1,
        min_cell=min_cell,
        tables=[
            pb.Table(
                id=t.id,
                title=t.title,
                key_columns=list(t.key_columns),
                value_columns=list(t.value_columns),
                note=t.note,
                rows=[
                    pb.Row(
                        keys=list(r.keys),
                        cells=[pb.Cell(value=c.value, suppressed=c.suppressed) for c in r.cells],
                    )
                    for r in t.rows
                ],
            )
            for t in tables
        ],
    )
