"""Getting a user's token from the local issuer over HTTP, as the CLI, the tests and the
benchmarks do (synchronous: urllib)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from services.identity.issuer import LOCAL_USER_GRANT, REFRESH_TOKEN

TIMEOUT_S = 10.0


class LoginError(RuntimeError):
    """The issuer refused, or could not be reached."""


@dataclass(frozen=True)
class Tokens:
    """An access token, its expiry (epoch seconds) and the refresh token."""

    access_token: str
    expires_at: float
    refresh_token: str = ""

    def valid_for(self, seconds: float) -> bool:
        """Whether the access token is still valid `seconds` from now."""
        return time.time() + seconds < self.expires_at

    def to_json(self) -> dict[str, Any]:
        """A form to cache on disk."""
        return {
            "access_token": self.access_token,
            "expires_at": self.expires_at,
            "refresh_token": self.refresh_token,
        }


def discover(issuer_url: str) -> dict[str, Any]:
    """The issuer's discovery document."""
    return _request(f"{issuer_url.rstrip('/')}/.well-known/openid-configuration", None)


def token_request(issuer_url: str, form: dict[str, str]) -> Tokens:
    """POST a grant to the issuer's token endpoint."""
    endpoint = str(discover(issuer_url)["token_endpoint"])
    body = _request(endpoint, form)
    return Tokens(
        access_token=str(body["access_token"]),
        expires_at=time.time() + float(body.get("expires_in", 0)),
        refresh_token=str(body.get("refresh_token", "")),
    )


def local_login(
    issuer_url: str, user_id: str, role: str | None = None, supplier_id: str | None = None
) -> Tokens:
    """Log a local user in (created or changed in the directory when `role` is given)."""
    form = {"grant_type": LOCAL_USER_GRANT, "user_id": user_id}
    if role:
        form["role"] = role
    if supplier_id:
        form["supplier_id"] = supplier_id
    return token_request(issuer_url, form)


def refresh(issuer_url: str, tokens: Tokens) -> Tokens:
    """A new access token for the same session."""
    form = {"grant_type": REFRESH_TOKEN, "refresh_token": tokens.refresh_token}
    renewed = token_request(issuer_url, form)
    return Tokens(renewed.access_token, renewed.expires_at, tokens.refresh_token)


def _request(url: str, form: dict[str, str] | None) -> dict[str, Any]:
    data = None if form is None else urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(url, data=data, timeout=TIMEOUT_S) as reply:
            body = json.loads(reply.read())
    except urllib.error.HTTPError as error:
        try:
            detail = json.loads(error.read()).get("error_description", "")
        except ValueError:
            detail = ""
        raise LoginError(f"{url} answered {error.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as error:
        raise LoginError(f"{url} cannot be reached: {error}") from None
    if not isinstance(body, dict):
        raise LoginError(f"{url} did not answer a JSON object")
    return body
