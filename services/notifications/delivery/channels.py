"""The channels a delivery can take, behind one port (`Channel.send`).

- `EmailChannel`: e-mail over the SMTP relay (aiosmtplib), STARTTLS and AUTH from settings.
- `SecureEmailChannel`: e-mail to a municipality's notification mailbox (reference data), only
  ever over STARTTLS with the relay's certificate verified.
- `DigitalPostChannel`: Digital Post to a citizen, as a drop folder the Digital Post provider
  collects from (format below). The CPR number is resolved from intake at the moment of
  delivery (`CprResolver`) and written only into the drop; never logged or stored here.

Digital Post drop format (`vias-digital-post/1`), one folder per message, named after the
delivery's idempotency key, moved into place complete:

    <digital_post_dir>/<delivery id>/
        message.txt      the letter's text, UTF-8
        metadata.json    format, message_id, sender, recipient {cpr, name}, subject,
                         message_kind, inquiry_id, document_id, created_at

A message whose folder is already there is not written again (a retry after a crash).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib

from services.kernel.envelope import utcnow
from services.notifications.delivery.domain import ChannelName, Delivery
from services.notifications.delivery.settings import DeliverySettings

DIGITAL_POST_FORMAT = "vias-digital-post/1"
MAILBOXES_FILE = Path(__file__).parent / "reference" / "municipal_mailboxes.json"


class Undeliverable(Exception):
    """The channel cannot reach this recipient at all (no address): no point retrying it."""


class Channel(Protocol):
    """The port: send one delivery once; a description of what the channel accepted."""

    name: ChannelName

    async def send(self, delivery: Delivery) -> str: ...


class CprResolver(Protocol):
    """Who holds the citizen's CPR number (intake), asked at the moment of delivery only."""

    async def cpr_of_citizen(self, inquiry_id: str) -> str: ...


def municipal_mailboxes(path: Path | None = None) -> dict[str, str]:
    """Municipality code -> notification mailbox address."""
    loaded = json.loads((path or MAILBOXES_FILE).read_text(encoding="utf-8"))
    return {code: entry["address"] for code, entry in loaded["mailboxes"].items()}


class DocumentSource(Protocol):
    """Where the rendered document a delivery names comes from."""

    async def fetch(self, document_id: str) -> Any: ...


async def with_document(
    message: EmailMessage, delivery: Delivery, documents: DocumentSource | None
) -> EmailMessage:
    """The message with the delivery's rendered document attached, when it names one."""
    if delivery.document_id and documents is not None:
        found = await documents.fetch(delivery.document_id)
        main, _, sub = found.content_type.partition("/")
        message.add_attachment(found.data, maintype=main, subtype=sub, filename=found.filename)
    return message


def email_message(delivery: Delivery, *, sender: str, to: str) -> EmailMessage:
    """The e-mail of a delivery: its Danish text as the body, its idempotency key as the
    Message-ID, so a message sent twice is recognisable as one."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"{delivery.recipient.name} <{to}>" if delivery.recipient.name else to
    message["Subject"] = delivery.subject
    message["Message-ID"] = delivery.message_id
    message["Date"] = formatdate(localtime=False)
    message["X-VIAS-Delivery"] = delivery.id
    message.set_content(delivery.body)
    return message


def _tls_context(settings: DeliverySettings) -> ssl.SSLContext:
    cafile = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
    return ssl.create_default_context(cafile=cafile)


async def _smtp_send(message: EmailMessage, settings: DeliverySettings, *, starttls: bool) -> str:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    errors, reply = await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        start_tls=starttls,
        use_tls=False,
        tls_context=_tls_context(settings) if starttls else None,
        username=settings.smtp_username,
        password=password,
        timeout=settings.smtp_timeout_s,
    )
    if errors:
        raise RuntimeError(f"refused recipients: {', '.join(sorted(errors))}")
    return reply


@dataclass
class EmailChannel:
    """Ordinary e-mail through the relay."""

    settings: DeliverySettings
    documents: DocumentSource | None = None
    name: ChannelName = "email"

    async def send(self, delivery: Delivery) -> str:
        if not delivery.recipient.email:
            raise Undeliverable("no e-mail address")
        message = email_message(
            delivery, sender=self.settings.from_address, to=delivery.recipient.email
        )
        message = await with_document(message, delivery, self.documents)
        return await _smtp_send(message, self.settings, starttls=self.settings.smtp_starttls)


@dataclass
class SecureEmailChannel:
    """E-mail to a municipality's notification mailbox, STARTTLS required."""

    settings: DeliverySettings
    mailboxes: dict[str, str]
    documents: DocumentSource | None = None
    name: ChannelName = "secure_email"

    async def send(self, delivery: Delivery) -> str:
        address = self.mailboxes.get(delivery.recipient.municipality_code)
        if address is None:
            raise Undeliverable(
                f"no notification mailbox for municipality {delivery.recipient.municipality_code}"
            )
        message = email_message(delivery, sender=self.settings.from_address, to=address)
        message = await with_document(message, delivery, self.documents)
        return await _smtp_send(message, self.settings, starttls=True)


@dataclass
class DigitalPostChannel:
    """Digital Post as a drop folder."""

    folder: Path
    resolver: CprResolver
    name: ChannelName = "digital_post"

    async def send(self, delivery: Delivery) -> str:
        if delivery.recipient.role != "citizen" or not delivery.recipient.citizen_ref:
            raise Undeliverable("Digital Post reaches only a citizen with a CPR number")
        target = self.folder / delivery.id.replace(":", "-")
        if (target / "metadata.json").exists():
            return f"already in the drop as {target.name}"
        cpr = await self.resolver.cpr_of_citizen(delivery.inquiry_id)
        await asyncio.to_thread(_write_drop, self.folder, target, delivery, cpr)
        return f"dropped as {target.name}"


def _write_drop(folder: Path, target: Path, delivery: Delivery, cpr: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))
    try:
        (staging / "message.txt").write_text(delivery.body, encoding="utf-8")
        metadata = {
            "format": DIGITAL_POST_FORMAT,
            "message_id": delivery.message_id,
            "sender": "VISO",
            "recipient": {"cpr": cpr, "name": delivery.recipient.name},
            "subject": delivery.subject,
            "message_kind": delivery.message_kind,
            "inquiry_id": delivery.inquiry_id,
            "document_id": delivery.document_id,
            "created_at": utcnow().isoformat(),
        }
        (staging / "metadata.json").write_text(
            json.dumps(metadata, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        if target.exists():  # left incomplete by a crash: replace it
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
