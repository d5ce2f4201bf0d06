"""Leverance's business configuration, from `VIAS_LEVERANCE_*` environment variables."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LeveranceSettings(BaseSettings):
    """Values the seeds leave open: the high-price threshold and who approves above it when
    the directory names no manager."""

    model_config = SettingsConfigDict(env_prefix="VIAS_LEVERANCE_", extra="ignore")

    high_price_threshold_dkk: Decimal = Field(
        default=Decimal("150000.00"),
        ge=0,
        description="An agreement priced above this is a high-price delivery: the consultant's "
        "manager approves it too (H 5.1.3 gives no figure).",
    )
    default_manager: str = Field(
        default="manager-1",
        min_length=1,
        description="Manager of consultants the user directory (identity) names no manager for.",
    )

    deadline_check_interval_s: float = Field(
        default=3600.0, gt=0, description="How often overdue deadlines are looked for."
    )
