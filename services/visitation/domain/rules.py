"""Whether an advisory service may be chosen for an inquiry, by the reference data's rules."""

from __future__ import annotations

from services.contracts.common import MainArea
from services.kernel.errors import FieldViolation, IllegalTransition, InvalidInput, mask
from services.visitation.catalog import AdvisoryService, Catalog
from services.visitation.commands import ProceedWithService


def validate_vocabulary(command: ProceedWithService, catalog: Catalog) -> AdvisoryService:
    """The chosen service; INVALID_ARGUMENT naming every id the reference data does not know."""
    violations: list[FieldViolation] = []
    service = catalog.service(command.service_id)
    if service is None:
        known = ", ".join(s.id for s in catalog.services)
        violations.append(FieldViolation("service_id", f"unknown service; one of {known}"))
    if command.inquirer_role not in catalog.inquirer_roles:
        known = ", ".join(catalog.inquirer_roles)
        violations.append(FieldViolation("inquirer_role", f"unknown role; one of {known}"))
    for fact in sorted(set(command.facts) - set(catalog.facts)):
        violations.append(FieldViolation(f"facts.{mask(fact)}", "unknown fact"))
    areas = {a for s in catalog.services for a in s.complexity_areas}
    for index, area in enumerate(command.complexity_areas):
        if area not in areas:
            violations.append(FieldViolation(f"complexity_areas.{index}", "unknown area"))
    if violations:
        raise InvalidInput(violations)
    assert service is not None
    return service


def rule_breaches(
    service: AdvisoryService, command: ProceedWithService, main_area: MainArea
) -> list[str]:
    """Every rule of the service the inquiry breaks, in words; empty when it may be chosen."""
    breaches: list[str] = []
    if main_area not in service.main_areas:
        breaches.append(f"{service.id} is not offered in the main area {main_area}")
    roles = service.roles_for(main_area)
    if command.inquirer_role not in roles:
        breaches.append(
            f"{command.inquirer_role} may not inquire about {service.id} in {main_area}; "
            f"who may: {', '.join(roles)}"
        )
    if service.about != "any" and command.subject != service.about:
        breaches.append(f"{service.id} is about {service.about}, not {command.subject}")
    outside = sorted(set(command.complexity_areas) - set(service.complexity_areas))
    if outside:
        breaches.append(f"{service.id} does not cover {', '.join(outside)}")
    for condition in service.conditions:
        if condition.roles is not None and command.inquirer_role not in condition.roles:
            continue
        if condition.unless and command.facts.get(condition.unless, False):
            continue
        if command.facts.get(condition.fact, False) != condition.must_be:
            breaches.append(condition.reason)
    planned, limit = command.planned_duration_months, service.max_duration_months
    if planned is not None and limit is not None and planned > limit:
        breaches.append(f"{service.id} lasts at most {limit} months, not {planned}")
    return breaches


def check_service_choice(
    command: ProceedWithService, catalog: Catalog, main_area: MainArea
) -> AdvisoryService:
    """The chosen service if its rules allow it; FAILED_PRECONDITION listing every breach."""
    service = validate_vocabulary(command, catalog)
    breaches = rule_breaches(service, command, main_area)
    if breaches:
        raise IllegalTransition(f"{service.id} cannot be chosen: " + "; ".join(breaches))
    return service
