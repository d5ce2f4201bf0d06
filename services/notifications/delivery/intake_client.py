"""The CPR number of a Digital Post recipient, asked of intake at the moment of delivery with a
service token; intake audits each answer with the purpose."""

from __future__ import annotations

import grpc

from services.kernel.auth import Peer, ServiceCredentials
from services.notifications.delivery.channels import Undeliverable
from vias.intake.v1 import intake_pb2, intake_pb2_grpc

PURPOSE = "digital post delivery"


class IntakeCprResolver:
    """Intake's RevealCitizenCpr over one channel, opened on first use."""

    def __init__(self, address: str, credentials: ServiceCredentials, *, timeout_s: float = 10.0):
        self.intake = Peer(address, intake_pb2_grpc.IntakeServiceStub, credentials)
        self.timeout_s = timeout_s

    async def cpr_of_citizen(self, inquiry_id: str) -> str:
        request = intake_pb2.RevealCitizenCprRequest(inquiry_id=inquiry_id, purpose=PURPOSE)
        try:
            reply = await self.intake.call("RevealCitizenCpr", request, timeout=self.timeout_s)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise Undeliverable("intake knows no CPR number for the citizen") from None
            raise RuntimeError(f"intake answered {error.code().name}") from None
        return str(reply.cpr)
