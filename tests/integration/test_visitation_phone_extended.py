"""Extended phone advice created by intake's internal procedure gets the supplier-contact
deadline (H 4.4.1) in visitation, and the consultant's recorded contact meets it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from services.kernel.envelope import new_id
from tests.integration.test_walking_skeleton import case_of
from tests.integration.visitation_helpers import CLOSING_DAYS, call, outbox_events, staff
from tests.support import DEADLINE, Clients
from vias.intake.v1 import intake_pb2
from vias.visitation.v1 import visitation_pb2 as pb

RULE = "visitation.phone_extended_supplier_contact"


def two_days_then_a_working_day(start: date) -> date:
    """Two calendar days on, moved forward past weekends, holidays and closing days."""
    public = holidays.country_holidays("DK", years=range(start.year, start.year + 2))
    day = start + timedelta(days=2)
    while day.weekday() >= 5 or day in public or (day.month, day.day) in CLOSING_DAYS:
        day += timedelta(days=1)
    return day


async def test_extended_phone_advice_must_reach_a_supplier_within_two_days(
    clients: Clients,
) -> None:
    consultant = f"consultant-{new_id()[:8]}"
    created = await clients.intake.CreateInternalCase(
        intake_pb2.CreateInternalCaseRequest(
            kind="phone_extended",
            consultant_id=consultant,
            main_area="special_education",
            inquirer_type="ppr",
            inquirer_name="PPR Aarhus",
            municipality_code="751",
            description="Udvidet telefonrådgivning om skolevægring",
        ),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assigned_on = datetime.now(ZoneInfo("Europe/Copenhagen")).date()
    case = await case_of(clients, created.inquiry_id)
    [deadline] = [d for d in case.deadlines if d.rule == RULE]
    assert (deadline.start, deadline.due, deadline.status) == (
        assigned_on.isoformat(),
        two_days_then_a_working_day(assigned_on).isoformat(),
        "open",
    )
    assert (deadline.responsible_role, deadline.responsible_user_id) == ("consultant", consultant)
    [announced] = [
        e for e in await outbox_events(clients, case.case_id, "DeadlineSet") if e["rule"] == RULE
    ]
    assert announced["due"] == deadline.due

    contacted = await call(
        clients.visitation.RecordSupplierContact,
        pb.RecordSupplierContactRequest(
            case_id=case.case_id,
            supplier_id="supplier-phone",
            contacted_on=assigned_on.isoformat(),
            note="The specialist calls the PPR psychologist on Friday.",
        ),
        staff(clients, consultant),
    )
    [met] = [d for d in contacted.deadlines if d.rule == RULE]
    assert (met.status, met.met_on) == ("met", assigned_on.isoformat())
    assert [(c.supplier_id, c.recorded_by) for c in contacted.supplier_contacts] == [
        ("supplier-phone", consultant)
    ]
    [event] = [
        e for e in await outbox_events(clients, case.case_id, "DeadlineMet") if e["rule"] == RULE
    ]
    assert event["met_on"] == assigned_on.isoformat()
