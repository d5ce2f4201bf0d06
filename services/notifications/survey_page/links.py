"""The recipient's link to the survey page: signed, expiring, naming one survey.

A token is `<survey id, base64url>.<expiry, Unix seconds>.<HMAC-SHA256, base64url>`. The key is
derived from the platform's signing key for this purpose only, so a token can be neither
forged nor used as a bearer token elsewhere. The expiry is part of what is signed: a link
keeps the validity it was made with. That a link is used once is the survey's rule (it is
answered once), not the token's."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PURPOSE = b"vias/notifications/survey-link/v1"
MAX_TOKEN_CHARS = 512
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[0-9]{1,12}\.[A-Za-z0-9_-]{43}")


class LinkRefused(Exception):
    """The token is not one this service made (tampered, cut, foreign)."""


class LinkExpired(LinkRefused):
    """The token is genuine but past its expiry."""


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as error:
        raise LinkRefused("not base64url") from error


def link_key(signing_key: bytes) -> bytes:
    """The survey links' own key, derived from the platform's signing key."""
    return hmac.new(signing_key, PURPOSE, hashlib.sha256).digest()


@dataclass(frozen=True)
class SurveyLinks:
    """Makes and checks the links recipients answer their survey with."""

    key: bytes
    base_url: str
    validity: timedelta

    def expires_at(self, created_at: datetime) -> datetime:
        """When the link of a survey recorded at `created_at` stops working (whole seconds)."""
        return (created_at + self.validity).replace(microsecond=0)

    def token(self, survey_id: str, expires_at: datetime) -> str:
        """The signed token naming `survey_id` until `expires_at`."""
        body = f"{_encode(survey_id.encode())}.{int(expires_at.timestamp())}"
        return f"{body}.{_encode(self._sign(body))}"

    def url(self, survey_id: str, created_at: datetime) -> str:
        """The page address a survey recorded at `created_at` is answered at."""
        token = self.token(survey_id, self.expires_at(created_at))
        return f"{self.base_url.rstrip('/')}/survey/{token}"

    def verify(self, token: str, *, now: datetime) -> str:
        """The survey id the token names; LinkRefused if it is not genuine, LinkExpired (after
        the signature was found good) if it is too old."""
        if len(token) > MAX_TOKEN_CHARS or not TOKEN_SHAPE.fullmatch(token):
            raise LinkRefused("malformed")
        encoded_id, expiry, signature = token.split(".")
        expected = _encode(self._sign(f"{encoded_id}.{expiry}"))
        if not hmac.compare_digest(signature, expected):
            raise LinkRefused("bad signature")
        try:
            survey_id = _decode(encoded_id).decode("utf-8")
            expires_at = datetime.fromtimestamp(int(expiry), UTC)
        except (UnicodeDecodeError, ValueError, OverflowError, OSError) as error:
            raise LinkRefused("malformed") from error
        if now >= expires_at:
            raise LinkExpired(f"expired at {expires_at.isoformat()}")
        return survey_id

    def _sign(self, body: str) -> bytes:
        return hmac.new(self.key, body.encode("ascii"), hashlib.sha256).digest()
