"""Visitation's gRPC servicer: proto in, command to handler, proto out."""

from __future__ import annotations

from typing import Any

from services.kernel.context import ROLES, VISO_STAFF, require_role
from services.kernel.errors import FieldViolation, InvalidInput
from services.kernel.grpc_server import Registration
from services.kernel.paging import MAX_PAGE_SIZE, page_size
from services.kernel.proto import parse_request
from services.visitation import deadline_check, handlers, queries
from services.visitation.catalog import ALL_MAIN_AREAS
from services.visitation.commands import (
    AnswerOffer,
    CheckDeadlines,
    CloseCase,
    CloseWithAdvice,
    DeclareOutsideScope,
    Estimate,
    MoveDeadline,
    OfferToSupplier,
    ProceedWithService,
    RecordCentralClarifyingMeeting,
    RecordClarifyingMeeting,
    RecordFirstContact,
    RecordInformation,
    RecordInquirerContact,
    RecordSummaryNote,
    RecordSupplierContact,
    ReferElsewhere,
)
from services.visitation.domain.model import CASE_STATUSES, OFFER_STATUSES
from services.visitation.domain.offers import estimate_figures
from services.visitation.handlers import Visitation
from services.visitation.wire import (
    case_to_proto,
    offer_to_proto,
    ranking_to_proto,
    service_to_proto,
)
from vias.visitation.v1 import visitation_pb2 as pb
from vias.visitation.v1 import visitation_pb2_grpc

CONSULTANT = ("consultant", "manager")
SUPPLIER_STAFF = ("specialist", "supplier_admin")
MEETING_ROLES = (*SUPPLIER_STAFF, *CONSULTANT)


def _paging_violations(request: Any) -> list[FieldViolation]:
    """What is wrong with a list request's page size and its deprecated alias `limit`."""
    violations = []
    if not 0 <= request.limit <= MAX_PAGE_SIZE:
        violations.append(FieldViolation("limit", f"must be between 0 and {MAX_PAGE_SIZE}"))
    if request.page_size < 0:
        violations.append(FieldViolation("page_size", "must not be negative"))
    return violations


def _page_size(request: Any) -> int:
    """The page size asked for (`limit` when page_size is 0), within the kernel's bounds."""
    return page_size(request.page_size or request.limit)


def _one_of(field: str, value: str, allowed: tuple[str, ...]) -> list[FieldViolation]:
    """A violation when a filter names a value that cannot exist."""
    if value and value not in allowed:
        return [FieldViolation(field, f"must be one of {', '.join(allowed)}")]
    return []


def _required(**ids: str) -> None:
    """INVALID_ARGUMENT naming every id left empty (a read by an empty id is a client mistake)."""
    if violations := [FieldViolation(name, "required") for name, v in ids.items() if not v.strip()]:
        raise InvalidInput(violations)


class VisitationApi(visitation_pb2_grpc.VisitationServiceServicer):
    """VisitationService over the visitation handlers."""

    def __init__(self, env: Visitation) -> None:
        self.env = env

    async def GetCase(self, request: Any, context: Any) -> pb.VisitationCase:
        principal = require_role(*ROLES)
        _required(case_id=request.case_id)
        return case_to_proto(await queries.get_case(self.env, request.case_id, principal))

    async def GetCaseByInquiry(self, request: Any, context: Any) -> pb.VisitationCase:
        principal = require_role(*ROLES)
        _required(inquiry_id=request.inquiry_id)
        case = await queries.get_case_by_inquiry(self.env, request.inquiry_id, principal)
        return case_to_proto(case)

    async def SearchCases(self, request: Any, context: Any) -> pb.SearchCasesResponse:
        principal = require_role(*ROLES)
        violations = (
            _one_of("status", request.status, CASE_STATUSES)
            + _one_of("main_area", request.main_area, ALL_MAIN_AREAS)
            + _paging_violations(request)
        )
        if violations:
            raise InvalidInput(violations)
        filters = {
            "status": request.status,
            "consultant_id": request.consultant_id,
            "main_area": request.main_area,
            "service_id": request.service_id,
            "supplier_id": request.supplier_id,
        }
        found, following = await queries.search_cases(
            self.env, filters, principal, size=_page_size(request), token=request.page_token
        )
        return pb.SearchCasesResponse(
            cases=[case_to_proto(c) for c in found], next_page_token=following
        )

    async def ListAdvisoryServices(
        self, request: Any, context: Any
    ) -> pb.ListAdvisoryServicesResponse:
        require_role(*ROLES)
        catalog = self.env.catalog
        return pb.ListAdvisoryServicesResponse(
            services=[service_to_proto(s) for s in catalog.services],
            complaint_guidance=catalog.complaint_guidance,
        )

    async def RecordFirstContact(self, request: Any, context: Any) -> pb.VisitationCase:
        require_role(*CONSULTANT)
        command = parse_request(RecordFirstContact, request)
        return case_to_proto(await handlers.record_first_contact(self.env, command))

    async def RecordSupplierContact(self, request: Any, context: Any) -> pb.VisitationCase:
        principal = require_role(*CONSULTANT)
        command = parse_request(RecordSupplierContact, request)
        return case_to_proto(await handlers.record_supplier_contact(self.env, command, principal))

    async def RecordInformation(self, request: Any, context: Any) -> pb.VisitationCase:
        principal = require_role(*CONSULTANT)
        command = parse_request(RecordInformation, request)
        return case_to_proto(await handlers.record_information(self.env, command, principal))

    async def CloseWithAdvice(self, request: Any, context: Any) -> pb.VisitationCase:
        principal = require_role(*CONSULTANT)
        command = parse_request(CloseWithAdvice, request)
        return case_to_proto(await handlers.close_with_advice(self.env, command, principal))

    async def ReferElsewhere(self, request: Any, context: Any) -> pb.VisitationCase:
        principal = require_role(*CONSULTANT)
        command = parse_request(ReferElsewhere, request)
        return case_to_proto(await handlers.refer_elsewhere(self.env, command, principal))

    async def DeclareOutsideScope(self, request: Any, context: Any) -> pb.VisitationCase:
        principal = require_role(*CONSULTANT)
        command = parse_request(DeclareOutsideScope, request)
        return case_to_proto(await handlers.declare_outside_scope(self.env, command, principal))

    async def ProceedWithService(self, request: Any, context: Any) -> pb.VisitationCase:
        principal = require_role(*CONSULTANT)
        command = parse_request(
            ProceedWithService, request, target_groups=list(request.target_groups) or None
        )
        return case_to_proto(await handlers.proceed_with_service(self.env, command, principal))

    async def CloseCase(self, request: Any, context: Any) -> pb.VisitationCase:
        require_role(*CONSULTANT)
        command = parse_request(CloseCase, request)
        return case_to_proto(await handlers.close_case(self.env, command))

    async def RecordCentralClarifyingMeeting(self, request: Any, context: Any) -> pb.VisitationCase:
        principal = require_role(*CONSULTANT)
        command = parse_request(RecordCentralClarifyingMeeting, request)
        case = await handlers.record_central_clarifying_meeting(self.env, command, principal)
        return case_to_proto(case)

    async def MoveDeadline(self, request: Any, context: Any) -> pb.VisitationCase:
        principal = require_role(*CONSULTANT)
        command = parse_request(MoveDeadline, request)
        return case_to_proto(await handlers.move_deadline(self.env, command, principal))

    async def RankSuppliers(self, request: Any, context: Any) -> pb.RankSuppliersResponse:
        require_role(*VISO_STAFF)
        _required(case_id=request.case_id)
        try:
            estimate = parse_request(Estimate, request.estimate)
        except InvalidInput as error:
            raise InvalidInput(
                FieldViolation(f"estimate.{v.field}", v.description) for v in error.violations
            ) from error
        _, ranking = await queries.rank(self.env, request.case_id, estimate)
        return ranking_to_proto(ranking, estimate_figures(estimate, self.env.catalog))

    async def OfferToSupplier(self, request: Any, context: Any) -> pb.Offer:
        principal = require_role(*CONSULTANT)
        command = parse_request(OfferToSupplier, request)
        case, offer = await handlers.offer_to_supplier(self.env, command, principal)
        return offer_to_proto(case, offer)

    async def GetOffer(self, request: Any, context: Any) -> pb.Offer:
        principal = require_role(*ROLES)
        _required(offer_id=request.offer_id)
        case, offer = await queries.get_offer(self.env, request.offer_id, principal)
        return offer_to_proto(case, offer)

    async def ListOffers(self, request: Any, context: Any) -> pb.ListOffersResponse:
        principal = require_role(*ROLES)
        violations = _one_of("status", request.status, OFFER_STATUSES)
        if violations := violations + _paging_violations(request):
            raise InvalidInput(violations)
        found, following = await queries.list_offers(
            self.env,
            principal,
            case_id=request.case_id,
            status=request.status,
            size=_page_size(request),
            token=request.page_token,
        )
        return pb.ListOffersResponse(
            offers=[offer_to_proto(c, o) for c, o in found], next_page_token=following
        )

    async def AnswerOffer(self, request: Any, context: Any) -> pb.Offer:
        principal = require_role(*SUPPLIER_STAFF)
        command = parse_request(AnswerOffer, request)
        case, offer = await handlers.answer_offer(self.env, command, principal)
        return offer_to_proto(case, offer)

    async def RecordInquirerContact(self, request: Any, context: Any) -> pb.Offer:
        principal = require_role(*MEETING_ROLES)
        command = parse_request(RecordInquirerContact, request)
        case, offer = await handlers.record_inquirer_contact(self.env, command, principal)
        return offer_to_proto(case, offer)

    async def RecordClarifyingMeeting(self, request: Any, context: Any) -> pb.Offer:
        principal = require_role(*MEETING_ROLES)
        command = parse_request(RecordClarifyingMeeting, request)
        case, offer = await handlers.record_clarifying_meeting(self.env, command, principal)
        return offer_to_proto(case, offer)

    async def RecordSummaryNote(self, request: Any, context: Any) -> pb.Offer:
        principal = require_role(*MEETING_ROLES)
        command = parse_request(RecordSummaryNote, request)
        case, offer = await handlers.record_summary_note(self.env, command, principal)
        return offer_to_proto(case, offer)

    async def CheckDeadlines(self, request: Any, context: Any) -> pb.CheckDeadlinesResponse:
        require_role("manager")
        command = parse_request(CheckDeadlines, request, as_of=request.as_of or None)
        reported = await deadline_check.check_deadlines(
            self.env, as_of=command.as_of, case_id=command.case_id
        )
        return pb.CheckDeadlinesResponse(reported_missed=reported)


def registrations(env: Visitation) -> list[Registration]:
    """The servicers visitation serves."""
    return [
        (
            visitation_pb2_grpc.add_VisitationServiceServicer_to_server,
            VisitationApi(env),
            pb.DESCRIPTOR.services_by_name["VisitationService"].full_name,
        )
    ]
