"""Leverance's gRPC servicer: request to command, handler, reply; rules live in the domain."""

from __future__ import annotations

from typing import Any

from services.kernel.bounds import check_year
from services.kernel.context import ROLES, VISO_STAFF, require_role
from services.kernel.envelope import utcnow
from services.kernel.errors import InvalidInput
from services.kernel.grpc_server import Registration
from services.kernel.paging import MAX_PAGE_SIZE, page_size
from services.kernel.proto import parse_request, timestamp
from services.kernel.store import MongoStore
from services.leverance import commands
from services.leverance.api import convert
from services.leverance.handlers import (
    cases,
    central,
    courses,
    deadline_check,
    deliveries,
    money,
    suppliers,
)
from services.leverance.handlers.base import today
from services.leverance.managers import DirectoryManagers
from services.leverance.settings import LeveranceSettings
from services.workdays import WorkingDayCalendar
from services.workdays.settings import CalendarSettings, check_day
from vias.leverance.v1 import leverance_pb2 as pb
from vias.leverance.v1 import leverance_pb2_grpc

SPECIALISTS = ("specialist", "kas_supplier")
CASE_ROLES = ("consultant", "manager", "support", *SPECIALISTS, "supplier_admin")


def _page_size(request: Any) -> int:
    """A list request's page size; its deprecated alias `limit` is used when page_size is 0."""
    if not 0 <= request.limit <= MAX_PAGE_SIZE:
        raise InvalidInput.single("limit", f"must be between 0 and {MAX_PAGE_SIZE}")
    return page_size(request.page_size or request.limit)


class LeveranceApi(leverance_pb2_grpc.LeveranceServiceServicer):
    """LeveranceService over the leverance handlers."""

    def __init__(
        self,
        store: MongoStore,
        settings: LeveranceSettings,
        calendar: WorkingDayCalendar,
        managers: DirectoryManagers,
    ) -> None:
        self.store = store
        self.settings = settings
        self.calendar = calendar
        self.managers = managers

    async def GetCaseReference(self, request: Any, context: Any) -> pb.CaseReference:
        require_role(*VISO_STAFF)
        ref = await cases.get_case_reference(request.case_id, store=self.store)
        return pb.CaseReference(
            case_id=ref.id,
            inquiry_id=ref.inquiry_id,
            main_area=ref.main_area,
            consultant_id=ref.consultant_id,
            opened_at=timestamp(ref.opened_at),
        )

    # --- suppliers ---

    async def SaveSupplier(self, request: Any, context: Any) -> pb.Supplier:
        require_role(*VISO_STAFF)
        command = parse_request(commands.SaveSupplier, request)
        return convert.supplier(await suppliers.save_supplier(command, store=self.store))

    async def SetContract(self, request: Any, context: Any) -> pb.Supplier:
        principal = require_role(*VISO_STAFF)
        command = parse_request(commands.SetContract, request)
        found = await suppliers.set_contract(command, store=self.store, principal=principal)
        return convert.supplier(found)

    async def RemoveContract(self, request: Any, context: Any) -> pb.Supplier:
        principal = require_role(*VISO_STAFF)
        command = parse_request(commands.RemoveContract, request)
        found = await suppliers.remove_contract(command, store=self.store, principal=principal)
        return convert.supplier(found)

    async def SetSpecialist(self, request: Any, context: Any) -> pb.Supplier:
        principal = require_role(*VISO_STAFF, "supplier_admin")
        command = parse_request(commands.SetSpecialist, request)
        found = await suppliers.set_specialist(command, store=self.store, principal=principal)
        return convert.supplier(found)

    async def GetSupplier(self, request: Any, context: Any) -> pb.Supplier:
        principal = require_role(*ROLES)
        found = await suppliers.get_supplier(
            request.supplier_id, store=self.store, principal=principal
        )
        return convert.supplier(found)

    async def ListSuppliers(self, request: Any, context: Any) -> pb.ListSuppliersResponse:
        require_role(*VISO_STAFF)
        found, following = await suppliers.list_suppliers(
            store=self.store, size=_page_size(request), token=request.page_token
        )
        return pb.ListSuppliersResponse(
            suppliers=[convert.supplier(s) for s in found], next_page_token=following
        )

    async def ImportSuppliers(self, request: Any, context: Any) -> pb.ImportSuppliersResponse:
        require_role(*VISO_STAFF)
        command = parse_request(commands.ImportSuppliers, request)
        result = await suppliers.import_suppliers(command, store=self.store)
        return pb.ImportSuppliersResponse(
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            supplier_ids=result.supplier_ids,
        )

    # --- courses ---

    async def GetCourse(self, request: Any, context: Any) -> pb.Course:
        principal = require_role(*CASE_ROLES)
        return await self._course_reply(request.case_id, principal)

    async def _course_reply(self, case_id: str, principal: Any) -> pb.Course:
        found, checklist = await courses.get_course(case_id, store=self.store, principal=principal)
        return convert.course(found, checklist)

    async def NameCoordinator(self, request: Any, context: Any) -> pb.Course:
        principal = require_role("consultant")
        command = parse_request(commands.NameCoordinator, request)
        await courses.name_coordinator(
            command, store=self.store, principal=principal, calendar=self.calendar
        )
        return await self._course_reply(command.case_id, principal)

    async def InterruptCourse(self, request: Any, context: Any) -> pb.Course:
        principal = require_role("consultant", *SPECIALISTS)
        command = parse_request(commands.InterruptCourse, request)
        await courses.interrupt(
            command, store=self.store, principal=principal, calendar=self.calendar
        )
        return await self._course_reply(command.case_id, principal)

    async def RecordClosingMeeting(self, request: Any, context: Any) -> pb.Course:
        principal = require_role("consultant", *SPECIALISTS)
        command = parse_request(commands.RecordClosingMeeting, request)
        await courses.record_closing_meeting(
            command, store=self.store, principal=principal, calendar=self.calendar
        )
        return await self._course_reply(command.case_id, principal)

    async def BookAnchoringActivity(self, request: Any, context: Any) -> pb.Course:
        principal = require_role("consultant", *SPECIALISTS)
        command = parse_request(commands.BookAnchoringActivity, request)
        await courses.book_anchoring(
            command, store=self.store, principal=principal, calendar=self.calendar
        )
        return await self._course_reply(command.case_id, principal)

    async def RecordAnchoringAgendaSent(self, request: Any, context: Any) -> pb.Course:
        principal = require_role("consultant", *SPECIALISTS)
        command = parse_request(commands.RecordAnchoringAgendaSent, request)
        await courses.send_anchoring_agenda(
            command, store=self.store, principal=principal, calendar=self.calendar
        )
        return await self._course_reply(command.case_id, principal)

    async def StartCentralCourse(self, request: Any, context: Any) -> pb.Course:
        principal = require_role("consultant")
        command = parse_request(commands.StartCentralCourse, request)
        await central.start_central_course(
            command, store=self.store, principal=principal, calendar=self.calendar
        )
        return await self._course_reply(command.case_id, principal)

    async def LogCentralHours(self, request: Any, context: Any) -> pb.Course:
        principal = require_role("consultant")
        command = parse_request(commands.LogCentralHours, request)
        await central.log_central_hours(command, store=self.store, principal=principal)
        return await self._course_reply(command.case_id, principal)

    async def CloseCentralCourse(self, request: Any, context: Any) -> pb.Course:
        principal = require_role("consultant")
        command = parse_request(commands.CloseCentralCourse, request)
        await central.close_central_course(
            command, store=self.store, principal=principal, calendar=self.calendar
        )
        return await self._course_reply(command.case_id, principal)

    async def CheckDeadlines(self, request: Any, context: Any) -> pb.CheckDeadlinesResponse:
        require_role("manager")
        command = parse_request(commands.CheckDeadlines, request, as_of=request.as_of or None)
        day = check_day(
            today=today(utcnow()),
            as_of=command.as_of,
            max_days_ahead=CalendarSettings().deadline_check_max_days_ahead,
        )
        reported = await deadline_check.check_deadlines(
            store=self.store, today=day, case_id=command.case_id
        )
        return pb.CheckDeadlinesResponse(reported_missed=reported)

    async def RecordAnchoringActivityHeld(self, request: Any, context: Any) -> pb.Course:
        principal = require_role("consultant", *SPECIALISTS)
        command = parse_request(commands.RecordAnchoringActivityHeld, request)
        await courses.hold_anchoring(command, store=self.store, principal=principal)
        return await self._course_reply(command.case_id, principal)

    # --- deliveries ---

    async def GetDelivery(self, request: Any, context: Any) -> pb.Delivery:
        principal = require_role(*CASE_ROLES)
        found, totals = await deliveries.get_delivery(
            request.delivery_id, store=self.store, principal=principal
        )
        return convert.delivery(found, totals)

    async def ListDeliveries(self, request: Any, context: Any) -> pb.ListDeliveriesResponse:
        principal = require_role(*CASE_ROLES)
        found, following = await deliveries.list_deliveries(
            case_id=request.case_id,
            supplier_id=request.supplier_id,
            status=request.status,
            size=_page_size(request),
            token=request.page_token,
            store=self.store,
            principal=principal,
        )
        return pb.ListDeliveriesResponse(
            deliveries=[convert.delivery(d) for d in found], next_page_token=following
        )

    async def _propose(self, request: Any, *, change: bool) -> pb.Delivery:
        principal = require_role(*SPECIALISTS)
        command = parse_request(commands.ProposeAgreement, request)
        found = await deliveries.propose(
            command,
            change=change,
            store=self.store,
            principal=principal,
            calendar=self.calendar,
            high_price_threshold=self.settings.high_price_threshold_dkk,
        )
        return convert.delivery(found)

    async def ProposeAgreement(self, request: Any, context: Any) -> pb.Delivery:
        return await self._propose(request, change=False)

    async def ProposeChange(self, request: Any, context: Any) -> pb.Delivery:
        return await self._propose(request, change=True)

    async def ApproveAgreement(self, request: Any, context: Any) -> pb.Delivery:
        principal = require_role("consultant", "manager")
        command = parse_request(commands.DecideAgreement, request)
        found = await deliveries.approve(
            command,
            store=self.store,
            principal=principal,
            settings=self.settings,
            calendar=self.calendar,
            manager_of=self.managers.manager_of,
        )
        return convert.delivery(found)

    async def ReturnAgreement(self, request: Any, context: Any) -> pb.Delivery:
        principal = require_role("consultant", "manager")
        command = parse_request(commands.ReturnAgreement, request)
        found = await deliveries.return_for_renegotiation(
            command, store=self.store, principal=principal
        )
        return convert.delivery(found)

    async def LogConsumption(self, request: Any, context: Any) -> pb.ConsumptionEntry:
        principal = require_role(*SPECIALISTS)
        command = parse_request(commands.LogConsumption, request)
        found = await deliveries.log_consumption(command, store=self.store, principal=principal)
        return convert.entry(found)

    async def ReviewConsumption(self, request: Any, context: Any) -> pb.ListConsumptionResponse:
        principal = require_role("consultant")
        command = parse_request(commands.ReviewConsumption, request)
        found, totals = await deliveries.review_consumption(
            command, store=self.store, principal=principal
        )
        return convert.consumption(found, totals)

    async def ListConsumption(self, request: Any, context: Any) -> pb.ListConsumptionResponse:
        principal = require_role(*CASE_ROLES)
        found, totals, following = await deliveries.list_consumption(
            request.delivery_id,
            size=page_size(request.page_size),
            token=request.page_token,
            store=self.store,
            principal=principal,
        )
        reply = convert.consumption(found, totals)
        reply.next_page_token = following
        return reply

    async def ConfirmClosingStep(self, request: Any, context: Any) -> pb.Delivery:
        principal = require_role(*SPECIALISTS)
        command = parse_request(commands.ConfirmClosingStep, request)
        found = await deliveries.confirm_closing_step(
            command, store=self.store, principal=principal
        )
        return convert.delivery(found)

    async def SubmitFinancialStatement(self, request: Any, context: Any) -> pb.Delivery:
        principal = require_role(*SPECIALISTS)
        command = parse_request(commands.DeliveryStep, request)
        found = await deliveries.submit_statement(
            command, store=self.store, principal=principal, calendar=self.calendar
        )
        return convert.delivery(found)

    async def ApproveFinancialStatement(self, request: Any, context: Any) -> pb.Delivery:
        principal = require_role("consultant")
        command = parse_request(commands.DeliveryStep, request)
        found = await deliveries.approve_statement(
            command, store=self.store, principal=principal, calendar=self.calendar
        )
        return convert.delivery(found)

    # --- money ---

    async def CreateMonthlySettlement(self, request: Any, context: Any) -> pb.Settlement:
        principal = require_role("support", "manager")
        command = parse_request(commands.CreateMonthlySettlement, request)
        found = await money.create_settlement(command, store=self.store, principal=principal)
        return convert.settlement(found)

    async def GetSettlement(self, request: Any, context: Any) -> pb.Settlement:
        principal = require_role(*VISO_STAFF, "supplier_admin", *SPECIALISTS)
        found = await money.get_settlement(
            request.supplier_id, request.month, store=self.store, principal=principal
        )
        return convert.settlement(found)

    async def SetAppropriation(self, request: Any, context: Any) -> pb.Appropriation:
        require_role("manager")
        command = parse_request(commands.SetAppropriation, request)
        found = await money.set_appropriation(command, store=self.store)
        return pb.Appropriation(
            year=found.year, main_area=found.main_area, amount_dkk=str(found.amount_dkk)
        )

    async def GetSpending(self, request: Any, context: Any) -> pb.Spending:
        require_role(*VISO_STAFF)
        check_year(request.year)
        return convert.spending(
            request.year, await money.get_spending(request.year, store=self.store)
        )


def registrations(
    store: MongoStore,
    settings: LeveranceSettings,
    calendar: WorkingDayCalendar,
    managers: DirectoryManagers,
) -> list[Registration]:
    """The servicers leverance serves."""
    return [
        (
            leverance_pb2_grpc.add_LeveranceServiceServicer_to_server,
            LeveranceApi(store, settings, calendar, managers),
            pb.DESCRIPTOR.services_by_name["LeveranceService"].full_name,
        )
    ]
