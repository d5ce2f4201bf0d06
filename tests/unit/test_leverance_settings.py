"""Leverance's configuration: the price threshold and each consultant's manager."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.leverance.settings import LeveranceSettings


def test_the_threshold_and_managers_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VIAS_LEVERANCE_HIGH_PRICE_THRESHOLD_DKK", "200000.50")
    monkeypatch.setenv(
        "VIAS_LEVERANCE_MANAGERS", "consultant-1=manager-a, consultant-2 = manager-b"
    )
    monkeypatch.setenv("VIAS_LEVERANCE_DEFAULT_MANAGER", "manager-z")
    settings = LeveranceSettings()
    assert settings.high_price_threshold_dkk == Decimal("200000.50")
    assert settings.manager_of("consultant-2") == "manager-b"
    assert settings.manager_of("consultant-9") == "manager-z"


def test_by_default_every_consultant_goes_to_the_default_manager(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HIGH_PRICE_THRESHOLD_DKK", "MANAGERS", "DEFAULT_MANAGER"):
        monkeypatch.delenv(f"VIAS_LEVERANCE_{name}", raising=False)
    settings = LeveranceSettings()
    assert settings.high_price_threshold_dkk == Decimal("150000.00")
    assert settings.manager_of("consultant-1") == "manager-1"
