"""Identity's gRPC servicer: the directory, CheckSession for the services, Logout."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from pymongo import ASCENDING

from services.identity import directory, sessions
from services.identity.directory import USERS, User
from services.identity.settings import IdentitySettings
from services.kernel.context import ROLES, SERVICE_ROLE, VISO_STAFF, require_role
from services.kernel.envelope import utcnow
from services.kernel.errors import InvalidInput, Unauthenticated
from services.kernel.grpc_server import Registration
from services.kernel.paging import Paging, page_size
from services.kernel.store import MongoStore
from vias.identity.v1 import identity_pb2 as pb
from vias.identity.v1 import identity_pb2_grpc

DIRECTORY_ADMINS = ("manager",)
DIRECTORY_READERS = (*VISO_STAFF, SERVICE_ROLE)


def user_to_proto(user: User) -> pb.User:
    """The API's form of a directory user."""
    return pb.User(
        user_id=user.user_id,
        name=user.name,
        role=user.role,
        supplier_id=user.supplier_id or "",
        manager_id=user.manager_id or "",
        active=user.active,
    )


class IdentityApi(identity_pb2_grpc.IdentityServiceServicer):
    """IdentityService over the identity database."""

    def __init__(self, store: MongoStore, settings: IdentitySettings) -> None:
        self.db = store.db
        self.settings = settings

    async def GetUser(self, request: Any, context: Any) -> pb.User:
        require_role(*DIRECTORY_READERS)
        return user_to_proto(await directory.get_user(self.db, request.user_id))

    async def ListUsers(self, request: Any, context: Any) -> pb.ListUsersResponse:
        require_role(*DIRECTORY_READERS)
        size = page_size(request.page_size)
        query: dict[str, Any] = {}
        if request.role:
            query["role"] = request.role
        if request.supplier_id:
            query["supplier_id"] = request.supplier_id
        paging = Paging((("_id", ASCENDING),), query)
        docs, following = await paging.page(
            self.db[USERS], query, size=size, token=request.page_token
        )
        return pb.ListUsersResponse(
            users=[user_to_proto(User.from_doc(d)) for d in docs], next_page_token=following
        )

    async def UpsertUser(self, request: Any, context: Any) -> pb.User:
        require_role(*DIRECTORY_ADMINS)
        given = request.user
        user = User(
            user_id=given.user_id,
            role=given.role,
            name=given.name,
            supplier_id=given.supplier_id or None,
            manager_id=given.manager_id or None,
            active=not request.deactivated,
        )
        violations = directory.user_violations(
            user_id=user.user_id,
            role=user.role,
            supplier_id=user.supplier_id,
            manager_id=user.manager_id,
            supplier_cvr=request.supplier_cvr or None,
            prefix="user.",
            cvr_field="supplier_cvr",
        )
        if violations:
            raise InvalidInput(violations)
        now = utcnow()
        await directory.save_user(self.db, user, request.supplier_cvr or None, now)
        if not user.active:
            await sessions.end_sessions_of(self.db, user.user_id, sessions.ENDED_DEACTIVATED, now)
        return user_to_proto(user)

    async def DeactivateUser(self, request: Any, context: Any) -> pb.User:
        require_role(*DIRECTORY_ADMINS)
        user = await directory.get_user(self.db, request.user_id)
        now = utcnow()
        await self.db[USERS].update_one(
            {"_id": user.user_id}, {"$set": {"active": False, "updated_at": now}}
        )
        await sessions.end_sessions_of(self.db, user.user_id, sessions.ENDED_DEACTIVATED, now)
        return user_to_proto(dataclasses.replace(user, active=False))

    async def ImportUsers(self, request: Any, context: Any) -> pb.ImportUsersResponse:
        require_role(*DIRECTORY_ADMINS)
        rows = directory.parse_users_csv(request.csv)
        now = utcnow()
        created = 0
        for row in rows:
            created += await directory.save_user(self.db, row.user, row.supplier_cvr, now)
            if not row.user.active:
                await sessions.end_sessions_of(
                    self.db, row.user.user_id, sessions.ENDED_DEACTIVATED, now
                )
        return pb.ImportUsersResponse(created=created, updated=len(rows) - created)

    async def CheckSession(self, request: Any, context: Any) -> pb.SessionPrincipal:
        require_role(SERVICE_ROLE)
        try:
            claims = json.loads(request.claims_json)
        except ValueError:
            raise InvalidInput.single("claims_json", "not JSON") from None
        missing = [
            c for c in ("iss", "sub", "sid") if not isinstance(claims, dict) or not claims.get(c)
        ]
        if missing:
            raise InvalidInput.single("claims_json", f"lacks {', '.join(missing)}")
        verdict = await sessions.check(self.db, claims, self.settings, utcnow())
        if verdict.ended is not None:
            return pb.SessionPrincipal(ended=True, reason=verdict.ended)
        return pb.SessionPrincipal(
            user_id=verdict.user_id,
            role=verdict.role,
            supplier_id=verdict.supplier_id or "",
            session_id=verdict.session_id,
        )

    async def Logout(self, request: Any, context: Any) -> pb.LogoutResponse:
        principal = require_role(*ROLES)
        if principal.session_id is None:
            raise Unauthenticated("only a user's session can be logged out")
        await sessions.logout(self.db, principal.session_id, principal.user_id, utcnow())
        return pb.LogoutResponse()


def registrations(store: MongoStore, settings: IdentitySettings) -> list[Registration]:
    """The servicers identity serves."""
    return [
        (
            identity_pb2_grpc.add_IdentityServiceServicer_to_server,
            IdentityApi(store, settings),
            pb.DESCRIPTOR.services_by_name["IdentityService"].full_name,
        )
    ]
