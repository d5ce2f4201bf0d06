"""Danish working days: public holidays, weekends and configurable closing days, and deadlines.

Conventions:
- `add_working_days(start, n)` with n >= 1 is the n-th working day strictly after `start`; the
  start day never counts. n == 0 is `start` if it is a working day, else the next working day,
  so the result is always a working day. Negative n is refused (ValueError).
- `working_days_between(a, b)` counts the working days d with a < d <= b (negated when b < a), so
  `working_days_between(s, add_working_days(s, n)) == n` for n >= 1, and for n == 0 when `s` is
  a working day.
- `add_calendar_days` and `add_months` accept any n; `add_months` clamps to the end of the month.
  The `explain_*` methods describe deadlines after an event and refuse negative n.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import cache
from typing import Literal

from holidays import country_holidays
from pydantic import BaseModel, ConfigDict, Field, model_validator

Unit = Literal["working day", "calendar day", "month"]

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_KNOWN_CLOSING_DAYS = {
    (6, 5): "Constitution Day",
    (12, 24): "Christmas Eve",
    (12, 31): "New Year's Eve",
}
_ONE_DAY = timedelta(days=1)


@cache
def _public_holidays(year: int) -> dict[date, str]:
    """Danish public holidays of one year, with English names."""
    return dict(country_holidays("DK", years=year, language="en_US"))


def _closing_reason(name: str | None) -> str:
    """The reason text of a closing day with an optional name."""
    return f"{name} (closing day)" if name else "closing day"


def _split_name(value: str) -> tuple[str, str | None]:
    """Split "06-05 Constitution Day" into the date part and the optional name."""
    head, _, name = value.strip().partition(" ")
    return head, name.strip() or None


class RecurringClosingDay(BaseModel):
    """A closing day every year on a month and day; parses "06-05" or "06-05 Constitution Day"."""

    model_config = ConfigDict(frozen=True)

    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        """Accept the "MM-DD[ name]" string form."""
        if isinstance(value, str):
            head, name = _split_name(value)
            month, _, day = head.partition("-")
            return {"month": month, "day": day, "name": name}
        return value

    @model_validator(mode="after")
    def _exists(self) -> RecurringClosingDay:
        """Refuse month-days that exist in no year, such as 02-30."""
        date(2000, self.month, self.day)
        return self

    @property
    def reason(self) -> str:
        """Why the day is closed, e.g. "Constitution Day (closing day)"."""
        return _closing_reason(self.name or _KNOWN_CLOSING_DAYS.get((self.month, self.day)))


class DatedClosingDay(BaseModel):
    """A closing day on one date; parses "2026-12-28" or "2026-12-28 Office move"."""

    model_config = ConfigDict(frozen=True)

    on: date
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        """Accept a date or the "YYYY-MM-DD[ name]" string form."""
        if isinstance(value, date):
            return {"on": value}
        if isinstance(value, str):
            head, name = _split_name(value)
            return {"on": head, "name": name}
        return value

    @property
    def reason(self) -> str:
        """Why the day is closed."""
        return _closing_reason(self.name)


DEFAULT_RECURRING_CLOSING_DAYS: tuple[RecurringClosingDay, ...] = tuple(
    RecurringClosingDay(month=month, day=day, name=name)
    for (month, day), name in _KNOWN_CLOSING_DAYS.items()
)
"""Closing days of the Danish public administration: 5 June, 24 December and 31 December."""


class SkippedDay(BaseModel):
    """A non-working day passed over when computing a deadline, with the reason."""

    model_config = ConfigDict(frozen=True)

    day: date
    reason: str


class Deadline(BaseModel):
    """A computed due date with the rule, the skipped non-working days and an explanation."""

    model_config = ConfigDict(frozen=True)

    rule: str
    start: date
    n: int
    unit: Unit
    due: date
    rolled_from: date | None = None
    skipped: tuple[SkippedDay, ...] = ()
    explanation: str


def _fmt(d: date) -> str:
    """A day as "Friday 2026-05-08"."""
    return f"{_WEEKDAYS[d.weekday()]} {d.isoformat()}"


def _rule(n: int, unit: Unit) -> str:
    """The rule text, e.g. "7 working days" or "1 month"."""
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _skipped_text(skipped: Iterable[tuple[date, str]]) -> str:
    """The "skipped: ..." clause of an explanation."""
    listed = ", ".join(f"{day.isoformat()} {reason}" for day, reason in skipped)
    return f"skipped: {listed}" if listed else "no non-working days skipped"


def _non_negative(n: int) -> None:
    """Refuse a negative count."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")


def add_calendar_days(start: date, n: int) -> date:
    """The day n calendar days after `start` (before it when n is negative)."""
    return start + timedelta(days=n)


def end_of_month(d: date) -> date:
    """The last day of the month of `d`."""
    return d.replace(day=_calendar.monthrange(d.year, d.month)[1])


def add_months(start: date, n: int) -> date:
    """The same day n months later (earlier when negative), clamped to the end of the month."""
    year, month = divmod(start.year * 12 + start.month - 1 + n, 12)
    first = date(year, month + 1, 1)
    return first.replace(day=min(start.day, end_of_month(first).day))


class WorkingDayCalendar(BaseModel):
    """Danish working days: Monday to Friday minus public holidays and configured closing days."""

    model_config = ConfigDict(frozen=True)

    recurring_closing_days: tuple[RecurringClosingDay, ...] = DEFAULT_RECURRING_CLOSING_DAYS
    extra_closing_days: tuple[DatedClosingDay, ...] = ()

    def closing_reason(self, d: date) -> str | None:
        """Why `d` is not a working day, or None when it is one."""
        if isinstance(d, datetime):
            raise TypeError("expected a date, not a datetime")
        holiday = _public_holidays(d.year).get(d)
        if holiday is not None:
            return holiday
        for dated in self.extra_closing_days:
            if dated.on == d:
                return dated.reason
        for recurring in self.recurring_closing_days:
            if (recurring.month, recurring.day) == (d.month, d.day):
                return recurring.reason
        return _WEEKDAYS[d.weekday()] if d.weekday() >= 5 else None

    def is_working_day(self, d: date) -> bool:
        """Whether `d` is a working day."""
        return self.closing_reason(d) is None

    def _walk(self, start: date, n: int) -> tuple[date, list[tuple[date, str]]]:
        """The due date of n working days after `start` and the non-working days passed over."""
        _non_negative(n)
        day, skipped = start, []
        if n == 0:
            while (reason := self.closing_reason(day)) is not None:
                skipped.append((day, reason))
                day += _ONE_DAY
            return day, skipped
        while n:
            day += _ONE_DAY
            reason = self.closing_reason(day)
            if reason is None:
                n -= 1
            else:
                skipped.append((day, reason))
        return day, skipped

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start`; n == 0 rolls a non-working `start` forward."""
        return self._walk(start, n)[0]

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        return self.add_working_days(d, 1)

    def roll_to_working_day(self, d: date) -> date:
        """`d` if it is a working day, else the next working day."""
        return self.add_working_days(d, 0)

    def working_days_between(self, a: date, b: date) -> int:
        """The number of working days d with a < d <= b; negative when b is before a."""
        if b < a:
            return -self.working_days_between(b, a)
        days = (a + timedelta(days=i) for i in range(1, (b - a).days + 1))
        return sum(self.is_working_day(d) for d in days)

    def explain_working_days(self, start: date, n: int) -> Deadline:
        """The deadline n working days after `start`, with the skipped days and why."""
        due, skipped = self._walk(start, n)
        rule = _rule(n, "working day")
        explanation = f"{rule} after {_fmt(start)} is {_fmt(due)}; {_skipped_text(skipped)}"
        return Deadline(
            rule=rule,
            start=start,
            n=n,
            unit="working day",
            due=due,
            skipped=tuple(SkippedDay(day=d, reason=r) for d, r in skipped),
            explanation=explanation,
        )

    def _explain_date(
        self, start: date, n: int, unit: Unit, raw: date, roll_to_working_day: bool
    ) -> Deadline:
        """A calendar-day or month deadline, optionally rolled to the next working day."""
        _non_negative(n)
        rule = _rule(n, unit)
        text = f"{rule} after {_fmt(start)} is {_fmt(raw)}"
        if unit == "month" and raw.day < start.day:
            text += " (clamped to the end of the month)"
        reason = self.closing_reason(raw)
        due, skipped = raw, list[tuple[date, str]]()
        if reason is not None and roll_to_working_day:
            due, skipped = self._walk(raw, 0)
            text += f", not a working day; rolled to {_fmt(due)}; {_skipped_text(skipped)}"
        elif reason is not None:
            text += f", not a working day ({reason})"
        return Deadline(
            rule=rule,
            start=start,
            n=n,
            unit=unit,
            due=due,
            rolled_from=raw if due != raw else None,
            skipped=tuple(SkippedDay(day=d, reason=r) for d, r in skipped),
            explanation=text,
        )

    def explain_calendar_days(
        self, start: date, n: int, *, roll_to_working_day: bool = False
    ) -> Deadline:
        """The deadline n calendar days after `start`, optionally rolled to a working day."""
        return self._explain_date(
            start, n, "calendar day", add_calendar_days(start, n), roll_to_working_day
        )

    def explain_months(self, start: date, n: int, *, roll_to_working_day: bool = False) -> Deadline:
        """The deadline n months after `start`, optionally rolled to a working day."""
        return self._explain_date(start, n, "month", add_months(start, n), roll_to_working_day)


DEFAULT_CALENDAR = WorkingDayCalendar()
"""The calendar with the default closing days and no dated closing days."""
