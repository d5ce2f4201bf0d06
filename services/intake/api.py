"""Intake's gRPC servicer: proto in, command to handler, proto out."""

from __future__ import annotations

from typing import Any, get_args

from services.contracts.common import MainArea
from services.intake import deadline_check, handlers, queries
from services.intake.audit import access
from services.intake.commands import (
    AddSupplementaryMaterial,
    AssignInquiry,
    CheckDeadlines,
    CloseContactInquiry,
    CreateInternalCase,
    DecideOngoingCourse,
    DocumentRef,
    Person,
    ProduceDistributionList,
    RegisterContactInquiry,
    RegisterInquiry,
    UpdateInquiryDescription,
    WithdrawConsent,
)
from services.intake.cpr import Cpr
from services.intake.domain import Inquiry, code_violations
from services.intake.domain.model import Kind, Status
from services.intake.handlers import Intake
from services.intake.kas.api import KasApi
from services.intake.queries import InquiryFilter
from services.intake.reference import Item, Reference
from services.kernel.bounds import parse_day
from services.kernel.context import ROLES, SERVICE_ROLE, VISO_STAFF, require_role
from services.kernel.envelope import utcnow
from services.kernel.errors import FieldViolation, InvalidInput, echo
from services.kernel.grpc_server import Registration
from services.kernel.paging import page_size
from services.kernel.proto import parse_request, timestamp
from services.workdays.settings import CalendarSettings
from vias.intake.v1 import intake_pb2, intake_pb2_grpc, kas_pb2, kas_pb2_grpc

MAX_LIMIT = 500


def _person(person: Person | None) -> intake_pb2.Person | None:
    if person is None:
        return None
    return intake_pb2.Person(
        name=person.name, email=person.email, phone=person.phone, address=person.address
    )


def _doc(ref: DocumentRef) -> intake_pb2.DocumentRef:
    return intake_pb2.DocumentRef(
        document_id=ref.document_id, title=ref.title, media_type=ref.media_type
    )


def _citizen(inquiry: Inquiry, revealed: Cpr | None) -> intake_pb2.CitizenView | None:
    citizen = inquiry.citizen
    if citizen is None:
        return None
    return intake_pb2.CitizenView(
        name=citizen.name,
        cpr_masked=citizen.masked_cpr,
        cpr=revealed.reveal(dash=True) if revealed is not None else "",
        age_years=inquiry.citizen_age_years or 0,
        under_guardianship=citizen.under_guardianship,
        custody_holders=[p for p in map(_person, citizen.custody_holders) if p is not None],
        guardian=_person(citizen.guardian),
        attorney=_person(citizen.attorney),
        consent=intake_pb2.Consent(**citizen.consent.model_dump(exclude_none=True)),
        details=citizen.details,
        citizen_ref=citizen.cpr_hash,
    )


def to_proto(inquiry: Inquiry, revealed: Cpr | None = None) -> intake_pb2.Inquiry:
    """The wire form of an inquiry; the CPR only masked unless `revealed` is given."""
    message = intake_pb2.Inquiry(
        inquiry_id=inquiry.id,
        version=inquiry.version,
        status=inquiry.status,
        inquirer_name=inquiry.inquirer_name,
        main_area=inquiry.main_area,
        citizen_name=inquiry.citizen_name,
        description=inquiry.description,
        registered_at=timestamp(inquiry.registered_at),
        registered_by=inquiry.registered_by,
        consultant_id=inquiry.consultant_id or "",
        distributed_on=inquiry.distributed_on.isoformat() if inquiry.distributed_on else "",
        kind=inquiry.kind,
        inquirer=intake_pb2.InquirerDetails(**inquiry.inquirer.model_dump())
        if inquiry.inquirer
        else None,
        requested_service=inquiry.requested_service or "",
        citizen=_citizen(inquiry, revealed),
        target_groups=inquiry.target_groups,
        attachments=[_doc(d) for d in inquiry.attachments],
        shared_information=inquiry.shared_information,
        family_group_id=inquiry.family_group_id or "",
        family_inquiry_ids=inquiry.family_inquiry_ids,
        distribution_date=inquiry.distribution_date.isoformat()
        if inquiry.distribution_date
        else "",
        ongoing_inquiry_id=inquiry.held_for.ongoing_inquiry_id if inquiry.held_for else "",
        held_for_consultant_id=inquiry.held_for.consultant_id if inquiry.held_for else "",
        journaled_on=inquiry.journaled_on or "",
        case_type=inquiry.case_type or "",
        case_name=inquiry.case_name or "",
        delivery_type=inquiry.delivery_type or "",
        supplier_id=inquiry.supplier_id or "",
        theme_id=inquiry.theme_id or "",
        origin_inquiry_id=inquiry.origin_inquiry_id or "",
        outcome=inquiry.outcome or "",
        referred_to=inquiry.referred_to,
        closed_at=timestamp(inquiry.closed_at) if inquiry.closed_at else None,
        supplements=[
            intake_pb2.Supplement(
                documents=[_doc(d) for d in s.documents],
                received_via=s.received_via,
                note=s.note,
                received_at=timestamp(s.received_at),
                from_inquiry_id=s.from_inquiry_id or "",
            )
            for s in inquiry.supplements
        ],
        notes=[
            intake_pb2.Note(text=n.text, added_at=timestamp(n.added_at), added_by=n.added_by)
            for n in inquiry.notes
        ],
        stopped_at=timestamp(inquiry.stopped_at) if inquiry.stopped_at else None,
        party_representative=_person(inquiry.party_representative),
        management_approved=inquiry.management_approved,
        consultant_name=inquiry.consultant_name,
        course_ended_at=timestamp(inquiry.course_ended_at) if inquiry.course_ended_at else None,
        course_end_reason=inquiry.course_end_reason,
    )
    form = inquiry.form_deadline
    if form is not None:
        message.form_due = form.due.isoformat()
        message.form_due_explanation = form.explanation
        message.form_met_on = form.met_on.isoformat() if form.met_on else ""
        message.extended_case_id = form.case_id or ""
        message.form_deadline_state = form.state
    return message


def parse_filter(request: Any, ref: Reference) -> InquiryFilter:
    """The listing filter of a ListInquiriesRequest; an unknown code is named, not matched."""
    bad: list[FieldViolation] = []
    start = parse_day(request.registered_from, "registered_from", bad)
    end = parse_day(request.registered_to, "registered_to", bad)
    if start and end and end < start:
        bad.append(FieldViolation("registered_to", "before registered_from"))
    if not 0 <= request.limit <= MAX_LIMIT:
        bad.append(FieldViolation("limit", f"must be between 0 and {MAX_LIMIT}"))
    codes = {
        "status": (request.status, frozenset(get_args(Status))),
        "kind": (request.kind, frozenset(get_args(Kind))),
        "main_area": (request.main_area, frozenset(get_args(MainArea))),
        "requested_service": (request.requested_service, Reference.ids(ref.services)),
    }
    for name, (value, known) in codes.items():
        if value and value not in known:
            bad.append(FieldViolation(name, f"unknown value {echo(value)}"))
    if request.municipality_code and ref.municipality(request.municipality_code) is None:
        bad.append(FieldViolation("municipality_code", "not a Danish municipality code"))
    if bad:
        raise InvalidInput(bad)
    return InquiryFilter(
        status=request.status,
        main_area=request.main_area,
        requested_service=request.requested_service,
        kind=request.kind,
        consultant_id=request.consultant_id,
        family_group_id=request.family_group_id,
        registered_from=start,
        registered_to=end,
        cpr=request.cpr,
        text=request.text,
        municipality_code=request.municipality_code,
        held_for_consultant_id=request.held_for_consultant_id,
        limit=page_size(request.page_size or request.limit),
        page_token=request.page_token,
    )


def _code_lists(ref: Reference) -> intake_pb2.ReferenceData:
    def items(values: tuple[Item, ...]) -> list[intake_pb2.CodeItem]:
        return [intake_pb2.CodeItem(id=i.id, name=i.name_da) for i in values]

    lists = {
        "main_areas": items(ref.main_areas),
        "inquirer_types": items(ref.inquirer_types),
        "services": items(ref.services),
        "target_groups": items(ref.target_groups),
        "municipalities": [
            intake_pb2.CodeItem(id=m.code, name=m.name)
            for m in (*ref.municipalities, ref.municipality_not_stated)
        ],
        "channels": items(ref.channels),
        "legal_areas": items(ref.legal_areas),
        "themes": items(ref.themes),
        "kas_inquirer_profiles": items(ref.kas.inquirer_profiles),
        "kas_handlings": items(ref.kas.handlings),
        "kas_problem_areas": items(ref.kas.problem_areas),
        "kas_classifications": items(ref.kas.classifications),
        "kas_closed_with": items(ref.kas.closed_with),
        "kas_closing_reasons": items(ref.kas.closing_reasons),
    }
    for theme in ref.themes:
        lists[f"theme_suppliers.{theme.id}"] = [
            intake_pb2.CodeItem(id=supplier_id, name=supplier_id)
            for supplier_id in theme.eligible_suppliers
        ]
    return intake_pb2.ReferenceData(
        lists=[intake_pb2.CodeList(name=name, items=values) for name, values in lists.items()]
    )


def _register_command(request: Any, ref: Reference) -> RegisterInquiry:
    """The form as a command; when a field is malformed, unknown codes are named with it."""
    try:
        return parse_request(RegisterInquiry, request)
    except InvalidInput as invalid:
        named = frozenset(v.field for v in invalid.violations)
        codes = code_violations(
            ref,
            inquirer_type=request.inquirer.type,
            municipality_code=request.inquirer.municipality_code,
            requested_service=request.requested_service,
            target_groups=list(request.target_groups),
            already_named=named,
        )
        if not codes:
            raise
        raise InvalidInput([*invalid.violations, *codes]) from None


class IntakeApi(intake_pb2_grpc.IntakeServiceServicer):
    """IntakeService over the intake handlers."""

    def __init__(self, app: Intake) -> None:
        self.app = app

    async def RegisterInquiry(self, request: Any, context: Any) -> intake_pb2.Inquiry:
        principal = require_role(*VISO_STAFF)
        command = _register_command(request, self.app.ref)
        seen = access(principal, "RegisterInquiry", command.purpose)
        return to_proto(await handlers.register_inquiry(command, app=self.app, access=seen))

    async def AssignInquiry(self, request: Any, context: Any) -> intake_pb2.Inquiry:
        principal = require_role("support", "manager")
        command = parse_request(AssignInquiry, request)
        seen = access(principal, "AssignInquiry", command.purpose)
        return to_proto(await handlers.assign_inquiry(command, app=self.app, access=seen))

    async def GetInquiry(self, request: Any, context: Any) -> intake_pb2.Inquiry:
        principal = require_role(*VISO_STAFF)
        if not request.inquiry_id.strip():
            raise InvalidInput.single("inquiry_id", "required")
        inquiry, revealed = await queries.get_inquiry(
            request.inquiry_id,
            app=self.app,
            access=access(principal, "GetInquiry", request.purpose),
            reveal=request.reveal_cpr,
        )
        return to_proto(inquiry, revealed)

    async def RevealCitizenCpr(
        self, request: Any, context: Any
    ) -> intake_pb2.RevealCitizenCprResponse:
        principal = require_role(SERVICE_ROLE)
        if not request.inquiry_id.strip():
            raise InvalidInput.single("inquiry_id", "required")
        cpr, citizen_ref = await queries.reveal_for_delivery(
            request.inquiry_id,
            app=self.app,
            access=access(principal, "RevealCitizenCpr", request.purpose),
        )
        return intake_pb2.RevealCitizenCprResponse(cpr=cpr, citizen_ref=citizen_ref)

    async def UpdateInquiryDescription(self, request: Any, context: Any) -> intake_pb2.Inquiry:
        principal = require_role(*VISO_STAFF)
        command = parse_request(UpdateInquiryDescription, request)
        seen = access(principal, "UpdateInquiryDescription", command.purpose)
        return to_proto(await handlers.update_description(command, app=self.app, access=seen))

    async def ListInquiries(self, request: Any, context: Any) -> intake_pb2.ListInquiriesResponse:
        return await self._list("ListInquiries", request)

    async def SearchInquiries(self, request: Any, context: Any) -> intake_pb2.ListInquiriesResponse:
        return await self._list("SearchInquiries", request)

    async def _list(self, call: str, request: Any) -> intake_pb2.ListInquiriesResponse:
        principal = require_role(*VISO_STAFF)
        seen = access(principal, call, request.purpose)
        found, following = await queries.list_inquiries(
            parse_filter(request, self.app.ref), app=self.app, access=seen
        )
        return intake_pb2.ListInquiriesResponse(
            inquiries=[to_proto(i) for i in found], next_page_token=following
        )

    async def RegisterContactInquiry(self, request: Any, context: Any) -> intake_pb2.Inquiry:
        principal = require_role(*VISO_STAFF)
        command = parse_request(RegisterContactInquiry, request)
        return to_proto(await handlers.register_contact(command, app=self.app, principal=principal))

    async def CloseContactInquiry(self, request: Any, context: Any) -> intake_pb2.Inquiry:
        require_role(*VISO_STAFF)
        command = parse_request(CloseContactInquiry, request)
        return to_proto(await handlers.close_contact(command, app=self.app))

    async def CreateInternalCase(self, request: Any, context: Any) -> intake_pb2.Inquiry:
        principal = require_role("support", "manager")
        command = parse_request(CreateInternalCase, request)
        seen = access(principal, "CreateInternalCase", "")
        return to_proto(await handlers.create_internal(command, app=self.app, access=seen))

    async def AddSupplementaryMaterial(self, request: Any, context: Any) -> intake_pb2.Inquiry:
        principal = require_role(*VISO_STAFF)
        command = parse_request(AddSupplementaryMaterial, request)
        seen = access(principal, "AddSupplementaryMaterial", command.purpose)
        return to_proto(await handlers.add_supplement(command, app=self.app, access=seen))

    async def DecideOngoingCourse(self, request: Any, context: Any) -> intake_pb2.Inquiry:
        principal = require_role("consultant", "manager")
        command = parse_request(DecideOngoingCourse, request)
        seen = access(principal, "DecideOngoingCourse", command.purpose)
        return to_proto(await handlers.decide_ongoing_course(command, app=self.app, access=seen))

    async def WithdrawConsent(self, request: Any, context: Any) -> intake_pb2.Inquiry:
        principal = require_role(*VISO_STAFF)
        command = parse_request(WithdrawConsent, request)
        seen = access(principal, "WithdrawConsent", command.purpose)
        return to_proto(await handlers.withdraw_consent(command, app=self.app, access=seen))

    async def ProduceDistributionList(
        self, request: Any, context: Any
    ) -> intake_pb2.DistributionList:
        principal = require_role("support", "manager")
        command = parse_request(ProduceDistributionList, request)
        list_id, waiting = await handlers.produce_distribution_list(
            command,
            app=self.app,
            access=access(principal, "ProduceDistributionList", command.purpose),
        )
        return intake_pb2.DistributionList(
            list_id=list_id,
            list_date=command.list_date.isoformat(),
            inquiries=[to_proto(i) for i in waiting],
        )

    async def ListAuditTrail(self, request: Any, context: Any) -> intake_pb2.ListAuditTrailResponse:
        require_role("manager")
        if not 0 <= request.limit <= MAX_LIMIT:
            raise InvalidInput.single("limit", f"must be between 0 and {MAX_LIMIT}")
        records, following = await queries.audit_trail(
            app=self.app,
            inquiry_id=request.inquiry_id,
            user_id=request.user_id,
            size=page_size(request.page_size or request.limit),
            token=request.page_token,
        )
        return intake_pb2.ListAuditTrailResponse(
            next_page_token=following,
            records=[
                intake_pb2.AuditRecord(
                    user_id=r["user_id"],
                    role=r["role"],
                    at=timestamp(r["at"]),
                    inquiry_id=r["inquiry_id"],
                    citizen_ref=r.get("citizen_ref") or "",
                    action=r["action"],
                    purpose=r["purpose"],
                    call=r.get("call") or "",
                    subject=r.get("subject") or "inquiry",
                    kas_number=r.get("kas_number") or "",
                    supplier_id=r.get("supplier_id") or "",
                )
                for r in records
            ],
        )

    async def GetReferenceData(self, request: Any, context: Any) -> intake_pb2.ReferenceData:
        require_role(*ROLES)
        return _code_lists(self.app.ref)

    async def CheckDeadlines(self, request: Any, context: Any) -> intake_pb2.CheckDeadlinesResponse:
        require_role("manager")
        command = parse_request(CheckDeadlines, request, as_of=request.as_of or None)
        moment = deadline_check.check_moment(
            command.as_of,
            now=utcnow(),
            max_days_ahead=CalendarSettings().deadline_check_max_days_ahead,
        )
        reported = await deadline_check.check_form_deadlines(
            self.app, now=moment, inquiry_id=command.case_id
        )
        return intake_pb2.CheckDeadlinesResponse(reported_missed=reported)


def registrations(app: Intake) -> list[Registration]:
    """The servicers intake serves."""
    return [
        (
            intake_pb2_grpc.add_IntakeServiceServicer_to_server,
            IntakeApi(app),
            intake_pb2.DESCRIPTOR.services_by_name["IntakeService"].full_name,
        ),
        (
            kas_pb2_grpc.add_KasServiceServicer_to_server,
            KasApi(app),
            kas_pb2.DESCRIPTOR.services_by_name["KasService"].full_name,
        ),
    ]
