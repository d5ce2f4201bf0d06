"""CPR protection for intake: keys from configuration, encryption at rest, keyed matching.

Keys come from `VIAS_CPR_KEYS` ("id:key,id:key"), `VIAS_CPR_CURRENT_KEY` and
`VIAS_CPR_HASH_KEY`. Without them (local runs and tests) a key file beside the token signing
key is used, created once with random keys; production sets the variables and
`VIAS_CPR_CREATE_LOCAL_KEYS=false`.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.intake.cpr import Cpr, CprCipher, CprHasher, key_from_config, keys_from_config
from services.workdays import WorkingDayCalendar
from services.workdays.settings import platform_calendar

CPR_CONTEXT = "intake.inquiries.citizen.cpr"


class IntakeSettings(BaseSettings):
    """Intake's own configuration."""

    model_config = SettingsConfigDict(env_prefix="VIAS_", extra="ignore")

    cpr_keys: SecretStr | None = None
    cpr_current_key: str | None = None
    cpr_hash_key: SecretStr | None = None
    cpr_key_file: Path | None = Field(
        default=None, description="Local key file; default: cpr.keys beside the signing key."
    )
    cpr_create_local_keys: bool = True
    cpr_reveal_roles: str = Field(
        default="support,consultant", description="Roles that may see a full CPR on request."
    )
    distribution_weekdays: str = Field(
        default="2,4", description="Weekdays of the distribution lists (0 = Monday): Wed, Fri."
    )
    auth_signing_key_file: Path = Path("var/auth/signing.key")
    intake_themes_file: Path | None = Field(
        default=None,
        description="The theme courses and the suppliers that may deliver each (the F2 overview, "
        "H 4.4.3), a JSON file like services/intake/reference/themes.json; default: that file.",
    )
    intake_deadline_check_interval_s: float = Field(
        default=600.0,
        gt=0,
        description="How often open extended-phone-advice form deadlines past 14:00 are reported.",
    )

    @field_validator("distribution_weekdays")
    @classmethod
    def _weekdays_are_days(cls, value: str) -> str:
        """Refuse at start-up what would otherwise fail the first registration."""
        days = [d.strip() for d in value.split(",") if d.strip()]
        if not days or not all(d.isdigit() and 0 <= int(d) <= 6 for d in days):
            raise ValueError("distribution weekdays are numbers 0 (Monday) to 6, e.g. 2,4")
        return value

    @property
    def reveal_roles(self) -> frozenset[str]:
        """Roles allowed to ask for the plain number."""
        return frozenset(r.strip() for r in self.cpr_reveal_roles.split(",") if r.strip())

    def calendar(self) -> WorkingDayCalendar:
        """The platform's working-day calendar, for distribution days and deadlines."""
        return platform_calendar()

    @property
    def weekdays(self) -> tuple[int, ...]:
        """Distribution weekdays as integers."""
        return tuple(sorted({int(d) for d in self.distribution_weekdays.split(",") if d.strip()}))


@dataclass(frozen=True)
class ProtectedCpr:
    """What intake keeps of a CPR number."""

    token: str
    hash: str
    birth_date: date


class CprVault:
    """Encrypts, hashes and (on an audited request) decrypts CPR numbers."""

    def __init__(self, cipher: CprCipher, hasher: CprHasher) -> None:
        self._cipher = cipher
        self._hasher = hasher

    def protect(self, cpr: Cpr) -> ProtectedCpr:
        """The encrypted token, the matching hash and the birth date."""
        return ProtectedCpr(
            token=self._cipher.encrypt(cpr, CPR_CONTEXT),
            hash=self._hasher.digest(cpr),
            birth_date=cpr.birth_date,
        )

    def ref(self, cpr: Cpr) -> str:
        """The keyed hash used to match and to refer to the citizen."""
        return self._hasher.digest(cpr)

    def reveal(self, token: str) -> Cpr:
        """The number behind a stored token."""
        return self._cipher.decrypt(token, CPR_CONTEXT)

    @classmethod
    def from_settings(cls, settings: IntakeSettings) -> CprVault:
        """The vault with the configured keys (or the local key file)."""
        if settings.cpr_keys and settings.cpr_hash_key:
            keys = keys_from_config(settings.cpr_keys.get_secret_value())
            current = settings.cpr_current_key or next(iter(keys))
            hash_key = key_from_config(settings.cpr_hash_key.get_secret_value())
        else:
            path = settings.cpr_key_file or settings.auth_signing_key_file.parent / "cpr.keys"
            stored = _local_keys(path, create=settings.cpr_create_local_keys)
            keys = {stored["current"]: bytes.fromhex(stored["cipher"])}
            current = stored["current"]
            hash_key = bytes.fromhex(stored["hash"])
        return cls(CprCipher(keys, current), CprHasher(hash_key))


def _local_keys(path: Path, *, create: bool) -> dict[str, str]:
    if not path.exists():
        if not create:
            raise FileNotFoundError(
                f"no CPR keys: set VIAS_CPR_KEYS and VIAS_CPR_HASH_KEY or {path}"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps(
            {"current": "local1", "cipher": secrets.token_hex(32), "hash": secrets.token_hex(32)}
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(body)
    loaded: dict[str, str] = json.loads(path.read_text())
    return loaded
