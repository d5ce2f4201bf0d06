"""The local OpenID Connect issuer: local runs and tests get their tokens the way production
gets them from MitID Erhverv's broker, Entra ID or Keycloak, and every service verifies them
the same way (discovery document, JWKS, RS256).

- `GET /.well-known/openid-configuration`: the discovery document.
- `GET /jwks.json`: the public keys (the active one and the one before a rotation).
- `POST /token` (form): `grant_type=client_credentials` with `client_id`/`client_secret` (the
  services, secrets under `<dir>/clients/`); `grant_type=urn:vias:grant-type:local-user` with
  `user_id` and, where local users are allowed, `role`, `supplier_id`, `name`, `manager_id`
  (creates or changes the directory user; a deactivated user gets no token); and
  `grant_type=refresh_token`. User tokens carry a new session id (`sid`) and live at most 15
  minutes.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import jwt
from aiohttp import web
from pymongo.asynchronous.database import AsyncDatabase

from services.identity import directory, keys, sessions
from services.identity.directory import Doc, User
from services.identity.settings import IdentitySettings
from services.kernel.envelope import utcnow
from services.kernel.errors import InvalidInput, Unauthenticated

log = logging.getLogger(__name__)

LOCAL_USER_GRANT = "urn:vias:grant-type:local-user"
CLIENT_CREDENTIALS = "client_credentials"
REFRESH_TOKEN = "refresh_token"


class OAuthError(Exception):
    """An RFC 6749 error answer."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class LocalIssuer:
    """Issues tokens signed with the key pairs under `<dir>/keys`."""

    def __init__(self, db: AsyncDatabase[Doc], settings: IdentitySettings, audience: str) -> None:
        self.db = db
        self.settings = settings
        self.audience = audience
        self.url = settings.issuer_url()
        self.keys_dir = settings.local_issuer_dir / "keys"
        self.clients_dir = settings.local_issuer_dir / "clients"
        keys.ensure_keys(self.keys_dir)

    def discovery(self) -> dict[str, Any]:
        """The OpenID Connect discovery document."""
        return {
            "issuer": self.url,
            "jwks_uri": f"{self.url}/jwks.json",
            "token_endpoint": f"{self.url}/token",
            "grant_types_supported": [CLIENT_CREDENTIALS, LOCAL_USER_GRANT, REFRESH_TOKEN],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "response_types_supported": ["token"],
            "claims_supported": ["iss", "aud", "sub", "exp", "nbf", "iat", "sid", "jti"],
        }

    def sign(self, claims: dict[str, Any], now: datetime) -> tuple[str, int]:
        """A signed access token and its lifetime in seconds."""
        ttl = self.settings.local_token_ttl_s
        key_set = keys.load(self.keys_dir)
        body = {
            "iss": self.url,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + timedelta(seconds=ttl),
            "jti": uuid.uuid4().hex,
            **claims,
        }
        token = jwt.encode(
            body, key_set.signing_key(), algorithm="RS256", headers={"kid": key_set.active_kid}
        )
        return token, ttl

    async def token(self, form: dict[str, str]) -> dict[str, Any]:
        """The token endpoint's answer to a grant."""
        grant = form.get("grant_type", "")
        now = utcnow()
        if grant == CLIENT_CREDENTIALS:
            client_id = form.get("client_id", "")
            if not keys.client_secret_matches(
                self.clients_dir, client_id, form.get("client_secret", "")
            ):
                raise OAuthError("invalid_client", "unknown client or wrong secret", 401)
            token, ttl = self.sign({"sub": client_id, "client_id": client_id}, now)
            return {"access_token": token, "token_type": "Bearer", "expires_in": ttl}
        if grant == LOCAL_USER_GRANT:
            user = await self._local_user(form, now)
            return await self._login(user, now)
        if grant == REFRESH_TOKEN:
            try:
                session = await sessions.by_refresh_token(
                    self.db, form.get("refresh_token", ""), self.settings.session_idle_s, now
                )
            except Unauthenticated as error:
                raise OAuthError("invalid_grant", str(error)) from None
            token, ttl = self.sign(self._user_claims(session), now)
            return {"access_token": token, "token_type": "Bearer", "expires_in": ttl}
        raise OAuthError(
            "unsupported_grant_type",
            f"grant_type must be one of {CLIENT_CREDENTIALS}, {LOCAL_USER_GRANT}, {REFRESH_TOKEN}",
        )

    async def _local_user(self, form: dict[str, str], now: datetime) -> User:
        """The directory user logging in; created or changed when local users are allowed."""
        user_id = form.get("user_id", "")
        found = await directory.find_user(self.db, user_id)
        role = form.get("role")
        if role and self.settings.local_users:
            supplier_id = form.get("supplier_id") or None
            violations = directory.user_violations(
                user_id=user_id,
                role=role,
                supplier_id=supplier_id,
                manager_id=form.get("manager_id") or None,
            )
            if violations:
                raise OAuthError("invalid_request", str(InvalidInput(violations)))
            wanted = User(
                user_id=user_id,
                role=role,
                name=form.get("name") or (found.name if found else ""),
                supplier_id=supplier_id,
                manager_id=form.get("manager_id") or (found.manager_id if found else None),
                active=found.active if found else True,
            )
            if wanted != found:
                await directory.save_user(self.db, wanted, None, now)
            found = wanted
        if found is None:
            raise OAuthError("invalid_grant", "the user is not in the VIAS directory")
        if not found.active:
            raise OAuthError("invalid_grant", sessions.ENDED_DEACTIVATED)
        return found

    async def _login(self, user: User, now: datetime) -> dict[str, Any]:
        refresh = secrets.token_urlsafe(32)
        session = await sessions.open_session(
            self.db,
            issuer=self.url,
            sid=uuid.uuid4().hex,
            subject=user.user_id,
            user=user,
            now=now,
            refresh_token=refresh,
        )
        token, ttl = self.sign(self._user_claims(session), now)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "refresh_token": refresh,
        }

    @staticmethod
    def _user_claims(session: Doc) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "sub": session["subject"],
            "sid": session["sid"],
            "role": session["role"],
        }
        if session.get("supplier_id"):
            claims["supplier_id"] = session["supplier_id"]
        return claims


def build_app(issuer: LocalIssuer) -> web.Application:
    """The issuer's HTTP endpoints."""

    async def discovery(request: web.Request) -> web.Response:
        return web.json_response(issuer.discovery())

    async def jwks(request: web.Request) -> web.Response:
        return web.json_response(keys.load(issuer.keys_dir).jwks())

    async def token(request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        try:
            answer = await issuer.token(form)
        except OAuthError as error:
            body = {"error": error.error, "error_description": error.description}
            return web.json_response(body, status=error.status)
        return web.json_response(answer, headers={"Cache-Control": "no-store"})

    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", discovery)
    app.router.add_get("/jwks.json", jwks)
    app.router.add_post("/token", token)
    return app


async def start(issuer: LocalIssuer, host: str, port: int) -> web.AppRunner:
    """Listen on host:port; the runner to clean up."""
    runner = web.AppRunner(build_app(issuer), access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("local OpenID Connect issuer %s serving on %s:%d", issuer.url, host, port)
    return runner
