"""Leverance's configuration: the price threshold and the manager of consultants the user
directory names no manager for."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.leverance.settings import LeveranceSettings


def test_the_threshold_and_default_manager_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VIAS_LEVERANCE_HIGH_PRICE_THRESHOLD_DKK", "200000.50")
    monkeypatch.setenv("VIAS_LEVERANCE_DEFAULT_MANAGER", "manager-z")
    settings = LeveranceSettings()
    assert settings.high_price_threshold_dkk == Decimal("200000.50")
    assert settings.default_manager == "manager-z"


def test_by_default_the_threshold_is_150000_and_the_manager_manager_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HIGH_PRICE_THRESHOLD_DKK", "DEFAULT_MANAGER"):
        monkeypatch.delenv(f"VIAS_LEVERANCE_{name}", raising=False)
    settings = LeveranceSettings()
    assert settings.high_price_threshold_dkk == Decimal("150000.00")
    assert settings.default_manager == "manager-1"
