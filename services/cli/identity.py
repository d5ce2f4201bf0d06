"""`vias login | logout | token` (tokens from the OpenID Connect issuer, cached until expiry)
and `vias users ...` (the user directory)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.cli.leverance import _csv_text
from services.identity.login import LoginError, Tokens, local_login, refresh
from services.kernel.context import ROLES
from services.kernel.settings import Settings
from vias.identity.v1 import identity_pb2, identity_pb2_grpc

if TYPE_CHECKING:
    from services.cli.main import Client

LOGIN = "login"
DEFAULT_USER = ("cli-user", "support")
"""Who the CLI logs in as locally when nobody ran `vias login` and no --as-user is given."""


def issuer_url() -> str:
    """The issuer the platform trusts (VIAS_AUTH_ISSUER, else the local one)."""
    return Settings().auth_issuer


def cache_file() -> Path:
    """Where logins are cached: $VIAS_CLI_TOKEN_DIR, else ~/.cache/vias."""
    base = os.environ.get("VIAS_CLI_TOKEN_DIR") or Path.home() / ".cache" / "vias"
    return Path(base) / "tokens.json"


def _read_cache() -> dict[str, Any]:
    try:
        found = json.loads(cache_file().read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _write_cache(cache: dict[str, Any]) -> None:
    path = cache_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps(cache, indent=2))


def _entries() -> dict[str, Any]:
    """The cached logins at this issuer, by key."""
    entries: dict[str, Any] = _read_cache().get(issuer_url(), {})
    return entries


def _store(key: str, tokens: Tokens | None) -> None:
    cache = _read_cache()
    entries = cache.setdefault(issuer_url(), {})
    if tokens is None:
        entries.pop(key, None)
    else:
        entries[key] = tokens.to_json()
    _write_cache(cache)


def cached_token(key: str) -> str | None:
    """A valid access token of a cached login, refreshed when it expired; None without one."""
    entry = _entries().get(key)
    if entry is None:
        return None
    tokens = Tokens(**entry)
    if tokens.valid_for(30):
        return tokens.access_token
    if not tokens.refresh_token:
        return None
    try:
        renewed = refresh(issuer_url(), tokens)
    except LoginError:
        _store(key, None)
        return None
    _store(key, renewed)
    return renewed.access_token


def token_for(user: str | None, role: str | None, supplier: str | None) -> str:
    """The bearer token of a command: `--as-user`'s own login, else `vias login`'s, else the
    local default user's (cli-user, support unless `--as-role` says otherwise)."""
    if user is None and role is None and supplier is None:
        found = cached_token(LOGIN)
        if found is not None:
            return found
    if user is None:
        user, role = DEFAULT_USER[0], role or DEFAULT_USER[1]
    key = f"as:{user}|{role or ''}|{supplier or ''}"
    found = cached_token(key)
    if found is None:
        tokens = local_login(issuer_url(), user, role, supplier)
        _store(key, tokens)
        found = tokens.access_token
    return found


def login(args: argparse.Namespace) -> int:
    """`vias login`: a new session at the local issuer, cached."""
    tokens = local_login(issuer_url(), args.user, args.role, args.supplier)
    _store(LOGIN, tokens)
    print(f"logged in as {args.user} at {issuer_url()}")
    return 0


async def logout(args: argparse.Namespace, client: Client) -> Any:
    """`vias logout`: end the session everywhere and forget its token."""
    stub = identity_pb2_grpc.IdentityServiceStub(client.channel("identity"))
    await client.call(stub.Logout, identity_pb2.LogoutRequest())
    _store(LOGIN, None)
    return {"logged_out": True}


async def get_user(args: argparse.Namespace, client: Client) -> Any:
    stub = identity_pb2_grpc.IdentityServiceStub(client.channel("identity"))
    return await client.call(stub.GetUser, identity_pb2.GetUserRequest(user_id=args.user))


async def list_users(args: argparse.Namespace, client: Client) -> Any:
    stub = identity_pb2_grpc.IdentityServiceStub(client.channel("identity"))
    request = identity_pb2.ListUsersRequest(
        role=args.role or "", supplier_id=args.supplier or "", page_token=args.page_token or ""
    )
    return await client.call(stub.ListUsers, request)


async def import_users(args: argparse.Namespace, client: Client) -> Any:
    stub = identity_pb2_grpc.IdentityServiceStub(client.channel("identity"))
    return await client.call(stub.ImportUsers, identity_pb2.ImportUsersRequest(csv=args.file))


async def deactivate_user(args: argparse.Namespace, client: Client) -> Any:
    stub = identity_pb2_grpc.IdentityServiceStub(client.channel("identity"))
    request = identity_pb2.DeactivateUserRequest(user_id=args.user)
    return await client.call(stub.DeactivateUser, request)


def add_commands(sub: Any) -> None:
    """login, logout, token and the directory's commands."""
    start = sub.add_parser("login", help="log in at the local OpenID Connect issuer")
    start.add_argument("--user", required=True)
    start.add_argument("--role", choices=ROLES, help="create or change the local user")
    start.add_argument("--supplier", help="the supplier of supplier staff")
    sub.add_parser("logout", help="end the session of `vias login`").set_defaults(call=logout)
    sub.add_parser("token", help="print the access token of `vias login`")

    users = sub.add_parser("users", help="the user directory")
    actions = users.add_subparsers(dest="action", required=True)
    one = actions.add_parser("get", help="one user")
    one.add_argument("user")
    one.set_defaults(call=get_user)
    listed = actions.add_parser("list", help="users, one page")
    listed.add_argument("--role", choices=ROLES)
    listed.add_argument("--supplier")
    listed.add_argument("--page-token")
    listed.set_defaults(call=list_users)
    imported = actions.add_parser(
        "import",
        help="users from a CSV file (user_id,name,role,supplier_id,supplier_cvr,manager_id,active)",
    )
    imported.add_argument("file", type=_csv_text)
    imported.set_defaults(call=import_users)
    off = actions.add_parser("deactivate", help="deactivate a user: their sessions end at once")
    off.add_argument("user")
    off.set_defaults(call=deactivate_user)
