"""Reading what the platform's embedded SMTP server received (its Maildir), for tests."""

from __future__ import annotations

import asyncio
import mailbox
from collections.abc import Callable
from email.message import Message

from services.platform.infra import Platform


def received(platform: Platform, accept: Callable[[Message], bool]) -> list[Message]:
    """Every message in the Maildir that `accept` takes."""
    box = mailbox.Maildir(platform.smtp.maildir, create=False)
    return [m for m in box if accept(m)]


async def received_async(platform: Platform, accept: Callable[[Message], bool]) -> list[Message]:
    """`received`, off the event loop."""
    return await asyncio.to_thread(received, platform, accept)


def mails_of(platform: Platform, delivery_id: str) -> list[Message]:
    """The messages of one delivery (its id is in the X-VIAS-Delivery header)."""
    return received(platform, lambda m: m["X-VIAS-Delivery"] == delivery_id)


def body(message: Message) -> str:
    """The e-mail's text (the first text/plain part; a letter's PDF is attached beside it)."""
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    payload = text.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(text.get_content_charset() or "utf-8")


def attached_pdfs(message: Message) -> list[bytes]:
    """The PDF documents attached to an e-mail."""
    pdfs = []
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if part.get_content_type() == "application/pdf" and isinstance(payload, bytes):
            pdfs.append(payload)
    return pdfs
