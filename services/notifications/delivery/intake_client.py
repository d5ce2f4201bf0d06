"""The CPR number of a Digital Post recipient, asked of intake at the moment of delivery with a
service token; intake audits each answer with the purpose."""

from __future__ import annotations

from typing import Any

import grpc

from services.kernel.auth import ServiceCredentials, bearer
from services.notifications.delivery.channels import Undeliverable
from vias.intake.v1 import intake_pb2, intake_pb2_grpc

PURPOSE = "digital post delivery"


class IntakeCprResolver:
    """Intake's RevealCitizenCpr over one channel, opened on first use."""

    def __init__(self, address: str, credentials: ServiceCredentials, *, timeout_s: float = 10.0):
        self.address = address
        self.credentials = credentials
        self.timeout_s = timeout_s
        self._stub: Any = None

    async def cpr_of_citizen(self, inquiry_id: str) -> str:
        if self._stub is None:
            channel = grpc.aio.insecure_channel(self.address)
            self._stub = intake_pb2_grpc.IntakeServiceStub(channel)  # type: ignore[no-untyped-call]
        try:
            reply = await self._stub.RevealCitizenCpr(
                intake_pb2.RevealCitizenCprRequest(inquiry_id=inquiry_id, purpose=PURPOSE),
                metadata=await bearer(self.credentials),
                timeout=self.timeout_s,
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise Undeliverable("intake knows no CPR number for the citizen") from None
            if error.code() == grpc.StatusCode.UNAUTHENTICATED:
                self.credentials.forget()
            raise RuntimeError(f"intake answered {error.code().name}") from None
        return str(reply.cpr)
