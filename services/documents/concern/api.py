"""ConcernReportsService."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.documents.case_record import CASE_WORKERS
from services.documents.concern import handlers
from services.documents.concern.commands import DraftConcernReport, RecordAnkestyrelsen
from services.documents.concern.model import ConcernReport
from services.kernel.context import VISO_STAFF, require_role
from services.kernel.envelope import utcnow
from services.kernel.errors import InvalidInput
from services.kernel.grpc_server import Registration
from services.kernel.proto import parse_request, timestamp
from services.kernel.store import MongoStore
from services.workdays.settings import CalendarSettings, requested_day
from vias.documents.v1 import concern_pb2, concern_pb2_grpc


def _stamp(moment: datetime | None) -> Any:
    return timestamp(moment) if moment is not None else None


def report_message(r: ConcernReport) -> concern_pb2.ConcernReport:
    """The wire form of a report."""
    step = r.ankestyrelsen
    return concern_pb2.ConcernReport(
        report_id=r.id,
        case_id=r.case_id,
        subject=r.subject,
        recipients=r.recipients,
        municipality_code=r.municipality_code,
        facts=r.facts,
        viso_task=r.viso_task,
        observations=r.observations,
        drafted_by=r.drafted_by,
        supplier_id=r.supplier_id or "",
        drafted_at=timestamp(r.drafted_at),
        status=r.status,
        cosigned_by=r.cosigned_by,
        without_cosignature_reason=r.without_cosignature_reason,
        released_at=_stamp(r.released_at),
        document_id=r.document_id,
        received_at=_stamp(r.received_at),
        receipt_reference=r.receipt_reference,
        ankestyrelsen=concern_pb2.AnkestyrelsenStep(
            notified=step.notified,
            manager_consulted=step.manager_consulted,
            what_sent=step.what_sent,
            decided_by=step.decided_by,
            decided_at=timestamp(step.decided_at),
        )
        if step
        else None,
        version=r.version,
    )


class ConcernReportsApi(concern_pb2_grpc.ConcernReportsServiceServicer):
    """Concern reports over their use cases."""

    def __init__(self, store: MongoStore) -> None:
        self.store = store
        self.calendar = CalendarSettings().calendar()

    async def DraftConcernReport(self, request: Any, context: Any) -> Any:
        principal = require_role(*CASE_WORKERS)
        command = parse_request(DraftConcernReport, request)
        return report_message(await handlers.draft(command, store=self.store, principal=principal))

    async def GetConcernReport(self, request: Any, context: Any) -> Any:
        principal = require_role(*CASE_WORKERS)
        found = await handlers.read(
            request.report_id.strip(), store=self.store, principal=principal
        )
        return report_message(found)

    async def ListConcernReports(self, request: Any, context: Any) -> Any:
        principal = require_role(*CASE_WORKERS)
        found, following = await handlers.list_for_case(
            request.case_id.strip(),
            size=request.page_size,
            token=request.page_token,
            store=self.store,
            principal=principal,
        )
        return concern_pb2.ListConcernReportsResponse(
            reports=[report_message(r) for r in found], next_page_token=following
        )

    async def CoSignConcernReport(self, request: Any, context: Any) -> Any:
        principal = require_role("consultant")
        released = await handlers.release(
            request.report_id.strip(),
            store=self.store,
            principal=principal,
            calendar=self.calendar,
            cosign=True,
        )
        return report_message(released)

    async def SendConcernReportWithoutCoSignature(self, request: Any, context: Any) -> Any:
        principal = require_role("specialist")
        if not request.reason.strip():
            raise InvalidInput.single("reason", "why the consultant did not co-sign")
        released = await handlers.release(
            request.report_id.strip(),
            store=self.store,
            principal=principal,
            calendar=self.calendar,
            reason=request.reason.strip()[:2000],
            cosign=False,
        )
        return report_message(released)

    async def RecordConcernReportReceipt(self, request: Any, context: Any) -> Any:
        principal = require_role(*VISO_STAFF)
        got = await handlers.record_receipt(
            request.report_id.strip(),
            request.reference.strip()[:200],
            store=self.store,
            principal=principal,
            calendar=self.calendar,
        )
        return report_message(got)

    async def RecordAnkestyrelsenStep(self, request: Any, context: Any) -> Any:
        principal = require_role("consultant")
        command = parse_request(RecordAnkestyrelsen, request)
        stepped = await handlers.record_ankestyrelsen(
            command, store=self.store, principal=principal
        )
        return report_message(stepped)

    async def CheckConcernReportReceipts(self, request: Any, context: Any) -> Any:
        require_role("manager")
        today = requested_day(request.as_of, today=utcnow().date())
        reported = await handlers.check_receipts(
            store=self.store, today=today, calendar=self.calendar
        )
        return concern_pb2.CheckConcernReportReceiptsResponse(reported=reported)


def registrations(store: MongoStore) -> list[Registration]:
    """The concern-report servicer."""
    return [
        (
            concern_pb2_grpc.add_ConcernReportsServiceServicer_to_server,
            ConcernReportsApi(store),
            concern_pb2.DESCRIPTOR.services_by_name["ConcernReportsService"].full_name,
        )
    ]
