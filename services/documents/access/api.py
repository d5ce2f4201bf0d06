"""AccessRequestsService: access to records, for the central unit only."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.documents.access import handlers, model
from services.documents.access.commands import (
    DecideAccessItem,
    ExtendAccessDeadline,
    RegisterAccessRequest,
    SendAccessDelayLetter,
)
from services.documents.access.model import AccessRequest
from services.documents.settings import DocumentsSettings
from services.kernel.context import VISO_STAFF, require_role
from services.kernel.envelope import utcnow
from services.kernel.grpc_server import Registration
from services.kernel.proto import parse_request, timestamp
from services.kernel.store import MongoStore
from services.workdays import WorkingDayCalendar
from services.workdays.settings import CalendarSettings, requested_day
from vias.documents.v1 import access_pb2, access_pb2_grpc


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def request_message(r: AccessRequest) -> access_pb2.AccessRequest:
    """The wire form of a request."""
    return access_pb2.AccessRequest(
        request_id=r.id,
        received_on=r.received_on.isoformat(),
        channel=r.channel,
        requester_name=r.requester_name,
        relation=r.relation,
        on_behalf_of=r.on_behalf_of,
        power_of_attorney=r.power_of_attorney,
        case_ids=r.case_ids,
        period_from=_day(r.period_from),
        period_to=_day(r.period_to),
        registered_by=r.registered_by,
        manager_id=r.manager_id,
        parts=[
            access_pb2.AccessPart(
                kind=p.kind,
                deadline_id=p.deadline_id,
                due=p.due.isoformat(),
                explanation=p.explanation,
                status=p.status,
                extended_reason=p.extended_reason,
                delay_letter_on=_day(p.delay_letter_on),
                expected_on=_day(p.expected_on),
            )
            for p in r.parts
        ],
        items=[
            access_pb2.AccessItem(
                item_id=i.item_id,
                item=i.item,
                case_id=i.case_id,
                title=i.title,
                recorded_at=timestamp(i.recorded_at),
                decision=i.decision,
                legal_basis=i.legal_basis,
                redacted_passages=i.redacted_passages,
            )
            for i in r.items
        ],
        status=r.status,
        package_document_id=r.package_document_id,
        letter_document_id=r.letter_document_id,
        version=r.version,
    )


class AccessRequestsApi(access_pb2_grpc.AccessRequestsServiceServicer):
    """Access requests over their use cases."""

    def __init__(self, store: MongoStore, settings: DocumentsSettings) -> None:
        self.store = store
        self.settings = settings
        self.calendar: WorkingDayCalendar = CalendarSettings().calendar()

    async def RegisterAccessRequest(self, request: Any, context: Any) -> Any:
        principal = require_role(*VISO_STAFF)
        command = parse_request(RegisterAccessRequest, request)
        made = await handlers.register(
            command,
            store=self.store,
            principal=principal,
            calendar=self.calendar,
            default_manager=self.settings.access_manager_id,
        )
        return request_message(made)

    async def GetAccessRequest(self, request: Any, context: Any) -> Any:
        require_role(*VISO_STAFF)
        return request_message(await handlers.get(request.request_id.strip(), store=self.store))

    async def CompileAccessRequest(self, request: Any, context: Any) -> Any:
        principal = require_role(*VISO_STAFF)
        made = await handlers.compile_record(
            request.request_id.strip(), store=self.store, principal=principal
        )
        return request_message(made)

    async def DecideAccessItem(self, request: Any, context: Any) -> Any:
        require_role(*VISO_STAFF)
        command = parse_request(DecideAccessItem, request)
        return request_message(await handlers.decide(command, store=self.store))

    async def ExtendAccessDeadline(self, request: Any, context: Any) -> Any:
        require_role(*VISO_STAFF)
        command = parse_request(ExtendAccessDeadline, request)
        made = await handlers.extend(command, store=self.store, calendar=self.calendar)
        return request_message(made)

    async def SendAccessDelayLetter(self, request: Any, context: Any) -> Any:
        principal = require_role(*VISO_STAFF)
        command = parse_request(SendAccessDelayLetter, request)
        made = await handlers.send_delay_letter(command, store=self.store, principal=principal)
        return request_message(made)

    async def DeliverAccessRequest(self, request: Any, context: Any) -> Any:
        principal = require_role(*VISO_STAFF)
        made = await handlers.deliver(
            request.request_id.strip(), store=self.store, principal=principal
        )
        return request_message(made)

    async def CheckAccessDeadlines(self, request: Any, context: Any) -> Any:
        require_role("manager")
        today = requested_day(request.as_of, today=utcnow().date())
        reported = await handlers.check_deadlines(store=self.store, today=today)
        return access_pb2.CheckAccessDeadlinesResponse(reported=reported)

    async def ListLegalBases(self, request: Any, context: Any) -> Any:
        require_role(*VISO_STAFF)
        return access_pb2.ListLegalBasesResponse(
            bases=[access_pb2.LegalBasis(code=c, text=t) for c, t in model.LEGAL_BASES.items()]
        )


def registrations(store: MongoStore, settings: DocumentsSettings) -> list[Registration]:
    """The access-request servicer."""
    return [
        (
            access_pb2_grpc.add_AccessRequestsServiceServicer_to_server,
            AccessRequestsApi(store, settings),
            access_pb2.DESCRIPTOR.services_by_name["AccessRequestsService"].full_name,
        )
    ]
