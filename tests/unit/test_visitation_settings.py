"""Visitation's configuration: the platform's closing days move its deadlines."""

from __future__ import annotations

from datetime import UTC, date

import pytest

from services.kernel.errors import InvalidInput
from services.visitation.settings import VisitationSettings
from services.workdays.settings import check_day


def test_configured_closing_days_move_a_due_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIAS_RECURRING_CLOSING_DAYS", '["12-24"]')
    monkeypatch.setenv("VIAS_EXTRA_CLOSING_DAYS", '["2026-05-19 Office move"]')
    calendar = VisitationSettings().calendar()
    assert calendar.closing_reason(date(2026, 5, 19)) == "Office move (closing day)"
    assert calendar.is_working_day(date(2026, 6, 5))
    deadline = calendar.explain_working_days(date(2026, 5, 8), 7)
    assert deadline.due == date(2026, 5, 21) and "Office move" in deadline.explanation


def test_the_default_calendar_closes_on_constitution_day() -> None:
    assert not VisitationSettings().calendar().is_working_day(date(2026, 6, 5))


def test_an_unknown_time_zone_falls_back_to_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIAS_VISITATION_TIMEZONE", "Mars/Olympus_Mons")
    assert VisitationSettings().zone() is UTC


def test_a_deadline_check_looks_ahead_only_as_far_as_configured() -> None:
    today = date(2026, 6, 1)
    assert check_day(today=today, as_of=None, max_days_ahead=0) == today
    assert check_day(today=today, as_of=date(2026, 5, 1), max_days_ahead=0) == date(2026, 5, 1)
    assert check_day(today=today, as_of=date(2026, 6, 11), max_days_ahead=10) == date(2026, 6, 11)
    for as_of, ahead in ((date(2026, 6, 2), 0), (date(2026, 6, 12), 10)):
        with pytest.raises(InvalidInput) as refused:
            check_day(today=today, as_of=as_of, max_days_ahead=ahead)
        assert [v.field for v in refused.value.violations] == ["as_of"]
