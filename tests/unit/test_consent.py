"""The consent matrix (H 2.2.2, 2.2.3): which forms give VISO a basis to process data."""

from __future__ import annotations

from typing import Any

import pytest

from services.intake.commands import CitizenInput, ConsentInput, Person
from services.intake.domain import consent_violations

CPR = "010190-1234"


def citizen(**consent: Any) -> CitizenInput:
    extra = {
        k: consent.pop(k) for k in ("guardian", "attorney", "under_guardianship") if k in consent
    }
    return CitizenInput(
        name="Ann", cpr=CPR, consent=ConsentInput(**consent), custody_holders=[], **extra
    )


def fields(c: CitizenInput, age: int, inquirer: str = "municipal_administration") -> set[str]:
    return {v.field for v in consent_violations(c, age=age, inquirer_type=inquirer, prefix="c")}


GUARDIAN = Person(name="Værge Hansen")
ATTORNEY = Person(name="Fuldmægtig Berg")

ACCEPTED = [
    ("adult consents", 30, {"basis": "consent", "citizen_consented": True}),
    ("child, custody holder consents", 9, {"basis": "consent", "custody_holder_consented": True}),
    (
        "young person and custody holder consent",
        15,
        {"basis": "consent", "custody_holder_consented": True, "young_person_consented": True},
    ),
    (
        "guardian consents",
        40,
        {"basis": "guardian", "guardian_consented": True, "guardian": GUARDIAN},
    ),
    (
        "power of attorney in force",
        70,
        {
            "basis": "power_of_attorney",
            "attorney_consented": True,
            "power_of_attorney_in_force": True,
            "attorney": ATTORNEY,
        },
    ),
    (
        "§ 11d after an attempt",
        12,
        {"basis": "rsl_11d_without_consent", "consent_attempted": True},
    ),
    (
        "§ 82 with justification",
        55,
        {"basis": "sel_82_without_consent", "justification": "Svær demens; ingen kontakt mulig."},
    ),
    (
        "under guardianship, guardian consents",
        30,
        {
            "basis": "guardian",
            "guardian_consented": True,
            "guardian": GUARDIAN,
            "under_guardianship": True,
        },
    ),
]


@pytest.mark.parametrize(("case", "age", "consent"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_a_valid_basis_is_accepted(case: str, age: int, consent: dict[str, Any]) -> None:
    assert fields(citizen(**consent), age) == set()


REFUSED = [
    ("no basis at all", 30, {}, {"c.consent.basis"}),
    ("adult did not consent", 30, {"basis": "consent"}, {"c.consent.citizen_consented"}),
    (
        "child without custody holder's consent",
        8,
        {"basis": "consent"},
        {"c.consent.custody_holder_consented"},
    ),
    (
        "young person from 15 must consent too",
        15,
        {"basis": "consent", "custody_holder_consented": True},
        {"c.consent.young_person_consented"},
    ),
    (
        "§ 11d neither obtained nor attempted",
        10,
        {"basis": "rsl_11d_without_consent"},
        {"c.consent.consent_attempted"},
    ),
    (
        "§ 11d is for children only",
        25,
        {"basis": "rsl_11d_without_consent", "consent_attempted": True},
        {"c.consent.basis"},
    ),
    (
        "§ 82 without justification",
        60,
        {"basis": "sel_82_without_consent"},
        {"c.consent.justification"},
    ),
    (
        "§ 82 is for adults",
        12,
        {"basis": "sel_82_without_consent", "justification": "x"},
        {"c.consent.basis"},
    ),
    (
        "power of attorney not in force",
        70,
        {"basis": "power_of_attorney", "attorney_consented": True, "attorney": ATTORNEY},
        {"c.consent.power_of_attorney_in_force"},
    ),
    (
        "power of attorney for a child",
        10,
        {
            "basis": "power_of_attorney",
            "attorney_consented": True,
            "power_of_attorney_in_force": True,
        },
        {"c.consent.basis"},
    ),
    (
        "guardian basis without a named guardian",
        40,
        {"basis": "guardian", "guardian_consented": True},
        {"c.guardian"},
    ),
    (
        "under guardianship the citizen's own consent is not enough",
        30,
        {"basis": "consent", "citizen_consented": True, "under_guardianship": True},
        {"c.consent.basis"},
    ),
]


@pytest.mark.parametrize(("case", "age", "consent", "named"), REFUSED, ids=[c[0] for c in REFUSED])
def test_an_invalid_basis_is_refused_naming_the_field(
    case: str, age: int, consent: dict[str, Any], named: set[str]
) -> None:
    assert fields(citizen(**consent), age) == named


def test_only_the_municipality_may_disclose_without_consent_under_11d() -> None:
    form = citizen(basis="rsl_11d_without_consent", consent_attempted=True)
    assert fields(form, 10, inquirer="private_offer") == {"c.consent.basis"}
    assert fields(form, 10, inquirer="municipal_administration") == set()


def test_the_refusal_says_nothing_is_registered() -> None:
    [violation] = consent_violations(
        citizen(), age=30, inquirer_type="municipal_administration", prefix="c"
    )
    assert "nothing is registered" in violation.description


@pytest.mark.parametrize(
    ("age", "consent", "named"),
    [
        (14, {"basis": "consent", "custody_holder_consented": True}, set()),
        (
            17,
            {"basis": "consent", "custody_holder_consented": True},
            {"c.consent.young_person_consented"},
        ),
        (18, {"basis": "consent", "citizen_consented": True}, set()),
        (
            18,
            {"basis": "consent", "custody_holder_consented": True, "young_person_consented": True},
            {"c.consent.citizen_consented"},
        ),
        (17, {"basis": "rsl_11d_without_consent", "consent_attempted": True}, set()),
        (18, {"basis": "rsl_11d_without_consent", "consent_attempted": True}, {"c.consent.basis"}),
        (18, {"basis": "sel_82_without_consent", "justification": "Svær demens."}, set()),
        (17, {"basis": "sel_82_without_consent", "justification": "x"}, {"c.consent.basis"}),
    ],
)
def test_the_age_limits_15_and_18_decide_whose_consent_counts(
    age: int, consent: dict[str, Any], named: set[str]
) -> None:
    assert fields(citizen(**consent), age) == named
