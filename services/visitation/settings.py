"""Visitation's own configuration, from `VIAS_VISITATION_*` environment variables."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.workdays import WorkingDayCalendar
from services.workdays.settings import CalendarSettings, platform_calendar

log = logging.getLogger(__name__)


class VisitationSettings(BaseSettings):
    """Reference data, time zone and the deadline check; closing days are the platform's."""

    model_config = SettingsConfigDict(env_prefix="VIAS_VISITATION_", extra="ignore")

    services_file: Path | None = Field(
        default=None, description="Advisory services reference data; default: the shipped file."
    )
    deadline_check_interval_s: float = Field(
        default=3600.0, gt=0, description="How often overdue deadlines are looked for."
    )
    check_as_of_max_days_ahead: int = Field(
        default_factory=lambda: CalendarSettings().deadline_check_max_days_ahead,
        ge=0,
        le=366,
        description="How far after today a manager's CheckDeadlines may look (as_of); 0: not "
        "at all. Default: the platform's VIAS_DEADLINE_CHECK_MAX_DAYS_AHEAD (this one, kept "
        "for older configurations, overrides it for visitation).",
    )
    timezone: str = Field(default="Europe/Copenhagen", description="Whose 'today' counts.")

    def calendar(self) -> WorkingDayCalendar:
        """The platform's working-day calendar (`VIAS_RECURRING_CLOSING_DAYS`, ...)."""
        return platform_calendar()

    def zone(self) -> tzinfo:
        """The configured time zone; UTC if the system has no time-zone data."""
        try:
            return ZoneInfo(self.timezone)
        except ZoneInfoNotFoundError:
            log.warning("time zone %s unknown; using UTC for 'today'", self.timezone)
            return UTC

    def today(self) -> date:
        """Today's date where the deadlines apply."""
        return datetime.now(self.zone()).date()
