"""Letters intake's assignment triggers: the receipt and personal-data letters (H 4.2)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING

from services.contracts.intake import InquiryLetterRequested, LetterRecipient, letter_document_id
from services.kernel.consumer import EventHandler
from services.kernel.context import VISO_STAFF, require_role
from services.kernel.envelope import Envelope, utcnow
from services.kernel.errors import InvalidInput
from services.kernel.grpc_server import Registration
from services.kernel.paging import Paging, page_size
from services.kernel.proto import timestamp
from services.kernel.store import Aggregate, MongoStore, Repository, Transaction
from services.notifications.delivery import domain as delivery
from services.notifications.delivery import handlers as outbound
from vias.notifications.v1 import letters_pb2, letters_pb2_grpc


class Letter(Aggregate):
    """One letter to one recipient."""

    inquiry_id: str
    letter_kind: str
    recipient: LetterRecipient
    consultant_id: str
    consultant_name: str
    text: str
    created_at: datetime
    source_event_id: str


letters = Repository(Letter, "letters")
ORDER = (("created_at", ASCENDING), ("_id", ASCENDING))


def letter_text(kind: str, recipient: LetterRecipient, consultant: str) -> str:
    """The letter's text."""
    if kind == "receipt":
        return (
            f"Kære {recipient.name}. VISO har modtaget jeres henvendelse. Fagkonsulent "
            f"{consultant} er ansvarlig for sagen og kontakter jer."
        )
    return (
        f"Kære {recipient.name}. VISO behandler personoplysninger i forbindelse med en "
        "henvendelse om rådgivning (databeskyttelsesforordningens artikel 13 og 14). "
        f"Ansvarlig fagkonsulent: {consultant}."
    )


def letters_for(
    event: InquiryLetterRequested, *, source_event_id: str, now: datetime
) -> list[Letter]:
    """One letter per recipient of a requested letter."""
    consultant = event.consultant_name or event.consultant_id
    return [
        Letter(
            id=f"{source_event_id}:{i}",
            inquiry_id=event.inquiry_id,
            letter_kind=event.letter_kind,
            recipient=recipient,
            consultant_id=event.consultant_id,
            consultant_name=event.consultant_name,
            text=letter_text(event.letter_kind, recipient, consultant),
            created_at=now,
            source_event_id=source_event_id,
        )
        for i, recipient in enumerate(event.recipients)
    ]


SUBJECTS = {
    "receipt": "Kvittering for jeres henvendelse til VISO",
    "personal_data": "Oplysning om VISO's behandling af personoplysninger",
}
MESSAGE_KINDS: dict[str, delivery.MessageKind] = {
    "receipt": "receipt_letter",
    "personal_data": "personal_data_letter",
}


def deliveries_for(
    event: InquiryLetterRequested,
    found: list[Letter],
    *,
    source_event_id: str,
    now: datetime,
    send_within: timedelta,
) -> list[delivery.Delivery]:
    """One delivery per letter, keyed like it (the event and the recipient's index): the
    inquirer by e-mail, then a municipal inquirer's notification mailbox; the citizen by
    Digital Post (addressed by CPR, resolved only when it is sent)."""
    return [
        delivery.queue(
            letter.id,
            message_kind=MESSAGE_KINDS[event.letter_kind],
            inquiry_id=event.inquiry_id,
            consultant_id=event.consultant_id,
            recipient=delivery.Recipient(
                name=letter.recipient.name,
                role=letter.recipient.role,
                email=letter.recipient.email,
                municipality_code=(
                    event.inquirer_municipality_code or ""
                    if letter.recipient.role == "inquirer"
                    else ""
                ),
                citizen_ref=(event.citizen_ref or "") if letter.recipient.role == "citizen" else "",
            ),
            subject=SUBJECTS[event.letter_kind],
            body=letter.text,
            document_id=letter_document_id(source_event_id, index),
            now=now,
            send_within=send_within,
            source_event_id=source_event_id,
        )
        for index, letter in enumerate(found)
    ]


def handlers(send_within: timedelta) -> dict[str, EventHandler]:
    """Record the letters an assignment requested and queue their deliveries, together."""

    async def record_letters(tx: Transaction, envelope: Envelope) -> None:
        event = envelope.payload_as(InquiryLetterRequested)
        now = utcnow()
        found = letters_for(event, source_event_id=envelope.event_id, now=now)
        letters.add_if_absent(tx, *found)
        for made in deliveries_for(
            event, found, source_event_id=envelope.event_id, now=now, send_within=send_within
        ):
            await outbound.enqueue(tx, made, now)

    return {"InquiryLetterRequested": record_letters}


class LettersApi(letters_pb2_grpc.LettersServiceServicer):
    """LettersService: the letters about an inquiry."""

    def __init__(self, store: MongoStore) -> None:
        self.store = store

    async def ListLetters(self, request: Any, context: Any) -> letters_pb2.ListLettersResponse:
        require_role(*VISO_STAFF)
        if not request.inquiry_id:
            raise InvalidInput.single("inquiry_id", "required")
        query = {"inquiry_id": request.inquiry_id}
        found, following = await Paging(ORDER, query).aggregates(
            letters,
            self.store.db,
            query,
            size=page_size(request.page_size),
            token=request.page_token,
        )
        return letters_pb2.ListLettersResponse(
            next_page_token=following,
            letters=[
                letters_pb2.Letter(
                    letter_id=x.id,
                    inquiry_id=x.inquiry_id,
                    letter_kind=x.letter_kind,
                    recipient_name=x.recipient.name,
                    recipient_role=x.recipient.role,
                    recipient_email=x.recipient.email,
                    recipient_address=x.recipient.address,
                    consultant_id=x.consultant_id,
                    consultant_name=x.consultant_name,
                    text=x.text,
                    created_at=timestamp(x.created_at),
                )
                for x in found
            ],
        )


def registrations(store: MongoStore) -> list[Registration]:
    """The letters servicer."""
    return [
        (
            letters_pb2_grpc.add_LettersServiceServicer_to_server,
            LettersApi(store),
            letters_pb2.DESCRIPTOR.services_by_name["LettersService"].full_name,
        )
    ]


async def create_indexes(store: MongoStore) -> None:
    """Letters per inquiry, in the listing's order."""
    await store.db[letters.collection].create_index([("inquiry_id", ASCENDING), *ORDER])
