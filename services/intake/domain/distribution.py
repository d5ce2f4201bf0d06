"""Distribution days (H 4.2): lists on configured weekdays, moved past Danish holidays; no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from services.workdays import WorkingDayCalendar

_DAY = timedelta(days=1)


def is_distribution_day(day: date, calendar: WorkingDayCalendar, weekdays: Sequence[int]) -> bool:
    """Whether a list is made on `day`: a scheduled weekday, or where a closed one moved to."""
    for back in range(8):
        scheduled = day - back * _DAY
        if scheduled.weekday() in weekdays and calendar.roll_to_working_day(scheduled) == day:
            return True
    return False


def next_distribution_day(
    after: date, calendar: WorkingDayCalendar, weekdays: Sequence[int]
) -> date:
    """The first distribution day strictly after `after`: the list a new inquiry waits for."""
    if not weekdays:
        raise ValueError("no distribution weekdays configured")
    day = after + _DAY
    while not is_distribution_day(day, calendar, weekdays):
        day += _DAY
    return day
