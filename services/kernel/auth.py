"""Signed bearer tokens (JWT, HS256) carrying user id, role and supplier."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from services.kernel.context import ROLES, SERVICE_ROLE, SUPPLIER_ROLES, Principal
from services.kernel.errors import InvalidInput, Unauthenticated, echo
from services.kernel.settings import Settings

ALGORITHM = "HS256"


def load_signing_key(settings: Settings, *, create: bool = False) -> bytes:
    """The shared signing key: from the environment, else from the key file."""
    if settings.auth_signing_key is not None:
        return settings.auth_signing_key.get_secret_value().encode()
    path = settings.auth_signing_key_file
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"no signing key: set VIAS_AUTH_SIGNING_KEY or create {path}")
        write_signing_key(path)
    return path.read_text().strip().encode()


def write_signing_key(path: Path) -> None:
    """Create a random local signing key, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(secrets.token_hex(32))


class TokenAuthority:
    """Issues and verifies tokens with one key."""

    def __init__(self, key: bytes, *, issuer: str, audience: str) -> None:
        self._key = key
        self.issuer = issuer
        self.audience = audience

    @classmethod
    def from_settings(cls, settings: Settings, *, create_key: bool = False) -> TokenAuthority:
        """The authority configured for this process."""
        return cls(
            load_signing_key(settings, create=create_key),
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
        )

    def issue(
        self,
        *,
        user_id: str,
        role: str,
        supplier_id: str | None = None,
        ttl: timedelta = timedelta(hours=8),
    ) -> str:
        """A signed token for a user; supplier roles must name their supplier."""
        if role not in ROLES and role != SERVICE_ROLE:
            raise InvalidInput.single("role", f"must be one of {', '.join(ROLES)}")
        if (role in SUPPLIER_ROLES) != (supplier_id is not None):
            raise InvalidInput.single(
                "supplier_id", "required for supplier roles and only for them"
            )
        now = datetime.now(UTC)
        claims: dict[str, object] = {
            "sub": user_id,
            "role": role,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + ttl,
        }
        if supplier_id is not None:
            claims["supplier_id"] = supplier_id
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def issue_service_token(self, service: str, ttl: timedelta = timedelta(minutes=5)) -> str:
        """A short-lived token a service calls another with (role "system", user the service)."""
        return self.issue(user_id=service, role=SERVICE_ROLE, ttl=ttl)

    def verify(self, token: str) -> Principal:
        """The principal a valid token names; raises Unauthenticated otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["sub", "role", "exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"invalid token: {error}") from error
        role = claims["role"]
        supplier_id = claims.get("supplier_id")
        if role not in ROLES and role != SERVICE_ROLE:
            raise Unauthenticated(f"unknown role {echo(role)}")
        if role in SUPPLIER_ROLES and not supplier_id:
            raise Unauthenticated("a supplier role needs a supplier_id claim")
        return Principal(user_id=str(claims["sub"]), role=role, supplier_id=supplier_id)
