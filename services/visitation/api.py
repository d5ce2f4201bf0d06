"""Visitation's gRPC servicer."""

from __future__ import annotations

from typing import Any

from services.kernel.context import VISO_STAFF, require_role
from services.kernel.grpc_server import Registration
from services.kernel.proto import timestamp
from services.kernel.store import MongoStore
from services.visitation import handlers
from services.visitation.domain import VisitationCase
from vias.visitation.v1 import visitation_pb2, visitation_pb2_grpc


def to_proto(case: VisitationCase) -> visitation_pb2.VisitationCase:
    """The wire form of a case."""
    return visitation_pb2.VisitationCase(
        case_id=case.id,
        version=case.version,
        inquiry_id=case.inquiry_id,
        status=case.status,
        main_area=case.main_area,
        consultant_id=case.consultant_id,
        opened_at=timestamp(case.opened_at),
    )


class VisitationApi(visitation_pb2_grpc.VisitationServiceServicer):
    """VisitationService over the visitation handlers."""

    def __init__(self, store: MongoStore) -> None:
        self.store = store

    async def GetCase(self, request: Any, context: Any) -> visitation_pb2.VisitationCase:
        require_role(*VISO_STAFF)
        return to_proto(await handlers.get_case(request.case_id, store=self.store))

    async def GetCaseByInquiry(self, request: Any, context: Any) -> visitation_pb2.VisitationCase:
        require_role(*VISO_STAFF)
        return to_proto(await handlers.get_case_by_inquiry(request.inquiry_id, store=self.store))


def registrations(store: MongoStore) -> list[Registration]:
    """The servicers visitation serves."""
    return [
        (
            visitation_pb2_grpc.add_VisitationServiceServicer_to_server,
            VisitationApi(store),
            visitation_pb2.DESCRIPTOR.services_by_name["VisitationService"].full_name,
        )
    ]
