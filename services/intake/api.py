"""Intake's gRPC servicer: proto in, command to handler, proto out."""

from __future__ import annotations

from typing import Any

from services.intake import handlers
from services.intake.domain import Inquiry
from services.intake.messages import AssignInquiry, RegisterInquiry, UpdateInquiryDescription
from services.kernel.context import VISO_STAFF, require_role
from services.kernel.grpc_server import Registration
from services.kernel.proto import parse_request, timestamp
from services.kernel.store import MongoStore
from vias.intake.v1 import intake_pb2, intake_pb2_grpc


def to_proto(inquiry: Inquiry) -> intake_pb2.Inquiry:
    """The wire form of an inquiry."""
    return intake_pb2.Inquiry(
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
    )


class IntakeApi(intake_pb2_grpc.IntakeServiceServicer):
    """IntakeService over the intake handlers."""

    def __init__(self, store: MongoStore) -> None:
        self.store = store

    async def RegisterInquiry(self, request: Any, context: Any) -> intake_pb2.Inquiry:
        principal = require_role(*VISO_STAFF)
        command = parse_request(RegisterInquiry, request)
        inquiry = await handlers.register_inquiry(command, store=self.store, principal=principal)
        return to_proto(inquiry)

    async def AssignInquiry(self, request: Any, context: Any) -> intake_pb2.Inquiry:
        principal = require_role("support", "manager")
        command = parse_request(AssignInquiry, request)
        inquiry = await handlers.assign_inquiry(command, store=self.store, principal=principal)
        return to_proto(inquiry)

    async def GetInquiry(self, request: Any, context: Any) -> intake_pb2.Inquiry:
        require_role(*VISO_STAFF)
        return to_proto(await handlers.get_inquiry(request.inquiry_id, store=self.store))

    async def UpdateInquiryDescription(self, request: Any, context: Any) -> intake_pb2.Inquiry:
        require_role(*VISO_STAFF)
        command = parse_request(UpdateInquiryDescription, request)
        return to_proto(await handlers.update_description(command, store=self.store))


def registrations(store: MongoStore) -> list[Registration]:
    """The servicers intake serves."""
    return [
        (
            intake_pb2_grpc.add_IntakeServiceServicer_to_server,
            IntakeApi(store),
            intake_pb2.DESCRIPTOR.services_by_name["IntakeService"].full_name,
        )
    ]
