"""The form for extended phone advice goes to Team Support before 14:00 (H 4.4.1); no I/O.

The handbook: the consultant "sender mail med udfyldt formular vedhæftet til Team Support før
kl. 14 samme dag, som henvendelsen er modtaget". A call received at or after 14:00 Danish time,
or on a day that is not a working day, cannot meet "before 14:00 the same day": the form is then
due before 14:00 on the next working day, the first moment the rule can be met again. The
deadline is met when Support creates the extended phone advice case from the phone inquiry.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from services.contracts.deadlines import DeadlineMet, DeadlineMissed, DeadlineSet
from services.workdays import WorkingDayCalendar

DANISH_TIME = ZoneInfo("Europe/Copenhagen")
FORM_CUTOFF = time(14, 0)
FORM_RULE = "intake.phone_extended_form"
FORM_RULE_TEXT = "send the extended phone advice form to Team Support before 14:00"
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class FormDeadline(BaseModel):
    """The due date of the form for extended phone advice, kept on the phone inquiry."""

    model_config = ConfigDict(frozen=True)

    deadline_id: str
    start: date
    due: date
    explanation: str
    consultant_id: str
    state: Literal["open", "met", "missed"] = "open"
    met_on: date | None = None
    missed_on: date | None = None
    case_id: str | None = None

    def overdue(self, now: datetime) -> bool:
        """Still open when 14:00 Danish time on the due day has come."""
        local = now.astimezone(DANISH_TIME)
        return self.state == "open" and (local.date(), local.time()) >= (self.due, FORM_CUTOFF)


def _day(d: date) -> str:
    return f"{_WEEKDAYS[d.weekday()]} {d.isoformat()}"


def form_deadline(
    inquiry_id: str, *, received_at: datetime, consultant_id: str, calendar: WorkingDayCalendar
) -> FormDeadline:
    """When the form is due, for a call received at `received_at`, with the reasoning."""
    local = received_at.astimezone(DANISH_TIME)
    day, clock = local.date(), f"{local:%H:%M}"
    received = f"call received {_day(day)} at {clock} Danish time"
    closed = calendar.closing_reason(day)
    if closed is None and local.time() < FORM_CUTOFF:
        due = day
        explanation = f"{received}, before 14:00: due before 14:00 the same day"
    else:
        why = "at or after 14:00" if closed is None else f"on a non-working day ({closed})"
        next_day = calendar.explain_working_days(day, 1)
        due = next_day.due
        explanation = (
            f"{received}, {why}: before 14:00 the same day cannot be met, so due before 14:00 "
            f"on the next working day ({next_day.explanation})"
        )
    return FormDeadline(
        deadline_id=f"{inquiry_id}/{FORM_RULE}",
        start=day,
        due=due,
        explanation=explanation,
        consultant_id=consultant_id,
    )


def _fields(case_id: str, deadline: FormDeadline) -> dict[str, object]:
    return {
        "deadline_id": deadline.deadline_id,
        "case_id": case_id,
        "rule": FORM_RULE,
        "rule_text": FORM_RULE_TEXT,
        "start": deadline.start,
        "due": deadline.due,
        "explanation": deadline.explanation,
        "responsible_user_id": deadline.consultant_id,
        "responsible_role": "consultant",
        "consultant_id": deadline.consultant_id,
    }


def deadline_set(case_id: str, deadline: FormDeadline) -> DeadlineSet:
    """The event announcing the due date (notifications reminds the consultant)."""
    return DeadlineSet.model_validate(_fields(case_id, deadline))


def deadline_met(case_id: str, deadline: FormDeadline, *, met_on: date) -> DeadlineMet:
    """The event recording that Support created the case from the phone inquiry."""
    return DeadlineMet.model_validate({**_fields(case_id, deadline), "met_on": met_on})


def met(deadline: FormDeadline, *, case_id: str, now: datetime) -> FormDeadline:
    """The deadline after Support created the case (late or not)."""
    return deadline.model_copy(
        update={"state": "met", "met_on": danish_date(now), "case_id": case_id}
    )


def report_missed(
    case_id: str, deadline: FormDeadline, *, now: datetime
) -> tuple[FormDeadline, DeadlineMissed]:
    """The overdue deadline marked missed, and the event that escalates it; reported once."""
    missed = deadline.model_copy(update={"state": "missed", "missed_on": danish_date(now)})
    return missed, DeadlineMissed.model_validate(_fields(case_id, missed))


def danish_date(moment: datetime) -> date:
    """The date in Denmark at `moment`."""
    return moment.astimezone(DANISH_TIME).date()
