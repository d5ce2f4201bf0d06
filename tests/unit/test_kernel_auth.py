from datetime import timedelta

import pytest

from services.kernel.auth import TokenAuthority
from services.kernel.errors import InvalidInput, Unauthenticated

AUTHORITY = TokenAuthority(b"k" * 32, issuer="vias", audience="vias")


def test_a_token_carries_user_role_and_supplier() -> None:
    token = AUTHORITY.issue(user_id="u1", role="specialist", supplier_id="sup-7")
    principal = AUTHORITY.verify(token)
    assert (principal.user_id, principal.role, principal.supplier_id) == (
        "u1",
        "specialist",
        "sup-7",
    )
    assert principal.is_supplier


def test_visos_own_roles_carry_no_supplier() -> None:
    principal = AUTHORITY.verify(AUTHORITY.issue(user_id="c1", role="consultant"))
    assert principal.supplier_id is None and not principal.is_supplier


def test_a_token_signed_with_another_key_is_refused() -> None:
    other = TokenAuthority(b"o" * 32, issuer="vias", audience="vias")
    with pytest.raises(Unauthenticated):
        AUTHORITY.verify(other.issue(user_id="u1", role="manager"))


def test_an_expired_token_is_refused() -> None:
    token = AUTHORITY.issue(user_id="u1", role="manager", ttl=timedelta(seconds=-1))
    with pytest.raises(Unauthenticated):
        AUTHORITY.verify(token)


def test_garbage_is_refused() -> None:
    with pytest.raises(Unauthenticated):
        AUTHORITY.verify("not.a.token")


@pytest.mark.parametrize(
    ("role", "supplier_id"),
    [("specialist", None), ("consultant", "sup-1"), ("janitor", None)],
)
def test_roles_and_suppliers_must_match(role: str, supplier_id: str | None) -> None:
    with pytest.raises(InvalidInput):
        AUTHORITY.issue(user_id="u", role=role, supplier_id=supplier_id)
