"""The consent matrix (H 2.2.2, 2.2.3): whether VISO may process a citizen's data; no I/O."""

from __future__ import annotations

from services.intake.commands import CitizenInput
from services.kernel.errors import FieldViolation

ADULT_AGE = 18
YOUNG_PERSON_AGE = 15
NO_BASIS = (
    "no valid consent basis: VISO cannot process the inquiry, nothing is registered; "
    "a consultant contacts the inquirer"
)


def consent_violations(
    citizen: CitizenInput, *, age: int, inquirer_type: str, prefix: str
) -> list[FieldViolation]:
    """Every reason the form's consent for this citizen is not a basis VISO may act on."""
    consent = citizen.consent
    field = f"{prefix}.consent"
    bad: list[FieldViolation] = []

    def need(flag: bool, name: str, why: str) -> None:
        if not flag:
            bad.append(FieldViolation(f"{field}.{name}", why))

    basis = consent.basis
    if basis is None:
        return [FieldViolation(f"{field}.basis", NO_BASIS)]
    child = age < ADULT_AGE
    if citizen.under_guardianship and basis not in ("guardian", "rsl_11d_without_consent"):
        return [
            FieldViolation(
                f"{field}.basis", "the citizen is under guardianship: the guardian consents"
            )
        ]
    if basis == "consent":
        if child:
            need(
                consent.custody_holder_consented,
                "custody_holder_consented",
                "a child's inquiry needs the custody holder's consent",
            )
            if age >= YOUNG_PERSON_AGE:
                need(
                    consent.young_person_consented,
                    "young_person_consented",
                    "a young person from 15 must consent too",
                )
        else:
            need(consent.citizen_consented, "citizen_consented", "the citizen has not consented")
    elif basis == "guardian":
        if citizen.guardian is None:
            bad.append(FieldViolation(f"{prefix}.guardian", "name the guardian who consents"))
        need(consent.guardian_consented, "guardian_consented", "the guardian has not consented")
    elif basis == "power_of_attorney":
        if child:
            bad.append(FieldViolation(f"{field}.basis", "a power of attorney is for adults only"))
        else:
            if citizen.attorney is None:
                bad.append(FieldViolation(f"{prefix}.attorney", "name the attorney"))
            need(
                consent.power_of_attorney_in_force,
                "power_of_attorney_in_force",
                "only a power of attorney in force may be used",
            )
            need(consent.attorney_consented, "attorney_consented", "the attorney has not consented")
    elif basis == "rsl_11d_without_consent":
        if not child:
            bad.append(
                FieldViolation(f"{field}.basis", "Retssikkerhedsloven § 11d is for children")
            )
        else:
            need(
                consent.consent_attempted,
                "consent_attempted",
                "§ 11d stk. 2 requires that consent was attempted first; consent neither "
                "obtained nor attempted: VISO cannot process the inquiry",
            )
            if inquirer_type != "municipal_administration":
                bad.append(
                    FieldViolation(
                        f"{field}.basis",
                        "only the municipality may disclose without consent under § 11d",
                    )
                )
    else:  # sel_82_without_consent
        if child:
            bad.append(FieldViolation(f"{field}.basis", "Serviceloven § 82 is for adults"))
        elif not consent.justification.strip():
            bad.append(
                FieldViolation(
                    f"{field}.justification",
                    "an adult without consent needs the consultant's written § 82 justification",
                )
            )
    return bad
