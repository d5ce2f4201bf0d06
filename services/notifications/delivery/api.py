"""DeliveriesService: delivery status for people, receipts and Team Support's retry."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from services.kernel.context import Principal, require_role
from services.kernel.envelope import utcnow
from services.kernel.errors import InvalidInput, NotFound
from services.kernel.grpc_server import Registration
from services.kernel.paging import page_size
from services.kernel.proto import timestamp
from services.kernel.store import MongoStore
from services.notifications.delivery import handlers
from services.notifications.delivery.domain import Delivery
from vias.notifications.v1 import deliveries_pb2, deliveries_pb2_grpc

READERS = ("support", "consultant", "manager")
STAFF = ("support", "manager")


def to_proto(d: Delivery) -> deliveries_pb2.Delivery:
    """The wire form of a delivery."""
    reply = deliveries_pb2.Delivery(
        delivery_id=d.id,
        message_kind=d.message_kind,
        inquiry_id=d.inquiry_id,
        case_id=d.case_id,
        consultant_id=d.consultant_id,
        recipient_name=d.recipient.name,
        recipient_role=d.recipient.role,
        channels=list(d.channels),
        channel=d.channel or (d.channels[-1] if d.channels else ""),
        status=d.status,
        attempts=[
            deliveries_pb2.DeliveryAttempt(
                channel=a.channel,
                started_at=timestamp(a.started_at),
                outcome=a.outcome,
                detail=a.detail,
            )
            for a in d.attempts
        ],
        send_by=timestamp(d.send_by),
        next_attempt_at=timestamp(d.next_attempt_at),
        created_at=timestamp(d.created_at),
        sent_via=d.sent_via or "",
        receipt=d.receipt,
        failure=d.failure,
        message_id=d.message_id,
        subject=d.subject,
        document_id=d.document_id,
    )
    if d.sent_at is not None:
        reply.sent_at.CopyFrom(timestamp(d.sent_at))
    if d.acknowledged_at is not None:
        reply.acknowledged_at.CopyFrom(timestamp(d.acknowledged_at))
    return reply


def _visible(principal: Principal, delivery: Delivery) -> bool:
    return principal.role != "consultant" or delivery.consultant_id == principal.user_id


def _id(value: str, field: str) -> str:
    if not value.strip():
        raise InvalidInput.single(field, "required")
    return value


class DeliveriesApi(deliveries_pb2_grpc.DeliveriesServiceServicer):
    """DeliveriesService over the delivery handlers."""

    def __init__(self, store: MongoStore) -> None:
        self.store = store

    async def _get(self, principal: Principal, delivery_id: str) -> Delivery:
        found = await handlers.get(self.store, _id(delivery_id, "delivery_id"))
        if not _visible(principal, found):
            raise NotFound("delivery", delivery_id)
        return found

    async def ListDeliveries(
        self, request: Any, context: Any
    ) -> deliveries_pb2.ListDeliveriesResponse:
        principal = require_role(*READERS)
        if bool(request.inquiry_id) == bool(request.case_id):
            raise InvalidInput.single("inquiry_id", "give exactly one of inquiry_id and case_id")
        found, following = await handlers.list_for(
            self.store,
            size=page_size(request.page_size),
            token=request.page_token,
            inquiry_id=request.inquiry_id,
            case_id=request.case_id,
            consultant_id=principal.user_id if principal.role == "consultant" else "",
        )
        return deliveries_pb2.ListDeliveriesResponse(
            deliveries=[to_proto(d) for d in found], next_page_token=following
        )

    async def GetDelivery(self, request: Any, context: Any) -> deliveries_pb2.Delivery:
        principal = require_role(*READERS)
        return to_proto(await self._get(principal, request.delivery_id))

    async def RecordDeliveryReceipt(self, request: Any, context: Any) -> deliveries_pb2.Delivery:
        principal = require_role(*STAFF)
        receipt = request.receipt.strip()
        if not receipt or len(receipt) > 200:
            raise InvalidInput.single("receipt", "required, at most 200 characters")
        delivery = await self._get(principal, request.delivery_id)
        now = utcnow()
        at = now
        if request.HasField("received_at"):
            try:
                at = request.received_at.ToDatetime(tzinfo=UTC)
            except (ValueError, OverflowError):
                raise InvalidInput.single("received_at", "not a valid moment") from None
        if at > now or at < delivery.created_at:
            raise InvalidInput.single("received_at", "between the delivery's creation and now")
        changed = await handlers.record_receipt(
            self.store, delivery.id, receipt=receipt, at=at, now=now
        )
        return to_proto(changed)

    async def RetryDelivery(self, request: Any, context: Any) -> deliveries_pb2.Delivery:
        principal = require_role(*STAFF)
        delivery = await self._get(principal, request.delivery_id)
        return to_proto(await handlers.retry(self.store, delivery.id, now=utcnow()))


def registrations(store: MongoStore) -> list[Registration]:
    """The deliveries servicer."""
    return [
        (
            deliveries_pb2_grpc.add_DeliveriesServiceServicer_to_server,
            DeliveriesApi(store),
            deliveries_pb2.DESCRIPTOR.services_by_name["DeliveriesService"].full_name,
        )
    ]
