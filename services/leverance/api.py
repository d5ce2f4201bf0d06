"""Leverance's gRPC servicer."""

from __future__ import annotations

from typing import Any

from services.kernel.context import VISO_STAFF, require_role
from services.kernel.grpc_server import Registration
from services.kernel.proto import timestamp
from services.kernel.store import MongoStore
from services.leverance import handlers
from vias.leverance.v1 import leverance_pb2, leverance_pb2_grpc


class LeveranceApi(leverance_pb2_grpc.LeveranceServiceServicer):
    """LeveranceService over the leverance handlers."""

    def __init__(self, store: MongoStore) -> None:
        self.store = store

    async def GetCaseReference(self, request: Any, context: Any) -> leverance_pb2.CaseReference:
        require_role(*VISO_STAFF)
        ref = await handlers.get_case_reference(request.case_id, store=self.store)
        return leverance_pb2.CaseReference(
            case_id=ref.id,
            inquiry_id=ref.inquiry_id,
            main_area=ref.main_area,
            consultant_id=ref.consultant_id,
            opened_at=timestamp(ref.opened_at),
        )


def registrations(store: MongoStore) -> list[Registration]:
    """The servicers leverance serves."""
    return [
        (
            leverance_pb2_grpc.add_LeveranceServiceServicer_to_server,
            LeveranceApi(store),
            leverance_pb2.DESCRIPTOR.services_by_name["LeveranceService"].full_name,
        )
    ]
