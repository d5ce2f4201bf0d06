"""The platform's one calendar configuration: every deadline uses the same closing days."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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

    def calendar(self) -> WorkingDayCalendar:
        """The working-day calendar with the configured closing days."""
        return WorkingDayCalendar(
            recurring_closing_days=self.recurring_closing_days,
            extra_closing_days=self.extra_closing_days,
        )


def platform_calendar() -> WorkingDayCalendar:
    """The calendar every deadline of the platform is computed with (read from the environment)."""
    return CalendarSettings().calendar()
