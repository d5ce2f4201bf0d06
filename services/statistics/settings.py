"""Statistics' configuration (`VIAS_STATISTICS_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StatisticsSettings(BaseSettings):
    """How small a count may leave the platform."""

    model_config = SettingsConfigDict(env_prefix="VIAS_STATISTICS_", extra="ignore")

    min_cell: int = Field(
        default=5,
        ge=1,
        description="Smallest count a report shows; a smaller non-zero count, and any share "
        "or median made from one, is suppressed.",
    )
