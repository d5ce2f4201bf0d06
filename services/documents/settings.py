"""Documents' settings, from `VIAS_DOCUMENTS_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024

DEFAULT_RETENTION_DAYS: dict[str, int] = {
    "note": 5 * 365,
    "advisory_report": 5 * 365,
    "assessment_report": 5 * 365,
    "letter": 5 * 365,
    "default": 5 * 365,
}
"""Days after the inquiry's course ended that each document class is kept (a note is the
class "note"; a document its kind, else "default")."""

DEFAULT_ALLOWED_TYPES: tuple[str, ...] = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "image/png",
    "image/jpeg",
    "text/plain",
)


class DocumentsSettings(BaseSettings):
    """Limits, the archive folder and retention periods."""

    model_config = SettingsConfigDict(env_prefix="VIAS_DOCUMENTS_", extra="ignore")

    max_upload_bytes: int = Field(
        default=25 * MIB, ge=1, description="The largest file an upload may carry."
    )
    allowed_content_types: tuple[str, ...] = Field(
        default=DEFAULT_ALLOWED_TYPES, description="Content types an upload may have (JSON list)."
    )
    archive_dir: Path = Field(
        default=Path("var/archive"),
        description="Where the folder adapter writes archive packages (the F2 drop folder).",
    )
    archive_interval_s: float = Field(
        default=5.0, gt=0, description="How often pending and failed hand-offs are tried."
    )
    archive_retry_max_s: float = Field(
        default=600.0, gt=0, description="The longest wait between two tries of a failed hand-off."
    )
    retention_days: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_RETENTION_DAYS),
        description='Retention per document class as JSON, e.g. {"note": 1825, "default": 1825}.',
    )
    retention_interval_s: float = Field(
        default=24 * 3600.0, gt=0, description="How often the retention job runs."
    )
    orphan_file_grace_s: float = Field(
        default=3600.0,
        gt=0,
        description="Files in GridFS no document refers to are deleted after this long (an "
        "upload whose transaction never committed).",
    )

    access_manager_id: str = Field(
        default="manager-1",
        description="The central unit's manager, to whom a missed access-request deadline "
        "escalates when the request names none.",
    )

    def retention_for(self, document_class: str) -> int:
        """Days a class is kept after its inquiry's course ended."""
        return self.retention_days.get(
            document_class, self.retention_days.get("default", DEFAULT_RETENTION_DAYS["default"])
        )
