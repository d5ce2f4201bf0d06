"""The platform's one calendar configuration: every deadline uses the same closing days."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.kernel.errors import InvalidInput
from services.workdays.calendar import (
    DEFAULT_RECURRING_CLOSING_DAYS,
    DatedClosingDay,
    RecurringClosingDay,
    WorkingDayCalendar,
)


class CalendarSettings(BaseSettings):
    """Closing days beyond the Danish public holidays, from `VIAS_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="VIAS_", extra="ignore")

    recurring_closing_days: tuple[RecurringClosingDay, ...] = Field(
        default=DEFAULT_RECURRING_CLOSING_DAYS,
        description='Yearly closing days as JSON, e.g. ["06-05", "12-24", "12-31"].',
    )
    extra_closing_days: tuple[DatedClosingDay, ...] = Field(
        default=(), description='Dated closing days as JSON, e.g. ["2026-12-28 Office move"].'
    )
    deadline_check_max_days_ahead: int = Field(
        default=0,
        ge=0,
        le=366,
        description="How far after today a manager's CheckDeadlines may look (as_of), in every "
        "service; 0: not at all. Only for rehearsals and tests: a deadline reported missed "
        "early stays missed.",
    )

    def calendar(self) -> WorkingDayCalendar:
        """The working-day calendar with the configured closing days."""
        return WorkingDayCalendar(
            recurring_closing_days=self.recurring_closing_days,
            extra_closing_days=self.extra_closing_days,
        )


def platform_calendar() -> WorkingDayCalendar:
    """The calendar every deadline of the platform is computed with (read from the environment)."""
    return CalendarSettings().calendar()


def requested_day(text: str, *, today: date, field: str = "as_of") -> date:
    """The day a manager's check asks for as YYYY-MM-DD (empty: today), within the look-ahead
    the settings allow (`check_day`)."""
    as_of = None
    if text.strip():
        try:
            as_of = date.fromisoformat(text.strip())
        except ValueError:
            raise InvalidInput.single(field, "not a date (YYYY-MM-DD)") from None
    return check_day(
        today=today,
        as_of=as_of,
        max_days_ahead=CalendarSettings().deadline_check_max_days_ahead,
    )


def check_day(*, today: date, as_of: date | None, max_days_ahead: int) -> date:
    """The day a manager's deadline check counts from: today, or `as_of` up to
    `max_days_ahead` days after today (reporting a deadline missed early cannot be undone).

    The same rule in every service: as_of in the future beyond the limit is INVALID_ARGUMENT.
    """
    if as_of is None:
        return today
    if as_of > today + timedelta(days=max_days_ahead):
        limit = "today" if max_days_ahead == 0 else f"{max_days_ahead} days after today"
        raise InvalidInput.single("as_of", f"must not be after {limit}")
    return as_of
