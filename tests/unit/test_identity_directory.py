"""The user directory's pure rules: the CSV import, mapping a provider's claims to a user,
the organisation check and the idle limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.identity.directory import (
    User,
    check_organisation,
    login_from_claims,
    parse_users_csv,
)
from services.identity.sessions import ended_reason, idle_ended, idle_reason
from services.kernel.errors import InvalidInput, Unauthenticated

CVR_CLAIM = "https://data.gov.dk/model/core/eid/professional/cvr"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_a_users_csv_gives_each_user_with_supplier_manager_and_state() -> None:
    rows = parse_users_csv(
        "user_id,name,role,supplier_id,supplier_cvr,manager_id,active\n"
        "c-1,Karen Konsulent,consultant,,,m-1,true\n"
        "sp-1,Søren Specialist,specialist,sup-7,12345678,,ja\n"
        "old,Gammel Bruger,support,,,,false\n"
    )
    assert [r.user for r in rows] == [
        User("c-1", "consultant", "Karen Konsulent", None, "m-1", True),
        User("sp-1", "specialist", "Søren Specialist", "sup-7", None, True),
        User("old", "support", "Gammel Bruger", None, None, False),
    ]
    assert [r.supplier_cvr for r in rows] == [None, "12345678", None]


def test_semicolons_separate_columns_too_and_active_defaults_to_true() -> None:
    rows = parse_users_csv("user_id;role\nm-1;manager\n")
    assert rows[0].user == User("m-1", "manager")


def test_every_bad_cell_of_an_import_is_named_by_row_and_column() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_users_csv(
            "user_id,role,supplier_id,supplier_cvr,active\n"
            "ok,support,,,true\n"
            "sp,specialist,,,true\n"
            "c,consultant,sup-1,,true\n"
            "bad id,janitor,,,maybe\n"
            "x,specialist,sup-1,123,true\n"
            "ok,support,,,true\n"
        )
    assert {v.field for v in caught.value.violations} == {
        "csv.row[3].supplier_id",
        "csv.row[4].supplier_id",
        "csv.row[5].user_id",
        "csv.row[5].role",
        "csv.row[5].active",
        "csv.row[6].supplier_cvr",
        "csv.row[7].user_id",
    }


def test_an_import_needs_the_user_id_and_role_columns_and_knows_its_columns() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_users_csv("user_id,rolle\nx,support\n")
    assert {v.description for v in caught.value.violations} == {
        "missing column role",
        "unknown column 'rolle'",
    }


def test_the_configured_claim_names_the_user_and_the_cvr_claim_the_organisation() -> None:
    claims = {"sub": "uuid-1", "preferred_username": "karen", CVR_CLAIM: "12345678"}
    login = login_from_claims(claims, user_claim="preferred_username", cvr_claim=CVR_CLAIM)
    assert (login.user_id, login.cvr) == ("karen", "12345678")
    assert login_from_claims({"sub": "u"}, user_claim="sub", cvr_claim=CVR_CLAIM).cvr is None
    with pytest.raises(Unauthenticated):
        login_from_claims({"sub": "u"}, user_claim="preferred_username", cvr_claim=CVR_CLAIM)


def test_supplier_staff_log_in_for_their_own_suppliers_organisation() -> None:
    staff = User("sp-1", "specialist", supplier_id="sup-7")
    check_organisation(staff, "111", supplier_of_cvr="sup-7", viso_cvr=None, require_cvr=True)
    with pytest.raises(Unauthenticated):
        check_organisation(staff, "222", supplier_of_cvr="sup-8", viso_cvr=None, require_cvr=False)
    with pytest.raises(Unauthenticated):
        check_organisation(staff, "333", supplier_of_cvr=None, viso_cvr=None, require_cvr=False)


def test_viso_staff_log_in_for_viso_and_a_missing_cvr_counts_only_when_required() -> None:
    staff = User("c-1", "consultant")
    check_organisation(staff, "999", supplier_of_cvr=None, viso_cvr="999", require_cvr=True)
    check_organisation(staff, None, supplier_of_cvr=None, viso_cvr="999", require_cvr=False)
    with pytest.raises(Unauthenticated):
        check_organisation(staff, "111", supplier_of_cvr=None, viso_cvr="999", require_cvr=False)
    with pytest.raises(Unauthenticated):
        check_organisation(staff, None, supplier_of_cvr=None, viso_cvr=None, require_cvr=True)


def test_a_session_ends_only_after_the_idle_limit_without_activity() -> None:
    limit = 30 * 60
    assert not idle_ended(NOW - timedelta(minutes=30), NOW, limit)
    assert idle_ended(NOW - timedelta(minutes=30, seconds=1), NOW, limit)
    assert not idle_ended(NOW + timedelta(seconds=5), NOW, limit)


def test_why_a_session_ended() -> None:
    running = {"last_activity": NOW - timedelta(minutes=5), "ended_at": None}
    assert ended_reason(running, NOW, 1800) is None
    idle = {"last_activity": NOW - timedelta(minutes=31), "ended_at": None}
    assert ended_reason(idle, NOW, 1800) == idle_reason(1800)
    assert idle_reason(1800) == "the session ended after 30 minutes without activity"
    assert idle_reason(2) == "the session ended after 2 seconds without activity"
    out = {"last_activity": NOW, "ended_at": NOW, "ended_reason": "the user is deactivated"}
    assert ended_reason(out, NOW, 1800) == "the user is deactivated"
