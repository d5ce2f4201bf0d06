"""Identity's configuration, from `VIAS_IDENTITY_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_TOKEN_TTL_S = 900
"""Tokens live at most 15 minutes."""


class IdentitySettings(BaseSettings):
    """Sessions, claim mapping and the local issuer."""

    model_config = SettingsConfigDict(env_prefix="VIAS_IDENTITY_", extra="ignore")

    session_idle_s: float = Field(
        default=1800.0,
        gt=0,
        description="A session ends after this long without activity (KaS: 30 minutes).",
    )
    user_claim: str = Field(
        default="sub",
        description="The token claim holding the directory's user id (Keycloak: "
        "preferred_username, Entra ID: oid or upn, MitID Erhverv broker: sub).",
    )
    cvr_claim: str = Field(
        default="https://data.gov.dk/model/core/eid/professional/cvr",
        description="The claim holding the CVR number of the organisation the user logged in "
        "for; it must map to the supplier of supplier staff (and be viso_cvr for VISO staff "
        "when that is set).",
    )
    require_cvr: bool = Field(
        default=False,
        description="Refuse a new session whose token has no CVR claim (production with MitID "
        "Erhverv); the local issuer sends none.",
    )
    viso_cvr: str | None = Field(default=None, description="VISO's own CVR number.")

    local_issuer_port: int | None = Field(
        default=None,
        description="Serve the local OpenID Connect issuer on this port (local runs and tests "
        "only; production points VIAS_AUTH_ISSUER at the real provider).",
    )
    local_issuer_host: str = "127.0.0.1"
    local_issuer_url: str | None = Field(
        default=None, description="The issuer URL tokens name; default http://host:port."
    )
    local_issuer_dir: Path = Field(
        default=Path("var/identity"),
        description="The issuer's key pairs (keys/) and the services' client secrets "
        "(clients/<client id>.secret).",
    )
    local_token_ttl_s: int = Field(default=MAX_TOKEN_TTL_S, gt=0, le=MAX_TOKEN_TTL_S)
    local_users: bool = Field(
        default=True,
        description="The local issuer's user grant may create a directory user or change "
        "their role and supplier (vias login --user U --role R).",
    )

    def issuer_url(self) -> str:
        """The local issuer's URL, as its tokens name it."""
        if self.local_issuer_url:
            return self.local_issuer_url.rstrip("/")
        host = "127.0.0.1" if self.local_issuer_host in ("", "0.0.0.0") else self.local_issuer_host
        return f"http://{host}:{self.local_issuer_port}"
