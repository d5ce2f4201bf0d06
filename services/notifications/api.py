"""Notifications' gRPC servicer."""

from __future__ import annotations

from typing import Any

from services.kernel.context import ROLES, require_role
from services.kernel.errors import Forbidden, InvalidInput
from services.kernel.grpc_server import Registration
from services.kernel.paging import page_size
from services.kernel.proto import timestamp
from services.kernel.store import MongoStore
from services.notifications import handlers
from services.notifications.delivery.notices import TEAM_SUPPORT
from services.notifications.domain import Notice
from vias.notifications.v1 import notifications_pb2, notifications_pb2_grpc

MAX_LIMIT = 500


def to_proto(notice: Notice) -> notifications_pb2.Notice:
    """The wire form of a notice."""
    return notifications_pb2.Notice(
        notice_id=notice.id,
        recipient_id=notice.recipient_id,
        kind=notice.kind,
        subject_id=notice.subject_id,
        text=notice.text,
        created_at=timestamp(notice.created_at),
        urgent=notice.urgent,
        case_id=notice.case_id,
    )


class NotificationsApi(notifications_pb2_grpc.NotificationsServiceServicer):
    """NotificationsService over the notification handlers."""

    def __init__(self, store: MongoStore) -> None:
        self.store = store

    async def ListNotices(
        self, request: Any, context: Any
    ) -> notifications_pb2.ListNoticesResponse:
        principal = require_role(*ROLES)
        recipient = request.recipient_id or principal.user_id
        shared = recipient == TEAM_SUPPORT and principal.role == "support"
        if recipient != principal.user_id and principal.role != "manager" and not shared:
            raise Forbidden("only managers read other users' notices")
        if not 0 <= request.limit <= MAX_LIMIT:
            raise InvalidInput.single("limit", f"must be between 0 and {MAX_LIMIT}")
        found, following = await handlers.list_notices(
            recipient,
            store=self.store,
            size=page_size(request.page_size or request.limit),
            token=request.page_token,
            case_id=request.case_id,
        )
        return notifications_pb2.ListNoticesResponse(
            notices=[to_proto(n) for n in found], next_page_token=following
        )


def registrations(store: MongoStore) -> list[Registration]:
    """The servicers notifications serves."""
    return [
        (
            notifications_pb2_grpc.add_NotificationsServiceServicer_to_server,
            NotificationsApi(store),
            notifications_pb2.DESCRIPTOR.services_by_name["NotificationsService"].full_name,
        )
    ]
