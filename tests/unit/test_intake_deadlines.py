"""The extended phone advice form is due at Team Support before 14:00 Danish time (H 4.4.1)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.contracts.deadlines import DeadlineMet, DeadlineSet
from services.intake import domain
from services.intake.commands import CloseContactInquiry, CreateInternalCase, RegisterContactInquiry
from services.intake.domain import Inquiry
from services.intake.domain.deadlines import FORM_RULE, form_deadline
from services.intake.privacy import IntakeSettings
from services.intake.reference import load_reference
from services.kernel.errors import IllegalTransition
from services.workdays import WorkingDayCalendar

REF = load_reference()
CALENDAR = WorkingDayCalendar()
DK = ZoneInfo("Europe/Copenhagen")


def danish(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=DK)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (danish(2026, 11, 23, 9, 30), date(2026, 11, 23)),  # Monday morning: same day
        (danish(2026, 11, 23, 13, 59), date(2026, 11, 23)),  # a minute before the cut-off
        (danish(2026, 11, 23, 14, 0), date(2026, 11, 24)),  # at 14:00: next working day
        (danish(2026, 11, 27, 16, 10), date(2026, 11, 30)),  # Friday afternoon: Monday
        (danish(2026, 5, 22, 15, 30), date(2026, 5, 26)),  # Friday before Whit Monday: Tuesday
        (danish(2026, 5, 22, 11, 0), date(2026, 5, 22)),  # same Friday before 14:00
        (danish(2026, 12, 23, 15, 0), date(2026, 12, 28)),  # past 24 Dec, Christmas, weekend
        (danish(2026, 11, 28, 10, 0), date(2026, 11, 30)),  # Saturday morning: Monday
        (danish(2026, 5, 14, 9, 0), date(2026, 5, 15)),  # Ascension Day: next working day
    ],
)
def test_the_form_is_due_the_same_day_before_14_else_the_next_working_day(
    received: datetime, due: date
) -> None:
    deadline = form_deadline("p1", received_at=received, consultant_id="c1", calendar=CALENDAR)
    assert (deadline.start, deadline.due) == (received.date(), due)
    assert "14:00" in deadline.explanation and received.strftime("%H:%M") in deadline.explanation


def test_the_cut_off_is_danish_time_not_utc() -> None:
    summer = datetime(2026, 6, 10, 12, 30, tzinfo=UTC)  # 14:30 in Copenhagen (CEST)
    winter = datetime(2026, 12, 10, 12, 30, tzinfo=UTC)  # 13:30 in Copenhagen (CET)
    assert form_deadline("p", received_at=summer, consultant_id="c", calendar=CALENDAR).due == (
        date(2026, 6, 11)
    )
    assert form_deadline("p", received_at=winter, consultant_id="c", calendar=CALENDAR).due == (
        date(2026, 12, 10)
    )


def test_the_friday_afternoon_explanation_names_the_skipped_days() -> None:
    deadline = form_deadline(
        "p1", received_at=danish(2026, 5, 22, 15, 30), consultant_id="c1", calendar=CALENDAR
    )
    assert "at or after 14:00" in deadline.explanation
    assert (
        "2026-05-25 Pentecost Monday" in deadline.explanation
        and "Tuesday 2026-05-26" in deadline.explanation
    )


def call(outcome: str | None = None) -> RegisterContactInquiry:
    return RegisterContactInquiry.model_validate(
        {
            "channel": "phone",
            "main_area": "special_education",
            "inquirer_type": "ppr",
            "municipality_code": "751",
            "summary": "Skolevægring",
            "outcome": outcome,
        }
    )


def registered(outcome: str | None, at: datetime) -> tuple[Inquiry, list[object]]:
    inquiry, events = domain.register_contact(
        call(outcome), inquiry_id="p1", ref=REF, now=at, by="c-phone", calendar=CALENDAR
    )
    return inquiry, list(events)


def test_offering_extended_phone_advice_sets_the_consultant_s_deadline() -> None:
    inquiry, events = registered("offered_extended_phone_advice", danish(2026, 5, 22, 15, 30))
    [deadline] = [e for e in events if isinstance(e, DeadlineSet)]
    assert (deadline.case_id, deadline.rule, deadline.start, deadline.due) == (
        "p1",
        FORM_RULE,
        date(2026, 5, 22),
        date(2026, 5, 26),
    )
    assert (deadline.responsible_user_id, deadline.responsible_role, deadline.consultant_id) == (
        "c-phone",
        "consultant",
        "c-phone",
    )
    assert inquiry.form_deadline is not None
    assert inquiry.form_deadline.deadline_id == deadline.deadline_id
    advised, events = registered("advised", danish(2026, 5, 22, 15, 30))
    assert advised.form_deadline is None and not any(isinstance(e, DeadlineSet) for e in events)


def test_closing_later_counts_from_when_the_call_was_received() -> None:
    open_call, _ = registered(None, danish(2026, 11, 23, 10, 0))
    closed, events = domain.close_contact(
        open_call,
        CloseContactInquiry(inquiry_id="p1", outcome="offered_extended_phone_advice"),
        now=danish(2026, 11, 23, 15, 0),
        calendar=CALENDAR,
    )
    [deadline] = [e for e in events if isinstance(e, DeadlineSet)]
    assert deadline.due == date(2026, 11, 23)
    assert closed.form_deadline is not None and closed.form_deadline.due == date(2026, 11, 23)


def extended_case(
    origin: Inquiry, at: datetime, case_id: str = "n1"
) -> tuple[Inquiry, list[object]]:
    command = CreateInternalCase(
        kind="phone_extended",
        consultant_id="c-phone",
        main_area="special_education",
        inquirer_type="ppr",
        inquirer_name="PPR Aarhus",
        municipality_code="751",
        description="Udvidet telefonrådgivning",
        origin_inquiry_id=origin.id,
    )
    _, changed, events = domain.create_internal(
        command, inquiry_id=case_id, origin=origin, ref=REF, now=at, by="support-1"
    )
    assert changed is not None
    return changed, list(events)


def test_support_creating_the_case_meets_the_deadline_once() -> None:
    offered, _ = registered("offered_extended_phone_advice", danish(2026, 5, 22, 15, 30))
    origin, events = extended_case(offered, danish(2026, 5, 26, 9, 0))
    [met] = [e for e in events if isinstance(e, DeadlineMet)]
    assert (met.case_id, met.met_on, met.due) == ("p1", date(2026, 5, 26), date(2026, 5, 26))
    assert origin.form_deadline is not None
    assert (origin.form_deadline.met_on, origin.form_deadline.case_id) == (date(2026, 5, 26), "n1")
    with pytest.raises(IllegalTransition):
        extended_case(origin, danish(2026, 5, 26, 10, 0), case_id="n2")


def test_an_open_deadline_is_overdue_from_14_00_on_its_due_day_and_reported_once() -> None:
    offered, _ = registered("offered_extended_phone_advice", danish(2026, 5, 22, 15, 30))
    deadline = offered.form_deadline
    assert deadline is not None and deadline.due == date(2026, 5, 26)
    assert not deadline.overdue(danish(2026, 5, 26, 13, 59))
    assert deadline.overdue(danish(2026, 5, 26, 14, 0))
    assert deadline.overdue(datetime(2026, 5, 26, 12, 0, tzinfo=UTC))  # 14:00 CEST
    missed, event = domain.report_missed("p1", deadline, now=danish(2026, 5, 26, 14, 5))
    assert (missed.state, missed.missed_on) == ("missed", date(2026, 5, 26))
    assert (event.deadline_id, event.due, event.responsible_user_id) == (
        deadline.deadline_id,
        date(2026, 5, 26),
        "c-phone",
    )
    assert not missed.overdue(danish(2026, 5, 27, 9, 0))
    late, events = extended_case(
        offered.model_copy(update={"form_deadline": missed}), danish(2026, 5, 27, 9, 0)
    )
    assert late.form_deadline is not None and late.form_deadline.state == "met"
    assert not late.form_deadline.overdue(danish(2026, 5, 28, 15, 0))
    assert [type(e).__name__ for e in events][-1] == "DeadlineMet"


def test_configured_closing_days_move_the_form_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIAS_EXTRA_CLOSING_DAYS", '["2026-11-24 Office move"]')
    calendar = IntakeSettings().calendar()
    deadline = form_deadline(
        "p1", received_at=danish(2026, 11, 23, 15, 0), consultant_id="c1", calendar=calendar
    )
    assert deadline.due == date(2026, 11, 25)
    assert "2026-11-24 Office move (closing day)" in deadline.explanation
    monkeypatch.delenv("VIAS_EXTRA_CLOSING_DAYS")
    assert not IntakeSettings().calendar().extra_closing_days
