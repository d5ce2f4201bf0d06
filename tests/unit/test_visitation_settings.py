"""Visitation's configuration: closing days move its deadlines."""

from __future__ import annotations

from datetime import UTC, date

import pytest

from services.visitation.settings import VisitationSettings


def test_configured_closing_days_move_a_due_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIAS_VISITATION_RECURRING_CLOSING_DAYS", '["12-24"]')
    monkeypatch.setenv("VIAS_VISITATION_EXTRA_CLOSING_DAYS", '["2026-05-19 Office move"]')
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
