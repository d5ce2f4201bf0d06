"""Token verification refuses what no issuer's key could have signed before it asks anyone."""

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from services.kernel.auth import TokenVerifier
from services.kernel.errors import Unauthenticated
from services.kernel.settings import Settings

ISSUER = "http://127.0.0.1:1"
"""Nothing listens there: a verifier that fetched anything would fail differently."""


def claims() -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "iss": ISSUER,
        "aud": "vias",
        "sub": "u1",
        "sid": "s1",
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
    }


def verifier() -> TokenVerifier:
    return TokenVerifier(Settings(auth_issuer=ISSUER, auth_audience="vias"))


def unsigned(body: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        raw = json.dumps(value, default=lambda d: int(d.timestamp())).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(body)}."


async def test_a_token_signed_with_a_shared_secret_is_refused() -> None:
    token = jwt.encode(claims(), "a-shared-secret-of-32-bytes-or-more!", algorithm="HS256")
    with pytest.raises(Unauthenticated, match="HS256"):
        await verifier().verify(token)


async def test_an_unsigned_token_is_refused() -> None:
    with pytest.raises(Unauthenticated, match="none"):
        await verifier().verify(unsigned(claims()))


async def test_garbage_is_refused() -> None:
    with pytest.raises(Unauthenticated, match="malformed"):
        await verifier().verify("not.a.token")


async def test_a_token_of_an_issuer_not_configured_is_refused() -> None:
    token = jwt.encode({**claims(), "iss": "https://elsewhere.example"}, "k" * 32, "HS256")
    header = {"alg": "RS256", "typ": "JWT"}
    forged = ".".join(
        [
            base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("="),
            *token.split(".")[1:],
        ]
    )
    with pytest.raises(Unauthenticated, match="issuer is not trusted"):
        await verifier().verify(forged)
