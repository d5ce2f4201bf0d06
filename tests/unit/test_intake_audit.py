"""The audit records a reply leaves: one per citizen shown, with who, when, which call and why."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.intake import audit
from services.intake.audit import Access
from services.intake.commands import ConsentInput
from services.intake.domain import Inquiry, StoredCitizen
from services.intake.kas.model import KasForm, KasRegistration
from services.kernel.context import Principal
from services.kernel.errors import InvalidInput

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STAFF = Principal(user_id="support-1", role="support")


def inquiry(inquiry_id: str, *, citizen: bool) -> Inquiry:
    named = StoredCitizen(
        name="Anna",
        cpr_token="token",
        cpr_hash=f"hash-{inquiry_id}",
        birth_date=date(1990, 1, 1),
        consent=ConsentInput(basis="consent", citizen_consented=True),
    )
    return Inquiry(
        id=inquiry_id,
        status="registered",
        inquirer_name="Odense Kommune",
        main_area="adults",
        description="d",
        registered_at=NOW,
        registered_by="support-1",
        citizen=named if citizen else None,
    )


def kas(registration_id: str, **form: str) -> KasRegistration:
    return KasRegistration(
        id=registration_id,
        kas_number=f"KAS-2026-{registration_id}",
        supplier_id="sup-a",
        registered_by="k",
        registered_at=NOW,
        status="closed",
        form=KasForm.model_validate(form),
    )


def test_one_record_per_citizen_shown_and_none_for_inquiries_without_one() -> None:
    shown = [
        inquiry("a", citizen=True),
        inquiry("phone", citizen=False),
        inquiry("b", citizen=True),
    ]
    records = audit.inquiry_records(Access(STAFF, "ListInquiries"), shown, action="list", now=NOW)
    assert [(r["inquiry_id"], r["citizen_ref"]) for r in records] == [
        ("a", "hash-a"),
        ("b", "hash-b"),
    ]
    assert {(r["user_id"], r["role"], r["at"], r["call"], r["action"]) for r in records} == {
        ("support-1", "support", NOW, "ListInquiries", "list")
    }


def test_the_purpose_is_the_call_s_name_unless_the_caller_states_one() -> None:
    assert Access(STAFF, "AssignInquiry").why == "AssignInquiry"
    assert Access(STAFF, "AssignInquiry", "  ").why == "AssignInquiry"
    assert Access(STAFF, "AssignInquiry", "letter").why == "letter"


def test_a_purpose_holding_a_cpr_number_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        audit.access(STAFF, "GetInquiry", "about 010190-1234")
    assert [v.field for v in caught.value.violations] == ["purpose"]


@pytest.mark.parametrize(
    ("form", "audited"),
    [
        ({}, False),
        ({"channel": "phone", "municipality_code": "461"}, False),
        ({"person_ref": "Barn B"}, True),
        ({"inquirer_name": "Lene"}, True),
        ({"inquirer_email": "l@x.dk"}, True),
    ],
)
def test_a_kas_registration_is_audited_when_its_form_names_a_person(
    form: dict[str, str], audited: bool
) -> None:
    kas_user = Principal(user_id="k", role="kas_supplier", supplier_id="sup-a")
    records = audit.kas_records(
        Access(kas_user, "GetKasRegistration"), [kas("1", **form)], action="read", now=NOW
    )
    assert len(records) == int(audited)
    if audited:
        assert (records[0]["subject"], records[0]["kas_number"], records[0]["supplier_id"]) == (
            "kas_registration",
            "KAS-2026-1",
            "sup-a",
        )
