"""Letters actually leave VIAS: the receipt letter as an e-mail through the embedded SMTP server
(read back from its Maildir) and the personal-data letter to the citizen by Digital Post (the
drop folder); a stopped SMTP server leads to retries, the fallback and Team Support's notice,
and nothing is lost when it comes back; a redelivered event sends nothing twice."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from bson import json_util

from services.kernel.envelope import new_id, utcnow
from services.kernel.topics import consumer_group, events_topic
from services.notifications.delivery import domain
from services.notifications.delivery.channels import (
    SecureEmailChannel,
    Undeliverable,
    municipal_mailboxes,
)
from services.notifications.delivery.settings import DeliverySettings
from services.platform.infra import Platform
from tests.integration.mail_helpers import attached_pdfs, body, mails_of
from tests.support import (
    DEADLINE,
    Clients,
    adult_form,
    eventually,
    metric_value,
    produce,
    vias_command,
)
from vias.intake.v1 import intake_pb2
from vias.notifications.v1 import (
    deliveries_pb2,
    deliveries_pb2_grpc,
    notifications_pb2,
)

CONSULTANT = "Karen Fagkonsulent"


def deliveries_stub(clients: Clients) -> deliveries_pb2_grpc.DeliveriesServiceStub:
    channel = grpc.aio.insecure_channel(clients.platform.grpc_address("notifications"))
    return deliveries_pb2_grpc.DeliveriesServiceStub(channel)


async def assigned(clients: Clients, **fields: str) -> tuple[str, str]:
    """An inquiry registered and assigned to a consultant with a name; (inquiry id, CPR)."""
    form = adult_form(**fields)
    inquiry = await clients.intake.RegisterInquiry(form, metadata=clients.auth(), timeout=DEADLINE)
    on = "2026-04-01"
    await clients.put_on_list(inquiry.inquiry_id, on)
    await clients.intake.AssignInquiry(
        intake_pb2.AssignInquiryRequest(
            inquiry_id=inquiry.inquiry_id,
            consultant_id="consultant-1",
            consultant_name=CONSULTANT,
            distributed_on=on,
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    return inquiry.inquiry_id, form.citizens[0].cpr.replace("-", "")


async def deliveries_of(clients: Clients, inquiry_id: str) -> list[Any]:
    reply = await deliveries_stub(clients).ListDeliveries(
        deliveries_pb2.ListDeliveriesRequest(inquiry_id=inquiry_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    return list(reply.deliveries)


async def settled(clients: Clients, inquiry_id: str, *, count: int = 2) -> dict[str, Any]:
    """The inquiry's deliveries by kind, once every one of them is sent or failed."""

    async def probe() -> dict[str, Any] | None:
        found = await deliveries_of(clients, inquiry_id)
        done = len(found) == count and all(d.status in ("sent", "failed") for d in found)
        return {d.message_kind: d for d in found} if done else None

    return await eventually(probe, timeout=60)


def drops_of(platform: Platform, delivery_id: str) -> list[Path]:
    folder = platform.digital_post_dir / delivery_id.replace(":", "-")
    return [folder] if folder.exists() else []


async def team_support_notices(clients: Clients, delivery_id: str) -> list[Any]:
    reply = await clients.notifications.ListNotices(
        notifications_pb2.ListNoticesRequest(recipient_id="team-support", limit=500),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    return [n for n in reply.notices if n.subject_id == delivery_id]


async def test_an_assignment_sends_one_receipt_email_and_one_digital_post_letter(
    clients: Clients, platform: Platform
) -> None:
    inquiry_id, cpr = await assigned(clients)
    by_kind = await settled(clients, inquiry_id)
    receipt, personal = by_kind["receipt_letter"], by_kind["personal_data_letter"]
    assert (receipt.status, receipt.sent_via) == ("sent", "email")
    assert (personal.status, personal.sent_via) == ("sent", "digital_post")

    [mail] = mails_of(platform, receipt.delivery_id)
    assert mail["Message-ID"] == receipt.message_id
    assert "raadgiver@odense.dk" in mail["To"]
    assert CONSULTANT in body(mail)
    [letter] = attached_pdfs(mail)  # the receipt letter documents rendered from its template
    assert letter.startswith(b"%PDF-")

    [drop] = drops_of(platform, personal.delivery_id)
    metadata = json.loads((drop / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["format"] == "vias-digital-post/1"
    assert metadata["recipient"]["cpr"] == cpr
    assert CONSULTANT in (drop / "message.txt").read_text(encoding="utf-8")

    # The CPR number reached the drop only: not notifications' database, logs or events.
    db = clients.db("notifications")
    for collection in await db.list_collection_names():
        async for doc in db[collection].find({}):
            text = json_util.dumps(doc)
            assert cpr not in text and f"{cpr[:6]}-{cpr[6:]}" not in text, collection
    for log in platform.log_dir.glob("*.log"):
        assert cpr not in log.read_text(errors="replace"), log.name
    # Intake answered notifications' service token and audited it with the purpose.
    audit = await clients.db("intake").audit_trail.find_one(
        {"inquiry_id": inquiry_id, "call": "RevealCitizenCpr"}
    )
    assert audit is not None
    assert (audit["purpose"], audit["role"], audit["action"]) == (
        "digital post delivery",
        "system",
        "reveal_cpr",
    )
    metrics = clients.metrics("notifications")
    assert metric_value(metrics, "vias_deliveries_total", channel="email", status="sent") >= 1
    assert (
        metric_value(metrics, "vias_deliveries_total", channel="digital_post", status="sent") >= 1
    )


async def test_a_stopped_smtp_server_means_retries_the_fallback_and_a_team_support_task(
    clients: Clients, platform: Platform
) -> None:
    platform.smtp.stop()
    try:
        inquiry_id, _ = await assigned(clients)
        by_kind = await settled(clients, inquiry_id)
    finally:
        platform.smtp.start()
    receipt = by_kind["receipt_letter"]
    assert receipt.status == "failed"
    tried = [(a.channel, a.outcome) for a in receipt.attempts]
    assert tried == [("email", "failed")] * 4 + [("secure_email", "failed")] * 4
    # The citizen's Digital Post does not depend on the SMTP server.
    assert by_kind["personal_data_letter"].status == "sent"
    kinds = {n.kind for n in await team_support_notices(clients, receipt.delivery_id)}
    assert kinds == {"delivery_fallen_back", "delivery_failed"}
    assert mails_of(platform, receipt.delivery_id) == []

    # The server is back: Team Support retries, and the letter arrives once.
    stub = deliveries_stub(clients)
    await stub.RetryDelivery(
        deliveries_pb2.RetryDeliveryRequest(delivery_id=receipt.delivery_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )

    async def sent() -> bool:
        found = await stub.GetDelivery(
            deliveries_pb2.GetDeliveryRequest(delivery_id=receipt.delivery_id),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
        return bool(found.status == "sent" and found.sent_via == "email")

    await eventually(sent)
    assert len(mails_of(platform, receipt.delivery_id)) == 1


async def test_a_short_outage_is_ridden_out_by_the_retries(
    clients: Clients, platform: Platform
) -> None:
    platform.smtp.stop()
    try:
        inquiry_id, _ = await assigned(clients)

        async def failed_once() -> Any:
            found = await deliveries_of(clients, inquiry_id)
            receipts = [d for d in found if d.message_kind == "receipt_letter"]
            return receipts and any(a.outcome == "failed" for a in receipts[0].attempts)

        await eventually(failed_once)
    finally:
        platform.smtp.start()
    receipt = (await settled(clients, inquiry_id))["receipt_letter"]
    assert (receipt.status, receipt.sent_via) == ("sent", "email")
    assert receipt.attempts[0].outcome == "failed"
    assert len(mails_of(platform, receipt.delivery_id)) == 1
    assert await team_support_notices(clients, receipt.delivery_id) == []


async def test_a_redelivered_letter_event_sends_nothing_twice(
    clients: Clients, platform: Platform
) -> None:
    inquiry_id, _ = await assigned(clients)
    before = await settled(clients, inquiry_id)
    rows = clients.db("intake").outbox.find({"type": "InquiryLetterRequested"})
    events = [
        r async for r in rows if json.loads(r["value"])["payload"]["inquiry_id"] == inquiry_id
    ]
    assert len(events) == 2
    inbox = clients.db("notifications").inbox
    group = consumer_group("notifications")
    for row in events:
        # As if the inbox had forgotten the event (past its retention): only the deliveries'
        # idempotency keys stand between a redelivery and a second letter.
        await inbox.delete_one({"_id": f"{group}:{row['event_id']}"})
        await produce(platform, events_topic("intake"), row["key"], row["value"].encode())

    async def processed_again() -> bool:
        ids = [f"{group}:{row['event_id']}" for row in events]
        return bool(await inbox.count_documents({"_id": {"$in": ids}}) == len(ids))

    await eventually(processed_again)
    await asyncio.sleep(1.0)  # several worker rounds
    after = {d.message_kind: d for d in await deliveries_of(clients, inquiry_id)}
    assert set(after) == set(before)
    for kind, delivery in before.items():
        assert after[kind].attempts == delivery.attempts
    assert len(mails_of(platform, before["receipt_letter"].delivery_id)) == 1
    assert len(drops_of(platform, before["personal_data_letter"].delivery_id)) == 1


async def test_a_concern_report_reaches_a_municipal_mailbox_over_starttls_and_is_receipted(
    clients: Clients, platform: Platform
) -> None:
    """The channel issue 17's concern reports will use, on the embedded SMTP server (which
    offers STARTTLS with its own certificate; the channel refuses to send without it)."""
    settings = DeliverySettings(
        smtp_host="127.0.0.1", smtp_port=platform.smtp.port, smtp_ca_file=platform.smtp.ca_file
    )
    channel = SecureEmailChannel(settings, municipal_mailboxes())
    report = domain.queue(
        f"concern-{new_id()}:0",
        message_kind="concern_report",
        inquiry_id="h-concern",
        recipient=domain.Recipient(
            name="Odense Kommune", role="municipality", municipality_code="461"
        ),
        subject="Underretning",
        body="VISO underretter Odense Kommune.",
        now=utcnow(),
        send_within=timedelta(hours=1),
        source_event_id="concern",
        channels=["secure_email"],
    )
    await channel.send(report)
    [mail] = mails_of(platform, report.id)
    assert mail["To"] == "Odense Kommune <underretning@odense.dk>"
    assert mail["Message-ID"] == report.message_id
    with pytest.raises(Undeliverable):
        await channel.send(
            report.model_copy(
                update={
                    "recipient": report.recipient.model_copy(update={"municipality_code": "9999"})
                }
            )
        )

    # The receipt comes back for a sent delivery: Team Support records it.
    inquiry_id, _ = await assigned(clients)
    receipt = (await settled(clients, inquiry_id))["receipt_letter"]
    stub = deliveries_stub(clients)
    acknowledged = await stub.RecordDeliveryReceipt(
        deliveries_pb2.RecordDeliveryReceiptRequest(
            delivery_id=receipt.delivery_id, receipt="ODENSE-2026-0042"
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert (acknowledged.status, acknowledged.receipt) == ("delivered", "ODENSE-2026-0042")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.RetryDelivery(
            deliveries_pb2.RetryDeliveryRequest(delivery_id=receipt.delivery_id),
            metadata=clients.auth(),
            timeout=DEADLINE,
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_consultants_see_the_deliveries_of_their_own_cases_and_the_cli_lists_them(
    clients: Clients, platform: Platform
) -> None:
    inquiry_id, _ = await assigned(clients)
    await settled(clients, inquiry_id)
    stub = deliveries_stub(clients)
    request = deliveries_pb2.ListDeliveriesRequest(inquiry_id=inquiry_id)
    own = await stub.ListDeliveries(
        request, metadata=clients.auth(user="consultant-1", role="consultant"), timeout=DEADLINE
    )
    assert len(own.deliveries) == 2
    other = await stub.ListDeliveries(
        request, metadata=clients.auth(user="consultant-9", role="consultant"), timeout=DEADLINE
    )
    assert list(other.deliveries) == []
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.GetDelivery(
            deliveries_pb2.GetDeliveryRequest(delivery_id=own.deliveries[0].delivery_id),
            metadata=clients.auth(user="consultant-9", role="consultant"),
            timeout=DEADLINE,
        )
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    listed = vias_command(
        platform,
        "--as-role",
        "consultant",
        "--as-user",
        "consultant-1",
        "notifications",
        "deliveries",
        "list",
        "--inquiry",
        inquiry_id,
    )
    assert listed.returncode == 0, listed.stderr
    assert "receipt_letter" in listed.stdout and "digital_post" in listed.stdout
