"""The Danish templates (files in `templates/`, one per document the handbook names, overridden
per advisory service where the service's document differs) filled from the case's data and
rendered as PDF for what is sent and as DOCX for what a specialist edits; no I/O beyond reading
the template files."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

from docx import Document as DocxDocument
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from services.documents.content import DOCX, PDF
from services.documents.record import DRAFT_MARK, CaseFacts, StoredVersion
from services.kernel.errors import InvalidInput

TEMPLATES = Path(__file__).parent / "templates"
Format = Literal["pdf", "docx"]
MONTHS = [
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
]
MAX_FIELD_CHARS = 20_000
SERVICE_NAMES = {
    "phone_advice": "Telefonisk rådgivning",
    "phone_extended": "Udvidet telefonisk rådgivning",
    "citizen_course": "Rådgivningsforløb for borgere",
    "single_case": "Rådgivningsforløb i en enkeltsag",
    "mini_single_case": "Mini-rådgivningsforløb i en enkeltsag",
    "group_course": "Rådgivningsforløb vedrørende flere borgere",
    "mini_group_course": "Mini-rådgivningsforløb vedrørende flere borgere",
    "theme_course": "Temaforløb",
    "adoption_course": "Rådgivningsforløb om adoption uden samtykke",
    "adoption_theme_days": "Temadage om adoption uden samtykke",
    "casework_course": "Sagsbehandlingsforløb",
    "mini_casework_course": "Mini-sagsbehandlingsforløb",
}


@dataclass(frozen=True)
class TemplateInfo:
    """One template of the catalogue."""

    id: str
    name: str
    kind: str
    editable: bool
    fields: tuple[str, ...]
    services: tuple[str, ...]

    def used_for(self, service: str) -> bool:
        """Whether the template belongs to an advisory service (no list: every service)."""
        return not self.services or not service or service in self.services


@cache
def catalogue() -> dict[str, TemplateInfo]:
    """Every template, by id."""
    raw = json.loads((TEMPLATES / "catalogue.json").read_text(encoding="utf-8"))
    return {
        t["id"]: TemplateInfo(
            id=t["id"],
            name=t["name"],
            kind=t["kind"],
            editable=bool(t["editable"]),
            fields=tuple(t["fields"]),
            services=tuple(t["services"]),
        )
        for t in raw["templates"]
    }


def template_info(template_id: str) -> TemplateInfo:
    """The template with this id; INVALID_ARGUMENT naming the ones there are."""
    found = catalogue().get(template_id)
    if found is None:
        raise InvalidInput.single(
            "template", f"unknown template; one of {', '.join(sorted(catalogue()))}"
        )
    return found


def danish_date(value: date | datetime | None) -> str:
    """6. december 2026."""
    if value is None:
        return ""
    return f"{value.day}. {MONTHS[value.month - 1]} {value.year}"


@cache
def _environment(service: str) -> Environment:
    search = [str(TEMPLATES / service), str(TEMPLATES)] if service else [str(TEMPLATES)]
    env = Environment(
        loader=FileSystemLoader(search),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["danish_date"] = danish_date
    return env


@dataclass(frozen=True)
class Filling:
    """What a template is filled with besides the case's facts."""

    fields: dict[str, str] = field(default_factory=dict)
    recommendations: tuple[str, ...] = ()
    further_recommendations: str = ""
    author_line: str = ""
    annexes: tuple[str, ...] = ()
    today: date | None = None


def check_fields(info: TemplateInfo, fields: dict[str, str]) -> None:
    """Only the template's own fields, each within the limit."""
    problems = []
    for name, value in fields.items():
        if name not in info.fields:
            problems.append(
                (
                    f"fields.{name}",
                    f"not a field of {info.id}; its fields: {', '.join(info.fields)}",
                )
            )
        elif len(value) > MAX_FIELD_CHARS:
            problems.append((f"fields.{name}", f"at most {MAX_FIELD_CHARS} characters"))
    if problems:
        from services.kernel.errors import FieldViolation

        raise InvalidInput(FieldViolation(f, d) for f, d in problems)


def text_of(template_id: str, case: CaseFacts, filling: Filling, *, draft: bool) -> str:
    """The filled template as marked-up text (# title, ## heading, paragraphs)."""
    info = template_info(template_id)
    service = case.service or case.service_id
    try:
        template = _environment(service).get_template(f"{info.id}.md.j2")
    except TemplateNotFound as missing:  # pragma: no cover - the catalogue names files there are
        raise RuntimeError(f"template file missing: {missing}") from missing
    values: dict[str, Any] = {
        "case": case,
        "fields": _Fields(filling.fields),
        "recommendations": list(filling.recommendations),
        "further_recommendations": filling.further_recommendations,
        "author_line": filling.author_line,
        "annexes": list(filling.annexes),
        "today": danish_date(filling.today or date.today()),
        "service_name": SERVICE_NAMES.get(service, service),
        "draft": f" ({DRAFT_MARK})" if draft else "",
    }
    text = template.render(values)
    if draft:
        text = text.replace(
            "\n", f"\nUDKAST - dette er et {DRAFT_MARK}, ikke den endelige version\n", 1
        )
    return text


class _Fields(dict[str, str]):
    """Template fields: a missing one reads as empty."""

    def __getattr__(self, name: str) -> str:
        return self.get(name, "")


def _blocks(text: str) -> list[tuple[str, str]]:
    """(style, text) per block: "title", "heading", "item" or "body"."""
    blocks: list[tuple[str, str]] = []
    paragraph: list[str] = []

    def close() -> None:
        if paragraph:
            blocks.append(("body", "\n".join(paragraph)))
            paragraph.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            close()
        elif stripped.startswith("## "):
            close()
            blocks.append(("heading", stripped[3:]))
        elif stripped.startswith("# "):
            close()
            blocks.append(("title", stripped[2:]))
        elif stripped[:3].rstrip(".").isdigit() and ". " in stripped[:4]:
            close()
            blocks.append(("item", stripped))
        else:
            paragraph.append(stripped)
    close()
    return blocks


def to_pdf(text: str, *, title: str, annexes: tuple[bytes, ...] = ()) -> bytes:
    """A PDF of the marked-up text, followed by the pages of any PDF annexes."""
    styles = getSampleStyleSheet()
    style_of = {
        "title": styles["Title"],
        "heading": styles["Heading2"],
        "item": styles["BodyText"],
        "body": styles["BodyText"],
    }
    story: list[Any] = []
    for style, content in _blocks(text):
        story.append(Paragraph(escape(content).replace("\n", "<br/>"), style_of[style]))
        story.append(Spacer(1, 0.2 * cm))
    out = io.BytesIO()
    SimpleDocTemplate(
        out, pagesize=A4, title=title, author="VISO", leftMargin=2.5 * cm, rightMargin=2.5 * cm
    ).build(story)
    if not annexes:
        return out.getvalue()
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(out.getvalue())))
    for annex in annexes:
        writer.append(PdfReader(io.BytesIO(annex)))
    merged = io.BytesIO()
    writer.write(merged)
    return merged.getvalue()


def to_docx(text: str) -> bytes:
    """A DOCX of the marked-up text, for a specialist to edit."""
    document = DocxDocument()
    for style, content in _blocks(text):
        if style == "title":
            document.add_heading(content, level=0)
        elif style == "heading":
            document.add_heading(content, level=1)
        else:
            document.add_paragraph(content)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class Rendered:
    """A rendered template: its bytes, content type and a filename."""

    data: bytes
    content_type: str
    filename: str

    def first_version(
        self, *, file_id: str, by: str, template: str | None, now: datetime
    ) -> StoredVersion:
        """Version 1 of a document made from these bytes, stored as `file_id`."""
        return StoredVersion(
            version=1,
            file_id=file_id,
            filename=self.filename,
            content_type=self.content_type,
            size=len(self.data),
            sha256=hashlib.sha256(self.data).hexdigest(),
            created_at=now,
            created_by=by,
            template=template,
        )


def render(
    template_id: str,
    case: CaseFacts,
    filling: Filling,
    *,
    draft: bool,
    fmt: Format = "pdf",
    annex_pdfs: tuple[bytes, ...] = (),
) -> Rendered:
    """The template filled and rendered in `fmt` (DOCX only for an editable template)."""
    info = template_info(template_id)
    if fmt == "docx" and not info.editable:
        raise InvalidInput.single("format", f"{info.id} is sent as PDF; docx is for editable ones")
    text = text_of(template_id, case, filling, draft=draft)
    suffix = f"-{DRAFT_MARK}" if draft else ""
    if fmt == "docx":
        return Rendered(to_docx(text), DOCX, f"{info.id}{suffix}.docx")
    title = info.name + (f" ({DRAFT_MARK})" if draft else "")
    return Rendered(to_pdf(text, title=title, annexes=annex_pdfs), PDF, f"{info.id}{suffix}.pdf")
