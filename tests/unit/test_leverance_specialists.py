"""Specialists from the hand-over: an unlisted one is flagged; only listed, trained ones propose."""

from __future__ import annotations

import pytest

from services.kernel.errors import IllegalTransition
from services.leverance.domain import course as course_rules
from services.leverance.domain import suppliers as rules
from services.leverance.domain.suppliers import Specialist, SupplierProfile, TrainingModule
from tests.unit.test_leverance_builders import NOW, handed


def supplier(*specialists: Specialist) -> rules.Supplier:
    fresh = rules.new_supplier("s-1", SupplierProfile(name="Center", kind="municipal"), now=NOW)
    for specialist in specialists:
        fresh = rules.with_specialist(fresh, specialist, now=NOW) or fresh
    return fresh


def specialist(person: str, *training: tuple[str, str], role: str = "specialist") -> Specialist:
    modules = tuple(TrainingModule(module=m, status=s) for m, s in training)
    return Specialist(specialist_id=person, name=person.title(), role=role, training=modules)


def test_a_hand_over_for_an_unlisted_specialist_still_opens_the_course_flagged() -> None:
    result = course_rules.hand_over(
        None, handed(), delivery_id="d-1", now=NOW, specialist_known=False
    )
    assert result is not None
    course, delivery, events = result
    assert [e.event_type for e in events] == ["CourseOpened"]
    assert not course.parts[0].specialist_known and not course.specialist_known
    assert delivery.status == "awaiting_proposal"


def test_only_a_listed_specialist_is_known_not_an_administrative_employee() -> None:
    listed = supplier(specialist("anna"), specialist("bo", role="supplier_admin"))
    assert rules.lists_specialist(listed, "anna")
    assert not rules.lists_specialist(listed, "bo")
    assert not rules.lists_specialist(listed, "carl")
    assert not rules.lists_specialist(None, "anna")


def test_an_unlisted_or_untrained_specialist_cannot_propose() -> None:
    listed = supplier(
        specialist("anna"),
        specialist("dora", ("Modul 1", "completed"), ("Modul 2", "in_progress")),
        specialist("eva", ("Modul 1", "completed"), ("Modul 2", "completed")),
    )
    with pytest.raises(IllegalTransition, match="not listed"):
        rules.require_qualified_specialist(listed, "carl")
    with pytest.raises(IllegalTransition, match="Modul 2"):
        rules.require_qualified_specialist(listed, "dora")
    rules.require_qualified_specialist(listed, "anna")  # no modules recorded: none required
    rules.require_qualified_specialist(listed, "eva")
