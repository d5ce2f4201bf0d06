"""The Danish working-day calendar: holidays, closing days, date arithmetic and explanations."""

from datetime import date, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.workdays import (
    DEFAULT_CALENDAR,
    DEFAULT_RECURRING_CLOSING_DAYS,
    DatedClosingDay,
    RecurringClosingDay,
    SkippedDay,
    WorkingDayCalendar,
    add_calendar_days,
    add_months,
    end_of_month,
)

CAL = DEFAULT_CALENDAR
NO_CLOSING_DAYS = WorkingDayCalendar(recurring_closing_days=())


@pytest.mark.parametrize("easter", [date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5)])
def test_easter_sunday_is_a_holiday(easter: date) -> None:
    assert not CAL.is_working_day(easter)
    assert CAL.closing_reason(easter) == "Easter Sunday"


def test_five_working_days_across_easter() -> None:
    assert date(2026, 4, 1).weekday() == 2
    assert CAL.add_working_days(date(2026, 4, 1), 5) == date(2026, 4, 13)
    assert date(2026, 4, 13).weekday() == 0
    assert CAL.closing_reason(date(2026, 4, 2)) == "Maundy Thursday"
    assert CAL.closing_reason(date(2026, 4, 3)) == "Good Friday"
    assert CAL.closing_reason(date(2026, 4, 6)) == "Easter Monday"


def test_seven_working_days_across_ascension_day() -> None:
    assert date(2026, 5, 8).weekday() == 4
    assert CAL.add_working_days(date(2026, 5, 8), 7) == date(2026, 5, 20)
    assert date(2026, 5, 20).weekday() == 2
    assert CAL.closing_reason(date(2026, 5, 14)) == "Ascension Day"


def test_great_prayer_day_ended_after_2023() -> None:
    assert CAL.closing_reason(date(2023, 5, 5)) == "Great Prayer Day"
    assert date(2024, 4, 26).weekday() == 4
    assert CAL.is_working_day(date(2024, 4, 26))


def test_weekends_are_not_working_days() -> None:
    assert CAL.closing_reason(date(2026, 5, 9)) == "Saturday"
    assert CAL.closing_reason(date(2026, 5, 10)) == "Sunday"
    assert CAL.closing_reason(date(2026, 5, 11)) is None


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 6, 5), "Constitution Day (closing day)"),
        (date(2026, 12, 24), "Christmas Eve (closing day)"),
        (date(2026, 12, 31), "New Year's Eve (closing day)"),
    ],
)
def test_default_recurring_closing_days(day: date, reason: str) -> None:
    assert CAL.closing_reason(day) == reason
    assert NO_CLOSING_DAYS.is_working_day(day)


def test_constitution_day_2026_is_a_friday_and_a_working_day_without_closing_days() -> None:
    assert date(2026, 6, 5).weekday() == 4
    assert NO_CLOSING_DAYS.add_working_days(date(2026, 6, 4), 1) == date(2026, 6, 5)
    assert CAL.add_working_days(date(2026, 6, 4), 1) == date(2026, 6, 8)


def test_default_calendar_uses_the_documented_default_set() -> None:
    assert WorkingDayCalendar().recurring_closing_days == DEFAULT_RECURRING_CLOSING_DAYS
    assert {(c.month, c.day) for c in DEFAULT_RECURRING_CLOSING_DAYS} == {
        (6, 5),
        (12, 24),
        (12, 31),
    }


def test_a_dated_closing_day_is_skipped() -> None:
    calendar = WorkingDayCalendar(extra_closing_days=["2026-12-28"])
    assert calendar.closing_reason(date(2026, 12, 28)) == "closing day"
    assert CAL.add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)
    assert calendar.add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 29)
    assert calendar.is_working_day(date(2027, 12, 28))


def test_closing_days_from_strings() -> None:
    calendar = WorkingDayCalendar.model_validate(
        {
            "recurring_closing_days": ["06-05", "05-01 Labour Day"],
            "extra_closing_days": ["2026-12-28 Office move", date(2026, 12, 29)],
        }
    )
    assert calendar.recurring_closing_days == (
        RecurringClosingDay(month=6, day=5),
        RecurringClosingDay(month=5, day=1, name="Labour Day"),
    )
    assert calendar.extra_closing_days[1] == DatedClosingDay(on=date(2026, 12, 29))
    assert calendar.closing_reason(date(2027, 6, 7)) is None
    assert calendar.closing_reason(date(2026, 6, 5)) == "Constitution Day (closing day)"
    assert calendar.closing_reason(date(2026, 5, 1)) == "Labour Day (closing day)"
    assert calendar.closing_reason(date(2026, 12, 28)) == "Office move (closing day)"
    assert calendar.closing_reason(date(2026, 12, 24)) is None


@pytest.mark.parametrize("bad", ["02-30", "13-01", "0605", "x"])
def test_impossible_recurring_closing_days_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        WorkingDayCalendar(recurring_closing_days=[bad])


def test_a_leap_day_may_recur() -> None:
    calendar = WorkingDayCalendar(recurring_closing_days=["02-29"])
    assert not calendar.is_working_day(date(2028, 2, 29))
    assert calendar.is_working_day(date(2027, 3, 1))


def test_the_calendar_is_immutable_and_hashable() -> None:
    with pytest.raises(ValidationError):
        CAL.recurring_closing_days = ()  # type: ignore[misc]
    assert hash(WorkingDayCalendar()) == hash(CAL)


def test_zero_working_days_is_the_start_or_the_next_working_day() -> None:
    assert CAL.add_working_days(date(2026, 5, 13), 0) == date(2026, 5, 13)
    assert CAL.add_working_days(date(2026, 5, 9), 0) == date(2026, 5, 11)
    assert CAL.add_working_days(date(2026, 4, 2), 0) == date(2026, 4, 7)


def test_the_start_day_does_not_count() -> None:
    assert CAL.add_working_days(date(2026, 5, 11), 1) == date(2026, 5, 12)
    assert CAL.add_working_days(date(2026, 5, 9), 1) == date(2026, 5, 11)


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 5, 11), -1)
    with pytest.raises(ValueError):
        CAL.explain_working_days(date(2026, 5, 11), -1)
    with pytest.raises(ValueError):
        CAL.explain_calendar_days(date(2026, 5, 11), -1)
    with pytest.raises(ValueError):
        CAL.explain_months(date(2026, 5, 11), -1)


def test_next_and_rolled_working_day() -> None:
    assert CAL.next_working_day(date(2026, 5, 11)) == date(2026, 5, 12)
    assert CAL.next_working_day(date(2026, 5, 13)) == date(2026, 5, 15)
    assert CAL.roll_to_working_day(date(2026, 5, 11)) == date(2026, 5, 11)
    assert CAL.roll_to_working_day(date(2026, 12, 24)) == date(2026, 12, 28)


def test_a_datetime_is_refused() -> None:
    with pytest.raises(TypeError):
        CAL.is_working_day(datetime(2026, 12, 25, 12, 0))


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 8, 31), 1, date(2024, 9, 30)),
        (date(2024, 11, 15), 2, date(2025, 1, 15)),
        (date(2025, 1, 15), -2, date(2024, 11, 15)),
        (date(2026, 1, 31), 8, date(2026, 9, 30)),
        (date(2026, 5, 20), 0, date(2026, 5, 20)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(start: date, n: int, due: date) -> None:
    assert add_months(start, n) == due


def test_end_of_month_and_calendar_days() -> None:
    assert end_of_month(date(2024, 2, 10)) == date(2024, 2, 29)
    assert end_of_month(date(2025, 2, 10)) == date(2025, 2, 28)
    assert end_of_month(date(2026, 12, 31)) == date(2026, 12, 31)
    assert add_calendar_days(date(2026, 12, 20), 30) == date(2027, 1, 19)
    assert add_calendar_days(date(2026, 3, 1), -1) == date(2026, 2, 28)


def test_working_days_between() -> None:
    assert CAL.working_days_between(date(2026, 4, 1), date(2026, 4, 13)) == 5
    assert CAL.working_days_between(date(2026, 4, 13), date(2026, 4, 1)) == -5
    assert CAL.working_days_between(date(2026, 4, 1), date(2026, 4, 1)) == 0
    assert CAL.working_days_between(date(2026, 5, 9), date(2026, 5, 10)) == 0


def test_working_days_between_inverts_add_working_days() -> None:
    start, end = date(2024, 1, 1), date(2027, 12, 31)
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        for n in range(31):
            due = CAL.add_working_days(day, n)
            assert CAL.is_working_day(due)
            expected = 1 if n == 0 and not CAL.is_working_day(day) else n
            assert CAL.working_days_between(day, due) == expected, (day, n)


def test_explanation_lists_skipped_days_with_reasons() -> None:
    deadline = CAL.explain_working_days(date(2026, 5, 8), 7)
    assert (deadline.rule, deadline.start, deadline.n, deadline.due) == (
        "7 working days",
        date(2026, 5, 8),
        7,
        date(2026, 5, 20),
    )
    assert deadline.skipped == (
        SkippedDay(day=date(2026, 5, 9), reason="Saturday"),
        SkippedDay(day=date(2026, 5, 10), reason="Sunday"),
        SkippedDay(day=date(2026, 5, 14), reason="Ascension Day"),
        SkippedDay(day=date(2026, 5, 16), reason="Saturday"),
        SkippedDay(day=date(2026, 5, 17), reason="Sunday"),
    )
    assert deadline.explanation == (
        "7 working days after Friday 2026-05-08 is Wednesday 2026-05-20; skipped: "
        "2026-05-09 Saturday, 2026-05-10 Sunday, 2026-05-14 Ascension Day, "
        "2026-05-16 Saturday, 2026-05-17 Sunday"
    )


def test_explanation_across_easter_and_without_skipped_days() -> None:
    easter = CAL.explain_working_days(date(2026, 4, 1), 5)
    assert [s.reason for s in easter.skipped] == [
        "Maundy Thursday",
        "Good Friday",
        "Saturday",
        "Easter Sunday",
        "Easter Monday",
        "Saturday",
        "Sunday",
    ]
    plain = CAL.explain_working_days(date(2026, 5, 11), 1)
    assert plain.skipped == ()
    assert plain.explanation == (
        "1 working day after Monday 2026-05-11 is Tuesday 2026-05-12; no non-working days skipped"
    )


def test_explanation_of_zero_working_days_from_a_weekend() -> None:
    deadline = CAL.explain_working_days(date(2026, 5, 9), 0)
    assert deadline.due == date(2026, 5, 11)
    assert [s.day for s in deadline.skipped] == [date(2026, 5, 9), date(2026, 5, 10)]


def test_a_deadline_is_frozen() -> None:
    deadline = CAL.explain_working_days(date(2026, 5, 8), 7)
    with pytest.raises(ValidationError):
        deadline.due = date(2026, 5, 21)  # type: ignore[misc]


def test_calendar_days_may_land_on_a_non_working_day() -> None:
    deadline = CAL.explain_calendar_days(date(2026, 5, 1), 30)
    assert (deadline.rule, deadline.due, deadline.rolled_from) == (
        "30 calendar days",
        date(2026, 5, 31),
        None,
    )
    assert deadline.explanation == (
        "30 calendar days after Friday 2026-05-01 is Sunday 2026-05-31, not a working day (Sunday)"
    )


def test_calendar_days_rolled_to_a_working_day() -> None:
    deadline = CAL.explain_calendar_days(date(2026, 5, 1), 30, roll_to_working_day=True)
    assert (deadline.due, deadline.rolled_from) == (date(2026, 6, 1), date(2026, 5, 31))
    assert deadline.skipped == (SkippedDay(day=date(2026, 5, 31), reason="Sunday"),)
    assert "rolled to Monday 2026-06-01" in deadline.explanation


def test_a_working_day_is_not_rolled() -> None:
    deadline = CAL.explain_calendar_days(date(2026, 4, 1), 30, roll_to_working_day=True)
    assert (deadline.due, deadline.rolled_from, deadline.skipped) == (date(2026, 5, 1), None, ())
    assert (
        deadline.explanation == "30 calendar days after Wednesday 2026-04-01 is Friday 2026-05-01"
    )


def test_months_clamped_and_rolled() -> None:
    deadline = CAL.explain_months(date(2026, 1, 31), 1, roll_to_working_day=True)
    assert (deadline.rule, deadline.unit, deadline.due) == ("1 month", "month", date(2026, 3, 2))
    assert deadline.rolled_from == date(2026, 2, 28)
    assert [s.reason for s in deadline.skipped] == ["Saturday", "Sunday"]
    assert deadline.explanation == (
        "1 month after Saturday 2026-01-31 is Saturday 2026-02-28 (clamped to the end of the "
        "month), not a working day; rolled to Monday 2026-03-02; skipped: 2026-02-28 Saturday, "
        "2026-03-01 Sunday"
    )
    assert CAL.explain_months(date(2026, 1, 20), 6).due == date(2026, 7, 20)


def test_rolling_past_holidays_and_closing_days() -> None:
    deadline = CAL.explain_calendar_days(date(2026, 12, 14), 10, roll_to_working_day=True)
    assert deadline.due == date(2026, 12, 28)
    assert [s.reason for s in deadline.skipped] == [
        "Christmas Eve (closing day)",
        "Christmas Day",
        "Second Day of Christmas",
        "Sunday",
    ]


def test_the_danish_public_holidays_of_2026() -> None:
    holidays_2026 = {
        d
        for d in (date(2026, 1, 1) + timedelta(days=i) for i in range(365))
        if NO_CLOSING_DAYS.closing_reason(d) not in (None, "Saturday", "Sunday")
    }
    assert holidays_2026 == {
        date(2026, 1, 1),
        date(2026, 4, 2),
        date(2026, 4, 3),
        date(2026, 4, 5),
        date(2026, 4, 6),
        date(2026, 5, 14),
        date(2026, 5, 24),
        date(2026, 5, 25),
        date(2026, 12, 25),
        date(2026, 12, 26),
    }


def test_great_prayer_day_was_the_fourth_friday_after_easter_until_2023() -> None:
    # Easter Sunday 2023 was 2023-04-09; the fourth Friday after it is 2023-05-05.
    assert CAL.closing_reason(date(2023, 4, 9)) == "Easter Sunday"
    assert date(2023, 4, 9) + timedelta(days=26) == date(2023, 5, 5)
    assert CAL.add_working_days(date(2023, 5, 4), 1) == date(2023, 5, 8)
    # Easter Sunday 2024 was 2024-03-31; 26 days later is the ordinary Friday 2024-04-26.
    assert CAL.add_working_days(date(2024, 4, 25), 1) == date(2024, 4, 26)


def test_five_working_days_across_whit_monday() -> None:
    assert CAL.add_working_days(date(2026, 5, 21), 5) == date(2026, 5, 29)
    assert CAL.closing_reason(date(2026, 5, 25)) == "Pentecost Monday"
