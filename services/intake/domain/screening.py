"""Screening of a form inquiry (H 4.2): enough information and a consent basis; no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from services.intake.commands import Person, RegisterInquiry
from services.intake.domain.consent import ADULT_AGE, consent_violations
from services.intake.reference import Reference
from services.kernel.errors import FieldViolation, InvalidInput, echo, holds_cpr

NO_CPR = "do not write a CPR number in free text; give it in the citizen's cpr field"


def cpr_in_text(texts: Mapping[str, str]) -> list[FieldViolation]:
    """The free-text fields (by name) holding something shaped like a CPR number."""
    return [FieldViolation(f, NO_CPR) for f, text in texts.items() if holds_cpr(text)]


def refuse_cpr_in_text(texts: Mapping[str, str]) -> None:
    """Raise InvalidInput naming each free-text field that holds a CPR-shaped number."""
    bad = cpr_in_text(texts)
    if bad:
        raise InvalidInput(bad)


def free_text_violations(command: RegisterInquiry) -> list[FieldViolation]:
    """Free-text fields that hold something shaped like a CPR number (it would be stored plain)."""
    texts = {
        "inquirer_name": command.inquirer_name,
        "description": command.description,
        "shared_information": command.shared_information,
    }
    for i, citizen in enumerate(command.citizens):
        texts[f"citizens.{i}.name"] = citizen.name
        texts[f"citizens.{i}.details"] = citizen.details
        texts[f"citizens.{i}.consent.justification"] = citizen.consent.justification
    for name, person in _people(command):
        texts[f"{name}.name"] = person.name
        texts[f"{name}.address"] = person.address
    for i, doc in enumerate(command.attachments):
        texts[f"attachments.{i}.title"] = doc.title
    texts["inquirer.organisation"] = command.inquirer.organisation
    texts["inquirer.address"] = command.inquirer.address
    return cpr_in_text(texts)


def _people(command: RegisterInquiry) -> list[tuple[str, Person]]:
    """Every person the form names besides the citizens, by field path."""
    people: list[tuple[str, Person]] = []
    if command.party_representative is not None:
        people.append(("party_representative", command.party_representative))
    for i, citizen in enumerate(command.citizens):
        people += [
            (f"citizens.{i}.custody_holders.{j}", p) for j, p in enumerate(citizen.custody_holders)
        ]
        for role in ("guardian", "attorney"):
            person = getattr(citizen, role)
            if person is not None:
                people.append((f"citizens.{i}.{role}", person))
    return people


def age_on(born: date, day: date) -> int:
    """Completed years on `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def inquirer_violations(
    ref: Reference,
    *,
    type_id: str,
    municipality_code: str,
    organisation: str | None,
    fields: tuple[str, str, str] = (
        "inquirer.type",
        "inquirer.municipality_code",
        "inquirer.organisation",
    ),
    required: bool = True,
) -> list[FieldViolation]:
    """Whether the inquirer type and municipality are known and required fields are there.

    `organisation` None means the form has no such field; `required` False (anonymous phone
    inquiries) checks only what is given.
    """
    type_field, municipality_field, organisation_field = fields
    bad: list[FieldViolation] = []
    if municipality_code and ref.municipality(municipality_code) is None:
        bad.append(FieldViolation(municipality_field, "not a Danish municipality code"))
    kind = ref.inquirer_type(type_id)
    if kind is None:
        return [FieldViolation(type_field, f"unknown inquirer type {echo(type_id)}"), *bad]
    if required and kind.municipality_required and not municipality_code:
        bad.append(FieldViolation(municipality_field, f"required for {kind.id}"))
    if required and organisation is not None and kind.organisation_required and not organisation:
        bad.append(FieldViolation(organisation_field, f"required for {kind.id}"))
    return bad


def code_violations(
    ref: Reference,
    *,
    inquirer_type: str,
    municipality_code: str,
    requested_service: str,
    target_groups: list[str],
    already_named: frozenset[str] = frozenset(),
) -> list[FieldViolation]:
    """Unknown codes in a form that failed field validation (say, a malformed CPR number).

    Screening runs only on a valid form, so without this a form with a malformed CPR and an
    unknown municipality would name the CPR alone; fields `already_named` are left out.
    """
    bad: list[FieldViolation] = []
    code = municipality_code.strip()
    if code and ref.municipality(code) is None:
        bad.append(FieldViolation("inquirer.municipality_code", "not a Danish municipality code"))
    kind = inquirer_type.strip()
    if kind and ref.inquirer_type(kind) is None:
        bad.append(FieldViolation("inquirer.type", f"unknown inquirer type {echo(kind)}"))
    service = requested_service.strip()
    if service and ref.service(service) is None:
        bad.append(FieldViolation("requested_service", "unknown advisory service"))
    known_groups = Reference.ids(ref.target_groups)
    for i, group in enumerate(target_groups):
        if group.strip() and group.strip() not in known_groups:
            bad.append(FieldViolation(f"target_groups.{i}", "unknown target group"))
    return [v for v in bad if v.field not in already_named]


def screen(command: RegisterInquiry, *, ref: Reference, today: date) -> None:
    """Raise InvalidInput naming every missing or unacceptable piece of the form."""
    bad = free_text_violations(command)
    inquirer = command.inquirer
    bad += inquirer_violations(
        ref,
        type_id=inquirer.type,
        municipality_code=inquirer.municipality_code,
        organisation=inquirer.organisation,
    )
    kind = ref.inquirer_type(inquirer.type)
    private = kind is not None and not kind.professional
    if private and not (inquirer.email or inquirer.phone or inquirer.address):
        # A professional body is reached through its organisation; a private person needs
        # a way to receive the receipt letter.
        bad.append(FieldViolation("inquirer.email", "give an e-mail, phone or address to reply to"))
    service = ref.service(command.requested_service)
    if service is None:
        bad.append(FieldViolation("requested_service", "unknown advisory service"))
    elif service.created_by != "form":
        bad.append(
            FieldViolation(
                "requested_service",
                f"{service.id} is not requested by form ({service.created_by.replace('_', ' ')})",
            )
        )
    else:
        if ref.inquirer_type(inquirer.type) and inquirer.type not in service.inquirer_types:
            bad.append(
                FieldViolation("inquirer.type", f"{inquirer.type} may not ask for {service.id}")
            )
        if service.management_approval_required and not command.management_approved:
            bad.append(
                FieldViolation("management_approved", f"{service.id} needs management approval")
            )
        if service.about_individual and not command.citizens:
            bad.append(FieldViolation("citizens", f"{service.id} is about a named citizen"))
        if not service.citizen_data_allowed and command.citizens:
            bad.append(FieldViolation("citizens", f"{service.id} takes no data on individuals"))
    known_groups = Reference.ids(ref.target_groups)
    for i, group in enumerate(command.target_groups):
        if group not in known_groups:
            bad.append(FieldViolation(f"target_groups.{i}", "unknown target group"))
    ages = [age_on(c.cpr.birth_date, today) for c in command.citizens]
    if len(command.citizens) > 1 and any(age >= ADULT_AGE for age in ages):
        bad.append(FieldViolation("citizens", "only several children share one (family) inquiry"))
    seen: set[object] = set()
    for i, (citizen, age) in enumerate(zip(command.citizens, ages, strict=True)):
        prefix = f"citizens.{i}"
        if citizen.cpr in seen:
            bad.append(FieldViolation(f"{prefix}.cpr", "the same citizen is listed twice"))
        seen.add(citizen.cpr)
        if citizen.cpr.birth_date > today:
            bad.append(FieldViolation(f"{prefix}.cpr", "the birth date is in the future"))
        if age < ADULT_AGE and not citizen.under_guardianship and not citizen.custody_holders:
            bad.append(
                FieldViolation(f"{prefix}.custody_holders", "name the custody holder(s) of a child")
            )
        if citizen.under_guardianship and citizen.guardian is None:
            bad.append(FieldViolation(f"{prefix}.guardian", "name the guardian"))
        bad += consent_violations(citizen, age=age, inquirer_type=inquirer.type, prefix=prefix)
    if bad:
        raise InvalidInput(_unique(bad))


def _unique(violations: list[FieldViolation]) -> list[FieldViolation]:
    seen: set[FieldViolation] = set()
    return [v for v in violations if not (v in seen or seen.add(v))]  # type: ignore[func-returns-value]
