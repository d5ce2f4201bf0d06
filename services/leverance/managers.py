"""Each consultant's manager, from the identity service's user directory."""

from __future__ import annotations

import grpc

from services.kernel.auth import Peer, ServiceCredentials
from services.kernel.errors import Unavailable
from vias.identity.v1 import identity_pb2, identity_pb2_grpc

TIMEOUT_S = 5.0


class DirectoryManagers:
    """The manager the directory names for a consultant, else the default manager."""

    def __init__(self, address: str, credentials: ServiceCredentials, default: str) -> None:
        self.identity = Peer(address, identity_pb2_grpc.IdentityServiceStub, credentials)
        self.default = default

    async def manager_of(self, consultant_id: str) -> str:
        """Who approves the consultant's high-price deliveries."""
        request = identity_pb2.GetUserRequest(user_id=consultant_id)
        try:
            user = await self.identity.call("GetUser", request, timeout=TIMEOUT_S)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return self.default
            raise Unavailable("the user directory cannot name the consultant's manager") from None
        return str(user.manager_id) or self.default
