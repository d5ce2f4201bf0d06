"""Extended phone advice: the form's deadline reaches the consultant and is met by the case."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

import grpc
import pytest

from services.intake.deadline_check import check_form_deadlines
from services.intake.domain.deadlines import DANISH_TIME
from services.intake.handlers import Intake
from services.intake.privacy import CprVault, IntakeSettings
from services.intake.reference import load_reference
from services.kernel.store import MongoStore
from services.notifications.texts import danish_date
from services.platform.infra import Platform
from tests.support import DEADLINE, Clients, eventually
from vias.intake.v1 import intake_pb2
from vias.notifications.v1 import notifications_pb2

RULE = "intake.phone_extended_form"


async def deadline_events(clients: Clients, inquiry_id: str) -> list[dict[str, Any]]:
    rows = (
        clients.db("intake")
        .outbox.find({"key": inquiry_id, "type": {"$regex": "^Deadline"}})
        .sort("seq", 1)
    )
    return [{"type": r["type"], **json.loads(r["value"])["payload"]} async for r in rows]


async def test_offered_extended_phone_advice_reminds_the_consultant_until_support_creates_the_case(
    clients: Clients,
) -> None:
    consultant = clients.auth(user="c-duty", role="consultant")
    phoned = await clients.intake.RegisterContactInquiry(
        intake_pb2.RegisterContactInquiryRequest(
            channel="phone",
            main_area="special_education",
            inquirer_type="ppr",
            municipality_code="751",
            summary="Skolevægring; tilbudt udvidet telefonrådgivning",
            outcome="offered_extended_phone_advice",
        ),
        metadata=consultant,
        timeout=DEADLINE,
    )
    assert phoned.form_due and "14:00" in phoned.form_due_explanation
    [deadline_set] = await deadline_events(clients, phoned.inquiry_id)
    assert (deadline_set["type"], deadline_set["rule"], deadline_set["due"]) == (
        "DeadlineSet",
        RULE,
        phoned.form_due,
    )
    assert deadline_set["responsible_user_id"] == "c-duty"

    async def reminded() -> Any:
        reply = await clients.notifications.ListNotices(
            notifications_pb2.ListNoticesRequest(limit=500),
            metadata=consultant,
            timeout=DEADLINE,
        )
        return [
            n
            for n in reply.notices
            if n.kind == "deadline_reminder" and n.subject_id == deadline_set["deadline_id"]
        ]

    [reminder] = await eventually(reminded)
    assert phoned.inquiry_id in reminder.text
    assert danish_date(date.fromisoformat(phoned.form_due)) in reminder.text

    request = intake_pb2.CreateInternalCaseRequest(
        kind="phone_extended",
        consultant_id="c-duty",
        main_area="special_education",
        inquirer_type="ppr",
        inquirer_name="PPR Aarhus",
        municipality_code="751",
        description="Udvidet telefonrådgivning om skolevægring",
        origin_inquiry_id=phoned.inquiry_id,
    )
    created = await clients.intake.CreateInternalCase(
        request, metadata=clients.auth(), timeout=DEADLINE
    )
    phone = await clients.intake.GetInquiry(
        intake_pb2.GetInquiryRequest(inquiry_id=phoned.inquiry_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert (phone.extended_case_id, phone.form_due) == (created.inquiry_id, phoned.form_due)
    assert phone.form_met_on and phone.form_deadline_state == "met"
    events = await deadline_events(clients, phoned.inquiry_id)
    assert [e["type"] for e in events] == ["DeadlineSet", "DeadlineMet"]
    assert events[1]["deadline_id"] == deadline_set["deadline_id"]
    assert events[1]["met_on"] == phone.form_met_on
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await clients.intake.CreateInternalCase(request, metadata=clients.auth(), timeout=DEADLINE)
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def intake_beside(clients: Clients, platform: Platform) -> Intake:
    """Intake's use cases in this process, on the platform's own database (for the check)."""
    settings = IntakeSettings(auth_signing_key_file=platform.signing_key_file)
    store = MongoStore(clients.mongo, platform.settings.database_name("intake"), "intake")
    return Intake(
        store=store, ref=load_reference(), vault=CprVault.from_settings(settings), settings=settings
    )


async def test_a_form_still_missing_at_14_on_its_due_day_is_escalated_once(
    clients: Clients, platform: Platform
) -> None:
    consultant = clients.auth(user="c-late", role="consultant")
    phoned = await clients.intake.RegisterContactInquiry(
        intake_pb2.RegisterContactInquiryRequest(
            channel="phone",
            main_area="adults",
            inquirer_type="municipal_offer",
            municipality_code="461",
            summary="Tilbudt udvidet telefonrådgivning; formularen kom aldrig",
            outcome="offered_extended_phone_advice",
        ),
        metadata=consultant,
        timeout=DEADLINE,
    )
    due = date.fromisoformat(phoned.form_due)
    app = intake_beside(clients, platform)
    before = datetime.combine(due, time(13, 59), tzinfo=DANISH_TIME)
    at_cutoff = datetime.combine(due, time(14, 0), tzinfo=DANISH_TIME)
    await check_form_deadlines(app, now=before)
    assert [e["type"] for e in await deadline_events(clients, phoned.inquiry_id)] == ["DeadlineSet"]
    await check_form_deadlines(app, now=at_cutoff)
    events = await deadline_events(clients, phoned.inquiry_id)
    assert [e["type"] for e in events] == ["DeadlineSet", "DeadlineMissed"]
    phone = await clients.intake.GetInquiry(
        intake_pb2.GetInquiryRequest(inquiry_id=phoned.inquiry_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert phone.form_deadline_state == "missed"

    async def escalated() -> Any:
        reply = await clients.notifications.ListNotices(
            notifications_pb2.ListNoticesRequest(limit=500),
            metadata=consultant,
            timeout=DEADLINE,
        )
        return [
            n
            for n in reply.notices
            if n.kind == "deadline_escalation" and n.subject_id == events[1]["deadline_id"]
        ]

    [escalation] = await eventually(escalated)
    assert phoned.inquiry_id in escalation.text
