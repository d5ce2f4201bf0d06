"""KasService over the KaS handlers: proto in, command to handler, proto out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, get_args

from google.protobuf.json_format import MessageToDict
from pydantic import ValidationError

from services.intake.audit import access
from services.intake.domain.deadlines import danish_date
from services.intake.kas import handlers, model
from services.intake.kas.extracts import (
    CSV_MEDIA_TYPE,
    EXTRACTS,
    XLSX_MEDIA_TYPE,
    to_csv,
    to_xlsx,
)
from services.intake.kas.model import (
    NOT_STATED,
    CloseKasCourse,
    KasForm,
    KasRegistration,
    KasStatus,
    SaveKasRegistration,
)
from services.intake.reference import Reference
from services.kernel.bounds import parse_day
from services.kernel.context import VISO_STAFF, require_role
from services.kernel.envelope import utcnow
from services.kernel.errors import FieldViolation, InvalidInput, echo
from services.kernel.paging import page_size
from services.kernel.proto import parse_request, timestamp
from vias.intake.v1 import kas_pb2, kas_pb2_grpc

if TYPE_CHECKING:
    from services.intake.handlers import Intake

READERS = ("kas_supplier", *VISO_STAFF)
MAX_LIMIT = 1000
VIEWS = ("my_ongoing", "my_closed", "my_inquiries", "search")


def _form(form: KasForm) -> kas_pb2.KasForm:
    values = form.model_dump()
    values["inquiry_date"] = form.inquiry_date.isoformat() if form.inquiry_date else ""
    return kas_pb2.KasForm(**values)


def to_proto(r: KasRegistration) -> kas_pb2.KasRegistration:
    """The wire form of a registration."""
    return kas_pb2.KasRegistration(
        registration_id=r.id,
        version=r.version,
        kas_number=r.kas_number,
        supplier_id=r.supplier_id,
        registered_by=r.registered_by,
        registered_at=timestamp(r.registered_at),
        status=r.status,
        form=_form(r.form),
        clarifying_meeting_date=r.clarifying_meeting_date.isoformat()
        if r.clarifying_meeting_date
        else "",
        closing_date=r.closing_date.isoformat() if r.closing_date else "",
        closing_reason=r.closing_reason,
        duration_months=r.duration_months or 0,
    )


def _code_violations(request: Any, ref: Reference) -> list[FieldViolation]:
    """Filters naming a code the KaS lists do not have: named, not quietly matched."""
    lists = ref.kas
    codes = {
        "status": (request.status, frozenset(get_args(KasStatus))),
        "handling": (request.handling, Reference.ids(lists.handlings)),
        "channel": (request.channel, Reference.ids(ref.channels)),
        "inquirer_profile": (request.inquirer_profile, Reference.ids(lists.inquirer_profiles)),
        "legal_area": (request.legal_area, Reference.ids(ref.legal_areas)),
        "problem_area": (request.problem_area, Reference.ids(lists.problem_areas)),
        "classification": (request.classification, Reference.ids(lists.classifications)),
    }
    bad = [
        FieldViolation(name, f"unknown value {echo(value)}")
        for name, (value, known) in codes.items()
        if value and value not in known
    ]
    code = request.municipality_code
    if code and code != NOT_STATED and ref.municipality(code) is None:
        bad.append(FieldViolation("municipality_code", "not a Danish municipality code"))
    return bad


def _query(request: Any, ref: Reference) -> handlers.KasQuery:
    bad: list[FieldViolation] = _code_violations(request, ref)
    view = request.view or "search"
    if view not in VIEWS:
        bad.append(FieldViolation("view", f"one of {', '.join(VIEWS)}"))
    if request.group_case not in ("", "yes", "no"):
        bad.append(FieldViolation("group_case", 'one of "yes", "no" or empty'))
    if not 0 <= request.limit <= MAX_LIMIT:
        bad.append(FieldViolation("limit", f"must be between 0 and {MAX_LIMIT}"))
    start = parse_day(request.inquiry_date_from, "inquiry_date_from", bad)
    end = parse_day(request.inquiry_date_to, "inquiry_date_to", bad)
    if start and end and end < start:
        bad.append(FieldViolation("inquiry_date_to", "before inquiry_date_from"))
    if bad:
        raise InvalidInput(bad)
    return handlers.KasQuery(
        view=view,
        kas_number=request.kas_number,
        status=request.status,
        handling=request.handling,
        channel=request.channel,
        inquirer_profile=request.inquirer_profile,
        municipality_code=request.municipality_code,
        legal_area=request.legal_area,
        kas_specialist_id=request.kas_specialist_id,
        registered_by=request.registered_by,
        problem_area=request.problem_area,
        classification=request.classification,
        group_case=None if not request.group_case else request.group_case == "yes",
        date_from=start,
        date_to=end,
        text=request.text,
        supplier_id=request.supplier_id,
        limit=page_size(request.page_size or request.limit),
        page_token=request.page_token,
    )


def _save_command(request: Any, ref: Reference) -> SaveKasRegistration:
    """The save request as a command; when a field is malformed (a date like 2026-02-30), the
    form's rules still run on the rest, so every bad field is named in one reply."""
    try:
        return parse_request(SaveKasRegistration, request)
    except InvalidInput as invalid:
        named = {v.field for v in invalid.violations}
        values = MessageToDict(
            request.form,
            preserving_proto_field_name=True,
            always_print_fields_with_no_presence=True,
        )
        for name in named:
            head, _, rest = name.partition(".")
            if head == "form" and rest:
                values.pop(rest.split(".")[0], None)
        try:
            form = KasForm.model_validate(values)
        except ValidationError:
            raise invalid from None
        rules = model.form_violations(
            form, ref=ref, complete=request.complete, today=danish_date(utcnow())
        )
        more = [v for v in rules if v.field not in named]
        if not more:
            raise
        raise InvalidInput([*invalid.violations, *more]) from None


class KasApi(kas_pb2_grpc.KasServiceServicer):
    """KaS registrations, views and extracts."""

    def __init__(self, app: Intake) -> None:
        self.app = app

    async def SaveKasRegistration(self, request: Any, context: Any) -> kas_pb2.KasRegistration:
        principal = require_role("kas_supplier")
        command = _save_command(request, self.app.ref)
        seen = access(principal, "SaveKasRegistration", command.purpose)
        saved = await handlers.save(command, store=self.app.store, ref=self.app.ref, access=seen)
        return to_proto(saved)

    async def CloseKasCourse(self, request: Any, context: Any) -> kas_pb2.KasRegistration:
        principal = require_role("kas_supplier")
        command = parse_request(CloseKasCourse, request)
        seen = access(principal, "CloseKasCourse", command.purpose)
        closed = await handlers.close_course(
            command, store=self.app.store, ref=self.app.ref, access=seen
        )
        return to_proto(closed)

    async def GetKasRegistration(self, request: Any, context: Any) -> kas_pb2.KasRegistration:
        principal = require_role(*READERS)
        if not request.registration_id.strip():
            raise InvalidInput.single("registration_id", "required")
        seen = access(principal, "GetKasRegistration", request.purpose)
        found = await handlers.get(request.registration_id, store=self.app.store, access=seen)
        return to_proto(found)

    async def ListKasRegistrations(
        self, request: Any, context: Any
    ) -> kas_pb2.ListKasRegistrationsResponse:
        principal = require_role(*READERS)
        seen = access(principal, "ListKasRegistrations", request.purpose)
        found, following = await handlers.find(
            _query(request, self.app.ref), store=self.app.store, ref=self.app.ref, access=seen
        )
        return kas_pb2.ListKasRegistrationsResponse(
            registrations=[to_proto(r) for r in found], next_page_token=following
        )

    async def ExportKasExtract(self, request: Any, context: Any) -> kas_pb2.KasExtract:
        principal = require_role(*READERS)
        bad: list[FieldViolation] = []
        if request.extract not in EXTRACTS:
            bad.append(FieldViolation("extract", f"one of {', '.join(EXTRACTS)}"))
        if request.format not in ("csv", "xlsx"):
            bad.append(FieldViolation("format", 'one of "csv", "xlsx"'))
        start = parse_day(request.period_from, "period_from", bad, required=True)
        end = parse_day(request.period_to, "period_to", bad, required=True)
        if start and end and end < start:
            bad.append(FieldViolation("period_to", "before period_from"))
        if bad or start is None or end is None:
            raise InvalidInput(bad)
        table = await handlers.extract(
            request.extract,
            period_from=start,
            period_to=end,
            supplier_id=request.supplier_id,
            store=self.app.store,
            ref=self.app.ref,
            principal=principal,
        )
        xlsx = request.format == "xlsx"
        return kas_pb2.KasExtract(
            extract=request.extract,
            format=request.format,
            filename=f"kas-{request.extract}-{start}-{end}.{request.format}",
            media_type=XLSX_MEDIA_TYPE if xlsx else CSV_MEDIA_TYPE,
            content=to_xlsx(table) if xlsx else to_csv(table),
            row_count=len(table.rows),
        )
