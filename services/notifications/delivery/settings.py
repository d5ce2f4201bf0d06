"""Delivery settings, from `VIAS_NOTIFICATIONS_*` environment variables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notifications.delivery.domain import RetryPolicy


class DeliverySettings(BaseSettings):
    """The SMTP relay, the Digital Post drop folder, the municipal mailboxes and the worker's
    retry policy. Locally the platform's embedded SMTP server is the relay."""

    model_config = SettingsConfigDict(env_prefix="VIAS_NOTIFICATIONS_", extra="ignore")

    smtp_host: str = Field(default="127.0.0.1", description="The SMTP relay's host.")
    smtp_port: int = Field(default=2525, ge=1, le=65535, description="The SMTP relay's port.")
    smtp_starttls: bool = Field(
        default=False, description="Require STARTTLS for ordinary e-mail (true in production)."
    )
    smtp_username: str | None = Field(default=None, description="SMTP AUTH user, if any.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP AUTH password.")
    smtp_ca_file: Path | None = Field(
        default=None,
        description="CA certificates to verify the relay's TLS certificate with; default: the "
        "system's. The local platform points it at its embedded server's certificate.",
    )
    smtp_timeout_s: float = Field(default=10.0, gt=0, description="Timeout of one SMTP try.")
    from_address: str = Field(
        default="VISO <noreply@viso.dk>", description="The From of every e-mail VIAS sends."
    )
    digital_post_dir: Path = Field(
        default=Path("var/digital-post"),
        description="The Digital Post drop folder the adapter writes messages into.",
    )
    municipal_mailboxes_file: Path | None = Field(
        default=None,
        description="Municipality code -> notification mailbox (JSON); default: the file in "
        "services/notifications/delivery/reference/.",
    )
    intake_address: str = Field(
        default="127.0.0.1:50051", description="Intake's gRPC address (resolves CPR numbers)."
    )
    documents_address: str = Field(
        default="127.0.0.1:50054",
        description="Documents' gRPC address (the rendered document a message carries).",
    )
    delivery_interval_s: float = Field(
        default=2.0, gt=0, description="How often the worker looks for due deliveries."
    )
    delivery_tries_per_channel: int = Field(
        default=5, ge=1, description="Tries on one channel before the next channel."
    )
    delivery_backoff_s: float = Field(
        default=30.0, gt=0, description="Wait after the first failed try; doubles per try."
    )
    delivery_backoff_max_s: float = Field(
        default=1800.0, gt=0, description="The longest wait between two tries."
    )
    delivery_send_within_h: float = Field(
        default=48.0,
        gt=0,
        description="A delivery's send-by deadline after it was queued; "
        "past it, a failing channel is not retried but the next one tried at once.",
    )
    delivery_sending_lease_s: float = Field(
        default=300.0,
        gt=0,
        description="A try still 'sending' after this long was cut off by a crash: tried again "
        "(with the same Message-ID).",
    )

    @property
    def policy(self) -> RetryPolicy:
        """The retry policy."""
        return RetryPolicy(
            tries_per_channel=self.delivery_tries_per_channel,
            backoff_s=self.delivery_backoff_s,
            backoff_max_s=self.delivery_backoff_max_s,
            sending_lease_s=self.delivery_sending_lease_s,
        )

    @property
    def send_within(self) -> timedelta:
        """From queued to the send-by deadline."""
        return timedelta(hours=self.delivery_send_within_h)
