"""Bearer tokens from OpenID Connect issuers: verified as in production, everywhere.

A token is accepted only when an asymmetric algorithm (RS256, ES256) signed it with a key of a
configured issuer, found through the issuer's discovery document and JWKS; issuer, audience,
expiry, not-before and lifetime are checked. A user's token carries a session id (`sid`): the
identity service says who the session's user is and whether it still runs (asked again at
most every `auth_session_cache_s`). A token without one is accepted only as a service's own
client-credential token (role system).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import jwt

from services.kernel.context import SERVICE_ROLE, Principal
from services.kernel.errors import Unauthenticated, Unavailable, echo
from services.kernel.settings import Settings
from vias.identity.v1 import identity_pb2, identity_pb2_grpc

log = logging.getLogger(__name__)

ALGORITHMS = ("RS256", "ES256")
"""The only signatures accepted; HS256 (a shared secret) and `none` never are."""
HTTP_TIMEOUT_S = 5.0
TOKEN_MARGIN_S = 60.0
"""A cached client-credential token is replaced this long before it expires."""
CLIENT_ID_CLAIMS = ("client_id", "azp", "appid")


def load_signing_key(settings: Settings, *, create: bool = False) -> bytes:
    """The local secret survey links are signed with: from the environment, else the file."""
    if settings.auth_signing_key is not None:
        return settings.auth_signing_key.get_secret_value().encode()
    path = settings.auth_signing_key_file
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"no signing key: set VIAS_AUTH_SIGNING_KEY or create {path}")
        write_signing_key(path)
    return path.read_text().strip().encode()


def write_signing_key(path: Path) -> None:
    """Create a random local secret, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(secrets.token_hex(32))


async def _get_json(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url) as reply:
        reply.raise_for_status()
        body = await reply.json(content_type=None)
    if not isinstance(body, dict):
        raise ValueError(f"{url} did not answer a JSON object")
    return body


class Issuer:
    """One issuer's discovery document and signing keys, cached; an unknown key id fetches the
    key set again (at most every `refetch_s`), so a rotation needs no restart."""

    def __init__(self, url: str, *, cache_s: float, refetch_s: float) -> None:
        self.url = url.rstrip("/")
        self.cache_s = cache_s
        self.refetch_s = refetch_s
        self._metadata: dict[str, Any] | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched = -float("inf")
        self._lock = asyncio.Lock()

    async def metadata(self, session: aiohttp.ClientSession) -> dict[str, Any]:
        """The discovery document (fetched once)."""
        if self._metadata is None:
            url = f"{self.url}/.well-known/openid-configuration"
            try:
                found = await _get_json(session, url)
            except (aiohttp.ClientError, TimeoutError, ValueError) as error:
                raise Unavailable(f"the token issuer {self.url} cannot be reached") from error
            if str(found.get("issuer", "")).rstrip("/") != self.url:
                raise Unavailable(f"the discovery document of {self.url} names another issuer")
            self._metadata = found
        return self._metadata

    async def key(self, session: aiohttp.ClientSession, kid: str | None) -> jwt.PyJWK:
        """The signing key `kid` names (the only key, when the token names none)."""
        now = time.monotonic()
        if now - self._fetched > self.cache_s or (
            kid not in self._keys and now - self._fetched >= self.refetch_s
        ):
            async with self._lock:
                if time.monotonic() - self._fetched >= self.refetch_s:
                    await self._fetch(session)
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        found = self._keys.get(kid or "")
        if found is None:
            raise Unauthenticated("the token's signing key is not one of the issuer's keys")
        return found

    async def _fetch(self, session: aiohttp.ClientSession) -> None:
        metadata = await self.metadata(session)
        try:
            body = await _get_json(session, str(metadata["jwks_uri"]))
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as error:
            if self._keys:
                log.warning("JWKS of %s unreachable, keeping its keys: %r", self.url, error)
                # Try again after the refetch interval, not on every call meanwhile.
                self._fetched = time.monotonic() - self.cache_s + self.refetch_s
                return
            raise Unavailable(f"the signing keys of {self.url} cannot be fetched") from error
        keys: dict[str, jwt.PyJWK] = {}
        for entry in body.get("keys", []):
            if entry.get("use", "sig") != "sig" or entry.get("kty") not in ("RSA", "EC"):
                continue
            try:
                keys[str(entry.get("kid", ""))] = jwt.PyJWK(entry)
            except jwt.PyJWTError as error:
                log.warning("ignoring a key of %s: %s", self.url, error)
        self._keys = keys
        self._fetched = time.monotonic()


class TokenVerifier:
    """Verifies tokens of the configured issuers; returns their claims."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.audience = settings.auth_audience
        urls = [settings.auth_issuer, *settings.auth_extra_issuers]
        self.issuers = {
            url.rstrip("/"): Issuer(
                url, cache_s=settings.auth_jwks_cache_s, refetch_s=settings.auth_jwks_refetch_s
            )
            for url in urls
        }
        self._http: aiohttp.ClientSession | None = None

    @property
    def primary(self) -> Issuer:
        """The issuer the services' own client credentials are exchanged with."""
        return self.issuers[self.settings.auth_issuer.rstrip("/")]

    def http(self) -> aiohttp.ClientSession:
        """The HTTP client for discovery, JWKS and token requests."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S))
        return self._http

    async def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid token; Unauthenticated naming what is wrong otherwise."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"malformed token: {error}") from error
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise Unauthenticated(
                f"tokens signed with {echo(algorithm)} are refused; only {', '.join(ALGORITHMS)}"
            )
        issuer = self.issuers.get(str(unverified.get("iss", "")).rstrip("/"))
        if issuer is None:
            raise Unauthenticated("the token's issuer is not trusted")
        kid = header.get("kid")
        key = await issuer.key(self.http(), None if kid is None else str(kid))
        if key.algorithm_name != algorithm:
            raise Unauthenticated(f"the token's key is for {key.algorithm_name}, not {algorithm}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[str(algorithm)],
                audience=self.audience,
                issuer=str(unverified["iss"]),
                leeway=self.settings.auth_leeway_s,
                options={"require": ["iss", "aud", "sub", "exp", "iat", "nbf"]},
            )
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"invalid token: {error}") from error
        lifetime = float(claims["exp"]) - float(claims["iat"])
        if lifetime > self.settings.auth_max_token_lifetime_s:
            raise Unauthenticated(
                f"the token lives {lifetime:.0f} s, longer than the "
                f"{self.settings.auth_max_token_lifetime_s} s allowed"
            )
        return claims

    async def close(self) -> None:
        """Close the HTTP client."""
        if self._http is not None:
            await self._http.close()


@dataclass
class ServiceCredentials:
    """This service's own token from the issuer (client credentials), cached until shortly
    before it expires."""

    settings: Settings
    verifier: TokenVerifier
    client_id: str
    _token: str = ""
    _expires: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def secret(self) -> str:
        """The client secret: from the environment, else from the secret directory."""
        if self.settings.auth_client_secret is not None:
            return self.settings.auth_client_secret.get_secret_value()
        path = self.settings.auth_client_secret_dir / f"{self.client_id}.secret"
        try:
            return path.read_text().strip()
        except OSError as error:
            raise Unavailable(f"no client secret for {self.client_id} ({path})") from error

    async def token(self) -> str:
        """A valid access token of this service."""
        if self._token and time.time() < self._expires - TOKEN_MARGIN_S:
            return self._token
        async with self._lock:
            if not self._token or time.time() >= self._expires - TOKEN_MARGIN_S:
                await self._fetch()
        return self._token

    def forget(self) -> None:
        """Drop the cached token (another service refused it, e.g. after a key rotation)."""
        self._token = ""

    async def _fetch(self) -> None:
        http = self.verifier.http()
        metadata = await self.verifier.primary.metadata(http)
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.secret(),
        }
        if self.settings.auth_client_scope:
            form["scope"] = self.settings.auth_client_scope
        try:
            async with http.post(str(metadata["token_endpoint"]), data=form) as reply:
                body = await reply.json(content_type=None)
                if reply.status != 200:
                    raise Unavailable(
                        f"the issuer refused {self.client_id}'s client credentials: "
                        f"{body.get('error', reply.status)}"
                    )
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise Unavailable("the token issuer cannot be reached") from error
        self._token = str(body["access_token"])
        self._expires = time.time() + float(body.get("expires_in", 300))


async def bearer(credentials: ServiceCredentials) -> list[tuple[str, str]]:
    """Call metadata carrying this service's own token."""
    return [("authorization", f"Bearer {await credentials.token()}")]


class Peer:
    """Another VIAS service, called with this service's own token over one channel opened on
    first use. A call its token is refused for (UNAUTHENTICATED, e.g. after a key rotation)
    drops the cached token, so the next call fetches a new one."""

    def __init__(
        self,
        address: str,
        stub_class: Callable[[grpc.aio.Channel], Any],
        credentials: ServiceCredentials,
    ) -> None:
        self.address = address
        self.credentials = credentials
        self._stub_class = stub_class
        self._stub: Any = None

    @property
    def stub(self) -> Any:
        """The service's stub (the channel opens on first use)."""
        if self._stub is None:
            self._stub = self._stub_class(grpc.aio.insecure_channel(self.address))
        return self._stub

    async def metadata(self) -> list[tuple[str, str]]:
        """Call metadata carrying this service's own token."""
        return await bearer(self.credentials)

    def refused(self, error: grpc.aio.AioRpcError) -> grpc.StatusCode:
        """The failed call's code, forgetting the token when it was the token refused."""
        if error.code() == grpc.StatusCode.UNAUTHENTICATED:
            self.credentials.forget()
        return error.code()

    async def call(self, method: str, request: Any, *, timeout: float) -> Any:
        """A unary call; AioRpcError as raised (after `refused`)."""
        try:
            return await getattr(self.stub, method)(
                request, metadata=await self.metadata(), timeout=timeout
            )
        except grpc.aio.AioRpcError as error:
            self.refused(error)
            raise


class SessionGate:
    """Asks the identity service about a user's session; answers are kept `cache_s`."""

    def __init__(self, settings: Settings, credentials: ServiceCredentials) -> None:
        self.settings = settings
        self.identity = Peer(
            settings.identity_address, identity_pb2_grpc.IdentityServiceStub, credentials
        )
        self._cache: dict[tuple[str, str, str], tuple[float, Principal | str]] = {}

    async def principal(self, claims: dict[str, Any]) -> Principal:
        """The session's user, recording activity; Unauthenticated when the session ended."""
        key = (str(claims["iss"]), str(claims["sid"]), str(claims["sub"]))
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is None or cached[0] <= now:
            answer = await self._ask(claims)
            if len(self._cache) > 10_000:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            cached = (now + self.settings.auth_session_cache_s, answer)
            self._cache[key] = cached
        if isinstance(cached[1], str):
            raise Unauthenticated(cached[1])
        return cached[1]

    async def _ask(self, claims: dict[str, Any]) -> Principal | str:
        request = identity_pb2.CheckSessionRequest(claims_json=json.dumps(claims, default=str))
        try:
            try:
                reply = await self._ask_once(request)
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.UNAUTHENTICATED:
                    raise
                # This service's own token was refused (a rotated-out key): with a new one.
                reply = await self._ask_once(request)
        except grpc.aio.AioRpcError as error:
            log.warning("CheckSession failed: %s %s", error.code().name, error.details())
            raise Unavailable("the identity service cannot check the session now") from error
        if reply.ended:
            return str(reply.reason or "the session has ended")
        return Principal(
            user_id=reply.user_id,
            role=reply.role,
            supplier_id=reply.supplier_id or None,
            session_id=reply.session_id,
        )

    async def _ask_once(self, request: Any) -> Any:
        return await self.identity.call("CheckSession", request, timeout=HTTP_TIMEOUT_S)


class Authenticator:
    """Who a bearer token names: a user's live session, or a VIAS service."""

    def __init__(self, settings: Settings, service: str) -> None:
        self.settings = settings
        self.verifier = TokenVerifier(settings)
        client_id = settings.auth_client_id or f"vias-{service}"
        self.credentials = ServiceCredentials(settings, self.verifier, client_id)
        self.sessions = SessionGate(settings, self.credentials)

    async def authenticate(self, token: str) -> Principal:
        """The caller; Unauthenticated for a bad, unknown, expired or ended token."""
        claims = await self.verifier.verify(token)
        if claims.get("sid"):
            return await self.sessions.principal(claims)
        client = next((str(claims[c]) for c in CLIENT_ID_CLAIMS if claims.get(c)), None)
        if client is not None and client in self.settings.auth_service_clients:
            return Principal(user_id=client, role=SERVICE_ROLE)
        raise Unauthenticated("the token carries no session id (sid)")

    async def service_token(self) -> str:
        """This service's own token for calling another service."""
        return await self.credentials.token()

    async def close(self) -> None:
        """Release the HTTP client."""
        await self.verifier.close()
