"""Issue 19: tokens from an OpenID Connect issuer, verified as in production on every service,
over real HTTP against the local issuer; sessions that end by idleness, logout and
deactivation; the user directory with its CSV import and claim mapping."""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import jwt
import pytest

from services.identity import keys
from services.identity.login import LoginError, local_login, refresh, token_request
from tests.support import DEADLINE, Clients, eventually, vias_command
from vias.documents.v1 import documents_pb2
from vias.identity.v1 import identity_pb2
from vias.intake.v1 import intake_pb2
from vias.leverance.v1 import leverance_pb2
from vias.notifications.v1 import notifications_pb2
from vias.statistics.v1 import statistics_pb2, statistics_pb2_grpc
from vias.visitation.v1 import visitation_pb2

Metadata = list[tuple[str, str]]
CVR_CLAIM = "https://data.gov.dk/model/core/eid/professional/cvr"


def bearer(token: str) -> Metadata:
    return [("authorization", f"Bearer {token}")]


def probes(clients: Clients) -> dict[str, Callable[[Metadata], Awaitable[Any]]]:
    """One call per service; any answer but UNAUTHENTICATED means the token was accepted."""
    statistics = statistics_pb2_grpc.StatisticsServiceStub(
        grpc.aio.insecure_channel(clients.platform.grpc_address("statistics"))
    )
    calls: dict[str, Callable[[Metadata], Awaitable[Any]]] = {
        "intake": lambda m: clients.intake.GetInquiry(
            intake_pb2.GetInquiryRequest(inquiry_id="none"), metadata=m, timeout=DEADLINE
        ),
        "visitation": lambda m: clients.visitation.GetCase(
            visitation_pb2.GetCaseRequest(case_id="none"), metadata=m, timeout=DEADLINE
        ),
        "leverance": lambda m: clients.leverance.GetCaseReference(
            leverance_pb2.GetCaseReferenceRequest(case_id="none"), metadata=m, timeout=DEADLINE
        ),
        "documents": lambda m: clients.documents.GetDocument(
            documents_pb2.GetDocumentRequest(document_id="none"), metadata=m, timeout=DEADLINE
        ),
        "notifications": lambda m: clients.notifications.ListNotices(
            notifications_pb2.ListNoticesRequest(), metadata=m, timeout=DEADLINE
        ),
        "statistics": lambda m: statistics.GetAnnualReport(
            statistics_pb2.GetAnnualReportRequest(year=2025), metadata=m, timeout=DEADLINE
        ),
        "identity": lambda m: clients.identity.GetUser(
            identity_pb2.GetUserRequest(user_id="none"), metadata=m, timeout=DEADLINE
        ),
    }
    assert set(calls) == set(clients.platform.services)
    return calls


async def answer(call: Callable[[Metadata], Awaitable[Any]], metadata: Metadata) -> str:
    """The status code name a call ends with."""
    try:
        await call(metadata)
    except grpc.aio.AioRpcError as error:
        return str(error.code().name)
    return "OK"


async def codes(clients: Clients, metadata: Metadata) -> dict[str, str]:
    """Each service's answer to the token."""
    return {name: await answer(call, metadata) for name, call in probes(clients).items()}


async def accepted_everywhere(clients: Clients, metadata: Metadata) -> bool:
    return "UNAUTHENTICATED" not in (await codes(clients, metadata)).values()


async def refused_everywhere(clients: Clients, metadata: Metadata) -> bool:
    return set((await codes(clients, metadata)).values()) == {"UNAUTHENTICATED"}


def issuer_keys(clients: Clients) -> keys.KeySet:
    return keys.load(clients.platform.identity_dir / "keys")


def claims_of(metadata: Metadata) -> dict[str, Any]:
    token = metadata[0][1].removeprefix("Bearer ")
    found: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return found


def signed(clients: Clients, claims: dict[str, Any]) -> str:
    """A token the issuer's own active key signs: what the provider would send."""
    key_set = issuer_keys(clients)
    return jwt.encode(
        claims, key_set.signing_key(), algorithm="RS256", headers={"kid": key_set.active_kid}
    )


def fresh_claims(clients: Clients, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": clients.issuer_url,
        "aud": clients.platform.settings.auth_audience,
        "sub": "nobody",
        "sid": uuid.uuid4().hex,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=10),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, default=lambda d: int(d.timestamp())).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


async def test_a_token_from_the_issuer_works_on_every_service(clients: Clients) -> None:
    metadata = clients.login(user="id-valid", role="support")
    assert (await codes(clients, metadata))["identity"] == "NOT_FOUND"
    assert await accepted_everywhere(clients, metadata)
    claims = claims_of(metadata)
    assert claims["iss"] == clients.issuer_url and claims["sid"]
    assert claims["exp"] - claims["iat"] <= 15 * 60


def test_the_issuer_publishes_discovery_and_only_asymmetric_keys(clients: Clients) -> None:
    url = f"{clients.issuer_url}/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=5) as reply:
        discovery = json.loads(reply.read())
    assert discovery["issuer"] == clients.issuer_url
    with urllib.request.urlopen(discovery["jwks_uri"], timeout=5) as reply:
        jwks = json.loads(reply.read())
    assert jwks["keys"] and {k["kty"] for k in jwks["keys"]} == {"RSA"}
    assert all("d" not in k for k in jwks["keys"]), "private parts are never published"


@pytest.mark.parametrize(
    "forgery",
    ["hs256", "none", "expired", "not_yet_valid", "other_issuer", "other_audience", "too_long"],
)
async def test_forged_or_stale_tokens_are_unauthenticated_everywhere(
    clients: Clients, forgery: str
) -> None:
    # A real session, so that only the forgery can be what is refused.
    real = claims_of(clients.login(user="id-forged", role="support"))
    now = datetime.now(UTC)
    if forgery == "hs256":
        token = jwt.encode(real, "a-shared-secret-anyone-could-hold!", algorithm="HS256")
    elif forgery == "none":
        token = unsigned(real)
    elif forgery == "expired":
        token = signed(
            clients, {**real, "iat": now - timedelta(minutes=20), "exp": now - timedelta(minutes=5)}
        )
    elif forgery == "not_yet_valid":
        token = signed(clients, {**real, "nbf": now + timedelta(minutes=5)})
    elif forgery == "other_issuer":
        token = signed(clients, {**real, "iss": "https://issuer.example.org"})
    elif forgery == "other_audience":
        token = signed(clients, {**real, "aud": "another-system"})
    else:
        token = signed(clients, {**real, "exp": now + timedelta(hours=8)})
    assert await refused_everywhere(clients, bearer(token))


async def test_a_rotation_is_picked_up_without_restart_and_rotated_out_keys_are_refused(
    clients: Clients,
) -> None:
    keys_dir = clients.platform.identity_dir / "keys"
    before = clients.login(user="id-rotation", role="support")
    assert await accepted_everywhere(clients, before)
    try:
        keys.rotate(keys_dir)
        after_one = clients.login(user="id-rotation", role="support")
        signed_with = jwt.get_unverified_header(after_one[0][1].removeprefix("Bearer "))["kid"]
        assert signed_with == issuer_keys(clients).active_kid
        # The services fetch the new key when a token names it; the old key stays published.
        await eventually(lambda: accepted_everywhere(clients, after_one))
        assert await accepted_everywhere(clients, before)

        keys.rotate(keys_dir)
        after_two = clients.login(user="id-rotation", role="support")
        await eventually(lambda: accepted_everywhere(clients, after_two))
        # The first key left the issuer's JWKS: its tokens are refused everywhere.
        assert await refused_everywhere(clients, before)
        assert await accepted_everywhere(clients, after_one)
    finally:
        clients.forget_tokens()


async def test_logout_ends_the_session_on_every_service_within_a_second(clients: Clients) -> None:
    metadata = clients.login(user="id-logout", role="consultant")
    other = clients.login(user="id-logout", role="consultant")
    assert await accepted_everywhere(clients, metadata)
    await clients.identity.Logout(identity_pb2.LogoutRequest(), metadata=metadata, timeout=DEADLINE)
    await asyncio.sleep(clients.platform.settings.auth_session_cache_s)
    assert await refused_everywhere(clients, metadata)
    # Only that session ended: the user's other login goes on.
    assert await accepted_everywhere(clients, other)


async def test_deactivation_refuses_the_users_tokens_everywhere_within_a_second(
    clients: Clients,
) -> None:
    user = f"id-leaver-{uuid.uuid4().hex[:6]}"
    metadata = clients.login(user=user, role="specialist", supplier="sup-leaver")
    assert await accepted_everywhere(clients, metadata)
    admin = clients.auth(user="id-admin", role="manager")
    deactivated = await clients.identity.DeactivateUser(
        identity_pb2.DeactivateUserRequest(user_id=user), metadata=admin, timeout=DEADLINE
    )
    assert not deactivated.active
    await asyncio.sleep(clients.platform.settings.auth_session_cache_s)
    assert await refused_everywhere(clients, metadata)
    with pytest.raises(LoginError, match="deactivated"):
        local_login(clients.issuer_url, user, "specialist", "sup-leaver")


async def test_only_managers_administer_the_directory(clients: Clients) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await clients.identity.DeactivateUser(
            identity_pb2.DeactivateUserRequest(user_id="id-valid"),
            metadata=clients.auth(user="id-support", role="support"),
            timeout=DEADLINE,
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_an_idle_session_ends_and_an_active_one_does_not(clients: Clients) -> None:
    platform = clients.platform
    idle_s = 2.0
    platform.restart_service("identity", {"VIAS_IDENTITY_SESSION_IDLE_S": str(idle_s)})
    try:
        idle = clients.login(user="id-idle", role="support")
        active = clients.login(user="id-active", role="support")
        assert await accepted_everywhere(clients, idle)
        assert await accepted_everywhere(clients, active)
        loop = asyncio.get_running_loop()
        until = loop.time() + 2 * idle_s
        while loop.time() < until:
            assert await accepted_everywhere(clients, active)
            await asyncio.sleep(idle_s / 4)
        assert await accepted_everywhere(clients, active)
        assert await refused_everywhere(clients, idle)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await clients.intake.GetInquiry(
                intake_pb2.GetInquiryRequest(inquiry_id="none"), metadata=idle, timeout=DEADLINE
            )
        assert "seconds without activity" in (caught.value.details() or "")
    finally:
        platform.restart_service("identity")


async def test_imported_users_map_from_the_providers_claims_by_their_organisation(
    clients: Clients,
) -> None:
    admin = clients.auth(user="id-admin", role="manager")
    tag = uuid.uuid4().hex[:6]
    own, other = (f"{uuid.uuid4().int % 10**8:08d}" for _ in range(2))
    csv = (
        "user_id,name,role,supplier_id,supplier_cvr,manager_id,active\n"
        f"imp-c-{tag},Karen Konsulent,consultant,,,imp-m-{tag},true\n"
        f"imp-s-{tag},Søren Specialist,specialist,imp-sup-{tag},{own},,true\n"
        f"imp-o-{tag},Other Supplier,specialist,imp-other-{tag},{other},,true\n"
    )
    imported = await clients.identity.ImportUsers(
        identity_pb2.ImportUsersRequest(csv=csv), metadata=admin, timeout=DEADLINE
    )
    assert (imported.created, imported.updated) == (3, 0)
    consultant = await clients.identity.GetUser(
        identity_pb2.GetUserRequest(user_id=f"imp-c-{tag}"), metadata=admin, timeout=DEADLINE
    )
    assert (consultant.role, consultant.manager_id, consultant.active) == (
        "consultant",
        f"imp-m-{tag}",
        True,
    )

    # The provider's token for the specialist logging in for their supplier's organisation.
    specialist = fresh_claims(clients, sub=f"imp-s-{tag}", **{CVR_CLAIM: own})
    assert await accepted_everywhere(clients, bearer(signed(clients, specialist)))
    # The same person logging in for another supplier's organisation is refused.
    elsewhere = fresh_claims(clients, sub=f"imp-s-{tag}", **{CVR_CLAIM: other})
    assert await refused_everywhere(clients, bearer(signed(clients, elsewhere)))
    # Someone the directory does not know is refused.
    stranger = fresh_claims(clients, sub=f"stranger-{tag}")
    assert await refused_everywhere(clients, bearer(signed(clients, stranger)))


async def test_a_bad_import_names_every_bad_cell_and_imports_nothing(clients: Clients) -> None:
    admin = clients.auth(user="id-admin", role="manager")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await clients.identity.ImportUsers(
            identity_pb2.ImportUsersRequest(
                csv="user_id,role,supplier_id\nbad-ok,support,\nbad-x,janitor,\n"
            ),
            metadata=admin,
            timeout=DEADLINE,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "csv.row[3].role" in (caught.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await clients.identity.GetUser(
            identity_pb2.GetUserRequest(user_id="bad-ok"), metadata=admin, timeout=DEADLINE
        )
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def test_users_are_listed_in_pages(clients: Clients) -> None:
    admin = clients.auth(user="id-admin", role="manager")
    supplier = f"page-sup-{uuid.uuid4().hex[:6]}"
    for number in range(5):
        clients.login(user=f"{supplier}-u{number}", role="specialist", supplier=supplier)
    seen: list[str] = []
    token = ""
    while True:
        page = await clients.identity.ListUsers(
            identity_pb2.ListUsersRequest(page_size=2, supplier_id=supplier, page_token=token),
            metadata=admin,
            timeout=DEADLINE,
        )
        seen += [u.user_id for u in page.users]
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"{supplier}-u{n}" for n in range(5)]


async def test_a_service_acts_with_its_own_client_credentials(clients: Clients) -> None:
    secret = (clients.platform.identity_dir / "clients" / "vias-notifications.secret").read_text()
    tokens = token_request(
        clients.issuer_url,
        {
            "grant_type": "client_credentials",
            "client_id": "vias-notifications",
            "client_secret": secret.strip(),
        },
    )
    assert "sid" not in claims_of(bearer(tokens.access_token))
    assert await accepted_everywhere(clients, bearer(tokens.access_token))
    with pytest.raises(LoginError, match="401"):
        token_request(
            clients.issuer_url,
            {
                "grant_type": "client_credentials",
                "client_id": "vias-notifications",
                "client_secret": "guessed",
            },
        )


async def test_the_cli_logs_in_at_the_issuer_reuses_its_token_and_logs_out(
    clients: Clients,
) -> None:
    def vias(*args: str) -> str:
        done = vias_command(clients.platform, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    user = f"cli-{uuid.uuid4().hex[:6]}"
    vias("login", "--user", user, "--role", "consultant")
    token = vias("token").strip()
    assert vias("token").strip() == token, "cached until it expires"
    assert claims_of(bearer(token))["sub"] == user
    json.loads(vias("notifications", "list"))
    vias("logout")
    await asyncio.sleep(clients.platform.settings.auth_session_cache_s)
    assert await refused_everywhere(clients, bearer(token))
    assert vias_command(clients.platform, "token").returncode == 1, "forgotten at logout"


async def test_a_refresh_token_renews_the_session_until_it_ends(clients: Clients) -> None:
    tokens = local_login(clients.issuer_url, "id-refresh", "support")
    renewed = refresh(clients.issuer_url, tokens)
    first, second = claims_of(bearer(tokens.access_token)), claims_of(bearer(renewed.access_token))
    assert second["sid"] == first["sid"] and second["jti"] != first["jti"]
    assert await accepted_everywhere(clients, bearer(renewed.access_token))
    await clients.identity.Logout(
        identity_pb2.LogoutRequest(), metadata=bearer(renewed.access_token), timeout=DEADLINE
    )
    with pytest.raises(LoginError, match="logout"):
        refresh(clients.issuer_url, tokens)
