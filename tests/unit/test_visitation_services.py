"""Each advisory service's rules (reference data): who may inquire, about what, conditions,
whether a supplier is involved and the duration limit."""

from __future__ import annotations

from typing import Any

import pytest

from services.kernel.errors import IllegalTransition, InvalidInput
from services.visitation.catalog import Catalog, load_catalog
from services.visitation.commands import ProceedWithService
from services.visitation.domain.rules import check_service_choice, rule_breaches

CATALOG = load_catalog()

# A choice each service accepts: (main area, inquirer role, subject, facts, complexity area).
VALID: dict[str, tuple[str, str, str, dict[str, bool], str]] = {
    "phone": ("adults", "citizen", "individual", {}, "complex_problems"),
    "phone_extended": ("adults", "professional", "anonymous", {}, "complex_support_needs"),
    "citizen_course": ("children_youth", "parent", "individual", {}, "complex_problems"),
    "single_case": (
        "adults",
        "authority_caseworker",
        "individual",
        {"management_approved": True},
        "complex_problems",
    ),
    "mini_single_case": (
        "adults",
        "offer_leader",
        "individual",
        {"other_party_informed": True},
        "complex_support_needs",
    ),
    "group_course": ("adults", "authority_caseworker", "group", {}, "complex_problems"),
    "mini_group_course": (
        "adults",
        "group_leader",
        "group",
        {"authority_agrees": True},
        "complex_problems",
    ),
    "theme_course": ("special_education", "ppr", "group", {}, "complex_problems"),
    "adoption_course": (
        "children_youth",
        "authority_caseworker",
        "individual",
        {"management_approved": True},
        "complex_support_structures",
    ),
    "adoption_theme_days": (
        "children_youth",
        "management",
        "group",
        {},
        "complex_support_structures",
    ),
    "casework_course": (
        "adults",
        "authority_caseworker",
        "individual",
        {"management_approved": True, "citizen_acceptance": True},
        "complex_case_handling",
    ),
    "mini_casework_course": (
        "adults",
        "authority_caseworker",
        "individual",
        {"management_informed": True, "citizen_acceptance": True},
        "complex_case_handling",
    ),
}


def choice(service_id: str, **overrides: Any) -> tuple[ProceedWithService, Any]:
    area, role, subject, facts, complexity = VALID[service_id]
    fields: dict[str, Any] = {
        "case_id": "k1",
        "service_id": service_id,
        "inquirer_role": role,
        "subject": subject,
        "facts": facts,
        "complexity_areas": [complexity],
        "reasoning": "r",
    }
    fields.update(overrides)
    return ProceedWithService.model_validate(fields), area


def test_the_reference_data_has_the_twelve_services_of_the_handbook() -> None:
    assert {s.id for s in CATALOG.services} == set(VALID)


@pytest.mark.parametrize("service_id", sorted(VALID))
def test_each_service_accepts_a_choice_within_its_rules(service_id: str) -> None:
    command, area = choice(service_id)
    assert check_service_choice(command, CATALOG, area).id == service_id


def test_everyone_may_phone() -> None:
    phone = CATALOG.service("phone")
    assert phone is not None and set(phone.inquirer_roles) == set(CATALOG.inquirer_roles)


@pytest.mark.parametrize("service_id", sorted(set(VALID) - {"phone"}))
def test_each_service_refuses_an_inquirer_role_it_does_not_serve(service_id: str) -> None:
    service = CATALOG.service(service_id)
    assert service is not None
    outsiders = sorted(set(CATALOG.inquirer_roles) - set(service.inquirer_roles))
    command, area = choice(service_id, inquirer_role=outsiders[0])
    assert any("may not inquire" in b for b in rule_breaches(service, command, area))


@pytest.mark.parametrize("service_id", sorted(set(VALID) - {"phone"}))
def test_each_service_refuses_what_it_is_not_about(service_id: str) -> None:
    service = CATALOG.service(service_id)
    assert service is not None and service.about != "any"
    other = "group" if service.about != "group" else "individual"
    command, area = choice(service_id, subject=other)
    assert any(f"is about {service.about}" in b for b in rule_breaches(service, command, area))


@pytest.mark.parametrize(
    ("service_id", "facts", "reason"),
    [
        ("phone_extended", {"identifies_citizen": True}, "anonymous"),
        ("citizen_course", {"municipal_efforts_ongoing": True}, "municipal efforts"),
        ("single_case", {}, "management level"),
        (
            "single_case",
            {"management_approved": True, "main_problem_is_cooperation_conflict": True},
            "conflict",
        ),
        ("mini_single_case", {}, "informed"),
        ("mini_group_course", {}, "authority's agreement"),
        ("adoption_course", {}, "agreed with management"),
        ("casework_course", {"management_approved": True}, "acceptance"),
        ("mini_casework_course", {"citizen_acceptance": True}, "management must be informed"),
    ],
)
def test_each_condition_of_a_service_is_enforced(
    service_id: str, facts: dict[str, bool], reason: str
) -> None:
    command, area = choice(service_id, facts=facts)
    with pytest.raises(IllegalTransition, match=reason):
        check_service_choice(command, CATALOG, area)


def test_a_citizen_course_may_run_beside_municipal_efforts_for_another_problem() -> None:
    facts = {"municipal_efforts_ongoing": True, "different_problem_than_efforts": True}
    command, area = choice("citizen_course", facts=facts)
    assert check_service_choice(command, CATALOG, area).id == "citizen_course"


def test_an_offer_without_an_operating_agreement_must_go_through_the_authority() -> None:
    command, area = choice("group_course", inquirer_role="offer_leader")
    with pytest.raises(IllegalTransition, match="operating agreement"):
        check_service_choice(command, CATALOG, area)
    command, area = choice(
        "group_course", inquirer_role="offer_leader", facts={"offer_has_operating_agreement": True}
    )
    assert check_service_choice(command, CATALOG, area).id == "group_course"
    command, area = choice("mini_group_course", facts={"offer_has_operating_agreement": True})
    assert check_service_choice(command, CATALOG, area).id == "mini_group_course"


def test_single_case_in_special_education_comes_from_ppr_with_the_offer_s_leader_informed() -> None:
    command, _ = choice("single_case")
    with pytest.raises(IllegalTransition, match="ppr"):
        check_service_choice(command, CATALOG, "special_education")
    command, _ = choice("single_case", inquirer_role="ppr")
    with pytest.raises(IllegalTransition, match="leader of the child's or young person's offer"):
        check_service_choice(command, CATALOG, "special_education")
    facts = {"management_approved": True, "other_party_informed": True}
    command, _ = choice("single_case", inquirer_role="ppr", facts=facts)
    assert check_service_choice(command, CATALOG, "special_education").id == "single_case"


def test_an_authority_caseworker_s_single_case_needs_no_leader_informed() -> None:
    command, area = choice("single_case")
    assert "other_party_informed" not in command.facts
    assert check_service_choice(command, CATALOG, area).id == "single_case"


def test_adoption_courses_are_about_children() -> None:
    command, _ = choice("adoption_course")
    with pytest.raises(IllegalTransition, match="not offered in the main area adults"):
        check_service_choice(command, CATALOG, "adults")


@pytest.mark.parametrize(
    ("service_id", "limit"),
    [
        ("citizen_course", 4),
        ("single_case", 8),
        ("mini_single_case", 4),
        ("group_course", 8),
        ("mini_group_course", 4),
        ("casework_course", 8),
        ("mini_casework_course", 4),
    ],
)
def test_the_duration_limit_of_each_service(service_id: str, limit: int) -> None:
    command, area = choice(service_id, planned_duration_months=limit)
    check_service_choice(command, CATALOG, area)
    command, area = choice(service_id, planned_duration_months=limit + 1)
    with pytest.raises(IllegalTransition, match=f"at most {limit} months"):
        check_service_choice(command, CATALOG, area)


def test_services_without_a_limit_accept_any_planned_length() -> None:
    for service_id in ("adoption_course", "theme_course", "phone_extended"):
        command, area = choice(service_id, planned_duration_months=24)
        check_service_choice(command, CATALOG, area)


@pytest.mark.parametrize(
    ("service_id", "supplier"),
    [
        ("phone", "none"),
        ("phone_extended", "optional"),
        ("citizen_course", "required"),
        ("single_case", "required"),
        ("casework_course", "none"),
        ("mini_casework_course", "none"),
        ("theme_course", "required"),
    ],
)
def test_whether_a_supplier_is_involved(service_id: str, supplier: str) -> None:
    service = CATALOG.service(service_id)
    assert service is not None and service.supplier == supplier


def test_mini_single_case_covers_only_complex_problems_and_support_needs() -> None:
    command, area = choice("mini_single_case", complexity_areas=["complex_case_handling"])
    with pytest.raises(IllegalTransition, match="does not cover complex_case_handling"):
        check_service_choice(command, CATALOG, area)


def test_every_breach_is_listed_at_once() -> None:
    command, area = choice("single_case", inquirer_role="citizen", subject="group", facts={})
    service = CATALOG.service("single_case")
    assert service is not None
    assert len(rule_breaches(service, command, area)) == 3


def test_unknown_ids_are_invalid_input_naming_each_field() -> None:
    command = ProceedWithService(
        case_id="k1",
        service_id="yoga",
        inquirer_role="astrologer",
        subject="individual",
        facts={"moon_phase": True},
        complexity_areas=["cosmic"],
        reasoning="r",
    )
    with pytest.raises(InvalidInput) as caught:
        check_service_choice(command, CATALOG, "adults")
    assert {v.field for v in caught.value.violations} == {
        "service_id",
        "inquirer_role",
        "facts.moon_phase",
        "complexity_areas.0",
    }


def test_reference_data_naming_an_unknown_fact_or_role_is_refused() -> None:
    data = CATALOG.model_dump(mode="json")
    data["services"][0]["conditions"] = [{"fact": "unknown", "must_be": True, "reason": "r"}]
    with pytest.raises(ValueError, match="unknown facts"):
        Catalog.model_validate(data)
    data = CATALOG.model_dump(mode="json")
    data["services"][0]["inquirer_roles"] = ["pirate"]
    with pytest.raises(ValueError, match="unknown inquirer roles"):
        Catalog.model_validate(data)


def test_a_catalog_file_can_replace_the_shipped_one(tmp_path: Any) -> None:
    data = CATALOG.model_dump(mode="json")
    data["services"] = [s for s in data["services"] if s["id"] == "phone"]
    path = tmp_path / "services.json"
    path.write_text(Catalog.model_validate(data).model_dump_json())
    assert [s.id for s in load_catalog(path).services] == ["phone"]
