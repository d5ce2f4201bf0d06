"""The annual report as files: an XLSX workbook (one sheet per table) and a PDF of charts.

Both are made from the wire form `GetAnnualReport` returns, so they hold only what the
service let leave the platform (small cells already suppressed: shown as "<N").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

SUPPRESSED = "<{min_cell}"
CHARTED = (
    ("inquiries", "I alt"),
    ("courses_by_service", None),
    ("courses_by_area", None),
    ("course_kinds", None),
    ("target_groups", None),
    ("kas", None),
    ("survey_response", None),
    ("appropriation", None),
    ("deadlines", None),
)
"""The tables charted, and a key value a row must have in its last key column to be shown."""


def cell_value(cell: Any, min_cell: int) -> float | int | str:
    """A cell as the workbook shows it: the number, or "<min_cell" when suppressed."""
    if cell.suppressed:
        return SUPPRESSED.format(min_cell=min_cell)
    value = float(cell.value)
    return int(value) if value.is_integer() else value


def write_xlsx(report: Any, path: Path) -> None:
    """One sheet per table: its title, the header row, then one row per table row."""
    book = Workbook()
    book.remove(book.active)
    for table in report.tables:
        sheet = book.create_sheet(table.id[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append([*table.key_columns, *table.value_columns])
        for header in sheet[2]:
            header.font = Font(bold=True)
        for row in table.rows:
            sheet.append([*row.keys, *(cell_value(c, report.min_cell) for c in row.cells)])
        if table.note:
            sheet.append([])
            sheet.append([table.note])
        for column, width in zip("ABC", (34, 34, 30), strict=False):
            sheet.column_dimensions[column].width = width
    book.save(path)


def write_pdf(report: Any, path: Path) -> None:
    """One page per main table: a grouped bar chart of the year against the previous year."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    by_id = {t.id: t for t in report.tables}
    with PdfPages(path) as pdf:
        for table_id, last_key in CHARTED:
            table = by_id.get(table_id)
            if table is None or not table.rows:
                continue
            rows = [r for r in table.rows if last_key is None or r.keys[-1] == last_key]
            rows = [r for r in rows if r.keys[0] != "I alt" or table_id == "inquiries"][:25]
            labels = [" / ".join(k for k in r.keys if k != "I alt") or "I alt" for r in rows]
            half = len(table.value_columns) // 2
            figure, axis = plt.subplots(figsize=(11.7, 8.3))
            positions = range(len(rows))
            width = 0.4
            for offset, (column, name) in enumerate(
                ((0, report.year), (half, report.previous_year))
            ):
                values = [
                    0.0 if r.cells[column].suppressed else r.cells[column].value for r in rows
                ]
                axis.barh(
                    [p + offset * width for p in positions], values, height=width, label=str(name)
                )
            axis.set_yticks([p + width / 2 for p in positions])
            axis.set_yticklabels(labels, fontsize=7)
            axis.invert_yaxis()
            axis.set_title(
                f"{table.title}\n({table.value_columns[0]} mod {table.value_columns[half]})"
            )
            axis.legend()
            figure.text(
                0.01,
                0.01,
                f"Celler under {report.min_cell} er udeladt (vist som 0).",
                fontsize=7,
            )
            figure.tight_layout()
            pdf.savefig(figure)
            plt.close(figure)
