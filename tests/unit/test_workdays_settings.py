"""One calendar configuration for the whole platform."""

from __future__ import annotations

from datetime import date

import pytest

from services.intake.privacy import IntakeSettings
from services.visitation.settings import VisitationSettings
from services.workdays.settings import platform_calendar


def test_every_service_counts_deadlines_with_the_same_configured_closing_days(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VIAS_RECURRING_CLOSING_DAYS", '["12-24"]')
    monkeypatch.setenv("VIAS_EXTRA_CLOSING_DAYS", '["2026-05-19 Office move"]')
    calendars = {
        "intake": IntakeSettings().calendar(),
        "visitation": VisitationSettings().calendar(),
        "leverance": platform_calendar(),  # what leverance's wiring uses
    }
    for name, calendar in calendars.items():
        due = calendar.explain_working_days(date(2026, 5, 8), 7)
        assert due.due == date(2026, 5, 21), name  # Ascension Day and the office move skipped
        assert not calendar.is_working_day(date(2026, 12, 24)), name
        assert calendar.is_working_day(date(2026, 6, 5)), name  # no longer configured


def test_without_configuration_constitution_day_and_christmas_eve_are_closed() -> None:
    calendar = platform_calendar()
    assert not calendar.is_working_day(date(2026, 6, 5))
    assert not calendar.is_working_day(date(2026, 12, 24))
