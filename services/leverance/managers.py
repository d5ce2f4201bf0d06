"""Each consultant's manager, from the identity service's user directory."""

from __future__ import annotations

from typing import Any

import grpc

from services.kernel.auth import ServiceCredentials, bearer
from services.kernel.errors import Unavailable
from vias.identity.v1 import identity_pb2, identity_pb2_grpc

TIMEOUT_S = 5.0


class DirectoryManagers:
    """The manager the directory names for a consultant, else the default manager."""

    def __init__(self, address: str, credentials: ServiceCredentials, default: str) -> None:
        self.address = address
        self.credentials = credentials
        self.default = default
        self._stub: Any = None

    async def manager_of(self, consultant_id: str) -> str:
        """Who approves the consultant's high-price deliveries."""
        if self._stub is None:
            channel = grpc.aio.insecure_channel(self.address)
            self._stub = identity_pb2_grpc.IdentityServiceStub(channel)  # type: ignore[no-untyped-call]
        request = identity_pb2.GetUserRequest(user_id=consultant_id)
        try:
            user = await self._stub.GetUser(
                request, metadata=await bearer(self.credentials), timeout=TIMEOUT_S
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return self.default
            if error.code() == grpc.StatusCode.UNAUTHENTICATED:
                self.credentials.forget()
            raise Unavailable("the user directory cannot name the consultant's manager") from None
        return str(user.manager_id) or self.default
