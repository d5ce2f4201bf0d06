"""Intake's reference data files."""

from __future__ import annotations

from services.intake.reference import load_reference

REF = load_reference()


def test_all_98_danish_municipalities_with_unique_codes() -> None:
    codes = [m.code for m in REF.municipalities]
    assert len(codes) == 98 == len(set(codes))
    odense = REF.municipality("461")
    assert odense is not None and odense.name == "Odense Kommune"
    assert REF.municipality("411") is None  # Christiansø is not a municipality
    assert REF.municipality_not_stated.code == "0"


def test_every_service_names_known_inquirer_types() -> None:
    types = {t.id for t in REF.inquirer_types}
    assert {s.id for s in REF.services} >= {"phone", "single_case", "theme_course"}
    assert all(set(s.inquirer_types) <= types for s in REF.services)
    assert len(REF.target_groups) == 50 and len({g.id for g in REF.target_groups}) == 50


def test_kas_lists_have_the_four_handling_choices() -> None:
    assert [h.id for h in REF.kas.handlings] == [
        "closed",
        "referred",
        "course_advice",
        "course_assessment_advice",
    ]
    assert REF.kas.course_duration_aim_months == 8
