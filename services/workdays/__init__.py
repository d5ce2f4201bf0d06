"""Danish working-day calendar for statutory deadlines."""

from services.workdays.calendar import (
    DEFAULT_CALENDAR,
    DEFAULT_RECURRING_CLOSING_DAYS,
    DatedClosingDay,
    Deadline,
    RecurringClosingDay,
    SkippedDay,
    WorkingDayCalendar,
    add_calendar_days,
    add_months,
    end_of_month,
)

__all__ = [
    "DEFAULT_CALENDAR",
    "DEFAULT_RECURRING_CLOSING_DAYS",
    "DatedClosingDay",
    "Deadline",
    "RecurringClosingDay",
    "SkippedDay",
    "WorkingDayCalendar",
    "add_calendar_days",
    "add_months",
    "end_of_month",
]
