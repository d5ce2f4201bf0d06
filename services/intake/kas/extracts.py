"""The five KaS extracts (classifications, problem areas, longer courses, one-off advice,
referrals) as rows, and their CSV and XLSX files; no I/O beyond building bytes in memory."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from services.intake.kas.model import KasRegistration
from services.intake.reference import Item, Reference

ExtractKind = Literal[
    "classifications", "problem_areas", "longer_courses", "one_off_advice", "referrals"
]
EXTRACTS: tuple[ExtractKind, ...] = (
    "classifications",
    "problem_areas",
    "longer_courses",
    "one_off_advice",
    "referrals",
)
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
Cell = str | int | bool | None


@dataclass(frozen=True)
class Extract:
    """A table: title, header and rows; `summary` counts values for the coded extracts."""

    title: str
    header: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    summary: list[tuple[str, int]]


def _names(items: tuple[Item, ...]) -> dict[str, str]:
    return {i.id: i.name_da for i in items}


def _base(r: KasRegistration) -> tuple[Cell, ...]:
    inquiry_date = r.form.inquiry_date.isoformat() if r.form.inquiry_date else ""
    return (r.kas_number, inquiry_date, r.supplier_id, r.handling)


BASE_HEADER = ("kas_number", "inquiry_date", "supplier_id", "handling")


def build(kind: ExtractKind, registrations: Sequence[KasRegistration], ref: Reference) -> Extract:
    """The extract of one kind over complete registrations (drafts are left out)."""
    done = [r for r in registrations if r.status != "draft"]
    if kind in ("classifications", "problem_areas"):
        items = ref.kas.classifications if kind == "classifications" else ref.kas.problem_areas
        names = _names(items)
        values: Callable[[KasRegistration], list[str]] = (
            (lambda r: r.form.classifications)
            if kind == "classifications"
            else (lambda r: r.form.problem_areas)
        )
        rows = [(*_base(r), code, names.get(code, code)) for r in done for code in values(r)]
        counts = Counter(str(row[-1]) for row in rows)
        return Extract(
            title="Klassifikationer" if kind == "classifications" else "Problematikker",
            header=(*BASE_HEADER, "code", "name"),
            rows=rows,
            summary=sorted(counts.items()),
        )
    if kind == "longer_courses":
        aim = ref.kas.course_duration_aim_months
        rows = [
            (
                *_base(r),
                r.status,
                r.form.kas_specialist_id,
                r.form.group_case,
                r.clarifying_meeting_date.isoformat() if r.clarifying_meeting_date else "",
                r.closing_date.isoformat() if r.closing_date else "",
                r.duration_months,
                None if r.duration_months is None else r.duration_months <= aim,
                r.closing_reason,
            )
            for r in done
            if r.is_course(ref)
        ]
        return Extract(
            title="Længerevarende forløb",
            header=(
                *BASE_HEADER,
                "status",
                "kas_specialist_id",
                "group_case",
                "clarifying_meeting_date",
                "closing_date",
                "duration_months",
                f"within_{aim}_months",
                "closing_reason",
            ),
            rows=rows,
            summary=[],
        )
    municipalities = {m.code: m.name for m in ref.municipalities}
    municipalities[ref.municipality_not_stated.code] = ref.municipality_not_stated.name
    wanted = "closed" if kind == "one_off_advice" else "referred"
    rows = [
        (
            *_base(r),
            r.form.channel,
            r.form.inquirer_profile,
            r.form.municipality_code,
            municipalities.get(r.form.municipality_code, ""),
            r.form.municipality_basis or "",
            r.form.legal_area,
            r.form.closed_with if kind == "one_off_advice" else r.form.referred_to,
        )
        for r in done
        if r.handling == wanted
    ]
    return Extract(
        title="Henvendelser (éngangsrådgivning)" if kind == "one_off_advice" else "Henvisninger",
        header=(
            *BASE_HEADER,
            "channel",
            "inquirer_profile",
            "municipality_code",
            "municipality",
            "municipality_basis",
            "legal_area",
            "closed_with" if kind == "one_off_advice" else "referred_to",
        ),
        rows=rows,
        summary=[],
    )


def to_csv(extract: Extract) -> bytes:
    """The extract as UTF-8 CSV with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(extract.header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in extract.rows)
    return out.getvalue().encode("utf-8")


def to_xlsx(extract: Extract) -> bytes:
    """The extract as an XLSX workbook: the data sheet, plus a summary sheet when it has one."""
    from openpyxl import Workbook  # imported on first export: it costs ~16 MB of memory

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = extract.title[:31]
    sheet.append(list(extract.header))
    for row in extract.rows:
        sheet.append(list(row))
    if extract.summary:
        summary = book.create_sheet("Opsummering")
        summary.append(["name", "count"])
        for name, count in extract.summary:
            summary.append([name, count])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
