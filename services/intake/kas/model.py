"""The KaS registration form and its rules (VIAS guide for KaS suppliers); no I/O."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from services.contracts.intake import EmptyIsNone, Text
from services.intake.commands import Command
from services.intake.domain.deadlines import danish_date
from services.intake.reference import Reference
from services.kernel.bounds import Day, ReadVersion, Version
from services.kernel.errors import (
    FieldViolation,
    IllegalTransition,
    InvalidInput,
    OutsideWindow,
    echo,
    holds_cpr,
)
from services.kernel.store import Aggregate

Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
KasStatus = Literal["draft", "ongoing", "closed"]
NOT_STATED = "0"
MunicipalityBasis = Literal[
    "residence", "workplace", "offer_location", "citizen_home", "not_stated"
]
BASIS_NOT_STATED = "not_stated"
RULE_WORDS = {
    "residence": "the municipality the citizen lives in",
    "workplace": "the municipality of the professional's workplace",
    "offer_location": "the municipality where the offer is",
    "citizen_home": "the citizen's home municipality",
}
# The form field that, when filled in, names the municipality a rule registers.
RULE_SOURCE = {
    "residence": "citizen_municipality_code",
    "citizen_home": "citizen_municipality_code",
    "workplace": "inquirer_workplace_municipality_code",
    "offer_location": "offer_municipality_code",
}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class KasForm(Command):
    """The form's fields; every field may be empty in a draft."""

    inquiry_date: Annotated[Day | None, EmptyIsNone] = None
    channel: Code = ""
    inquirer_profile: Code = ""
    municipality_code: Code = ""
    municipality_basis: Annotated[MunicipalityBasis | None, EmptyIsNone] = None
    inquirer_workplace_municipality_code: Code = ""
    offer_municipality_code: Code = ""
    citizen_municipality_code: Code = ""
    legal_area: Code = ""
    handling: list[Code] = Field(default_factory=list, max_length=4)
    closed_with: Code = ""
    referred_to: Text = ""
    inquirer_name: Text = ""
    inquirer_email: Text = ""
    email_permission: bool = False
    own_journal_number: Text = ""
    person_ref: Text = ""
    kas_specialist_id: Code = ""
    group_case: bool = False
    problem_areas: list[Code] = Field(default_factory=list, max_length=100)
    classifications: list[Code] = Field(default_factory=list, max_length=100)


class SaveKasRegistration(Command):
    """Save the form as a draft or complete it."""

    registration_id: Code = ""
    expected_version: Version = 0
    form: KasForm = Field(default_factory=KasForm)
    complete: bool = False
    purpose: Text = Field(default="", description="Why, for the audit trail; default the call.")


class CloseKasCourse(Command):
    """Close an ongoing course."""

    registration_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    expected_version: ReadVersion
    clarifying_meeting_date: Day
    closing_date: Annotated[Day | None, EmptyIsNone] = None
    closing_reason: Code
    purpose: Text = Field(default="", description="Why, for the audit trail; default the call.")


class KasRegistration(Aggregate):
    """One inquiry registered by a KaS supplier."""

    kas_number: str
    supplier_id: str
    registered_by: str
    registered_at: datetime
    status: KasStatus
    form: KasForm
    clarifying_meeting_date: date | None = None
    closing_date: date | None = None
    closing_reason: str = ""

    @property
    def handling(self) -> str:
        """The single handling choice, or "" in a draft without one."""
        return self.form.handling[0] if len(self.form.handling) == 1 else ""

    def is_course(self, ref: Reference) -> bool:
        """A course is expected: the handling ticked is one the code list marks as a course."""
        return self.handling in ref.kas.course_handlings

    @property
    def duration_months(self) -> int | None:
        """Whole months from the clarifying meeting to the closing date."""
        start, end = self.clarifying_meeting_date, self.closing_date
        if start is None or end is None:
            return None
        return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def form_violations(
    form: KasForm, *, ref: Reference, complete: bool, today: date
) -> list[FieldViolation]:
    """Every field the form gets wrong; with `complete`, also every missing mandatory field."""
    bad: list[FieldViolation] = []
    lists = ref.kas

    def known(field: str, value: str, ids: frozenset[str]) -> None:
        if value and value not in ids:
            bad.append(FieldViolation(field, f"unknown value {echo(value)}"))

    def required(field: str, value: object, why: str = "mandatory") -> None:
        if complete and not value:
            bad.append(FieldViolation(field, why))

    if form.inquiry_date and form.inquiry_date > today:
        bad.append(FieldViolation("form.inquiry_date", "may not be in the future"))
    known("form.channel", form.channel, Reference.ids(ref.channels))
    known("form.inquirer_profile", form.inquirer_profile, Reference.ids(lists.inquirer_profiles))
    code = form.municipality_code
    if code and code != NOT_STATED and ref.municipality(code) is None:
        bad.append(FieldViolation("form.municipality_code", "not a Danish municipality code"))
    bad += municipality_violations(form, ref=ref, complete=complete)
    known("form.legal_area", form.legal_area, Reference.ids(ref.legal_areas))
    handlings = {h.id: h for h in lists.handlings}
    for i, choice in enumerate(form.handling):
        known(f"form.handling.{i}", choice, frozenset(handlings))
    if len(form.handling) > 1:
        bad.append(FieldViolation("form.handling", "tick exactly one handling choice"))
    known("form.closed_with", form.closed_with, Reference.ids(lists.closed_with))
    for name, values, ids in (
        ("problem_areas", form.problem_areas, Reference.ids(lists.problem_areas)),
        ("classifications", form.classifications, Reference.ids(lists.classifications)),
    ):
        for i, value in enumerate(values):
            known(f"form.{name}.{i}", value, ids)
        if len(set(values)) != len(values):
            bad.append(FieldViolation(f"form.{name}", "a value is ticked twice"))
    if form.inquirer_email:
        if not _EMAIL.fullmatch(form.inquirer_email):
            bad.append(FieldViolation("form.inquirer_email", "not an e-mail address"))
        if not form.email_permission:
            bad.append(
                FieldViolation("form.email_permission", "ask permission before storing the e-mail")
            )

    for name in ("person_ref", "own_journal_number", "inquirer_name", "referred_to"):
        if holds_cpr(getattr(form, name)):
            bad.append(FieldViolation(f"form.{name}", "do not enter a CPR number here"))

    required("form.channel", form.channel)
    required("form.inquirer_profile", form.inquirer_profile)
    required("form.municipality_code", form.municipality_code, 'mandatory ("0": not stated)')
    required("form.legal_area", form.legal_area)
    required("form.handling", form.handling, "tick exactly one handling choice")
    ticked = handlings.get(form.handling[0]) if len(form.handling) == 1 else None
    if complete and ticked is not None:
        if ticked.requires == "closed_with":
            required("form.closed_with", form.closed_with, "what the inquiry was closed with")
        elif ticked.requires == "referred_to":
            required("form.referred_to", form.referred_to, "the body referred to")
        if ticked.course:
            required("form.inquirer_name", form.inquirer_name)
            required("form.kas_specialist_id", form.kas_specialist_id)
            required("form.problem_areas", form.problem_areas, "tick every problem area")
            required("form.classifications", form.classifications, "tick every classification")
    return bad


def municipality_violations(
    form: KasForm, *, ref: Reference, complete: bool
) -> list[FieldViolation]:
    """The KaS guide's rule for which municipality is registered, as far as the form shows it.

    The profile decides the rule (citizen or relative: where the citizen lives; professional:
    the workplace; offer: where the offer is; assessment request from e.g. a hospital: the
    citizen's home municipality). The registrant states the rule applied in
    `municipality_basis`, checked against the profile; where the form also names the
    municipality the rule points to, the registered municipality must be that one.
    """
    bad: list[FieldViolation] = []
    for name in dict.fromkeys(RULE_SOURCE.values()):
        code = getattr(form, name)
        if code and ref.municipality(code) is None:
            bad.append(FieldViolation(f"form.{name}", "not a Danish municipality code"))
    profile = next((p for p in ref.kas.inquirer_profiles if p.id == form.inquirer_profile), None)
    basis, code = form.municipality_basis, form.municipality_code
    if complete and basis is None:
        bad.append(
            FieldViolation(
                "form.municipality_basis",
                'mandatory: which rule the municipality follows ("not_stated" with "0")',
            )
        )
    if basis == BASIS_NOT_STATED and code and code != NOT_STATED:
        bad.append(
            FieldViolation("form.municipality_basis", 'a municipality is given: not "not_stated"')
        )
    elif basis is not None and basis != BASIS_NOT_STATED and code == NOT_STATED:
        bad.append(
            FieldViolation("form.municipality_basis", '"0" (not stated) goes with "not_stated"')
        )
    if profile is None:
        return bad
    rule = profile.municipality_rule
    if basis is not None and basis not in (rule, BASIS_NOT_STATED):
        bad.append(
            FieldViolation(
                "form.municipality_basis",
                f"a {profile.id} inquiry registers {RULE_WORDS[rule]} ({rule!r})",
            )
        )
    source = RULE_SOURCE[rule]
    stated = getattr(form, source)
    registered_known = code == NOT_STATED or ref.municipality(code) is not None
    if stated and code and code != stated and registered_known and ref.municipality(stated):
        bad.append(
            FieldViolation(
                "form.municipality_code",
                f"a {profile.id} inquiry registers {RULE_WORDS[rule]}: {stated} (form.{source})",
            )
        )
    return bad


def save(
    existing: KasRegistration | None,
    command: SaveKasRegistration,
    *,
    new_id: str,
    kas_number: str,
    supplier_id: str,
    by: str,
    ref: Reference,
    now: datetime,
) -> KasRegistration:
    """The registration after saving the form as a draft or completing it."""
    form = command.form
    today = danish_date(now)
    if form.inquiry_date is None:
        form = form.model_copy(update={"inquiry_date": today})
    bad = form_violations(form, ref=ref, complete=command.complete, today=today)
    if command.registration_id and command.expected_version < 1:
        bad.append(FieldViolation("expected_version", "the version read, to save an existing form"))
    if bad:
        raise InvalidInput(bad)
    if (
        existing is not None
        and existing.status != "draft"
        and (existing.status == "closed" or not command.complete)
    ):
        raise IllegalTransition(f"KaS registration {existing.kas_number} is {existing.status}")
    draft = KasRegistration(
        id=existing.id if existing else new_id,
        version=existing.version if existing else 0,
        kas_number=existing.kas_number if existing else kas_number,
        supplier_id=existing.supplier_id if existing else supplier_id,
        registered_by=existing.registered_by if existing else by,
        registered_at=existing.registered_at if existing else now,
        status="draft",
        form=form,
    )
    if not command.complete:
        return draft
    return draft.model_copy(update={"status": "ongoing" if draft.is_course(ref) else "closed"})


def close_course(
    registration: KasRegistration, command: CloseKasCourse, *, ref: Reference, today: date
) -> KasRegistration:
    """The course closed with its clarifying-meeting date, closing date and reason."""
    if registration.status != "ongoing" or not registration.is_course(ref):
        raise IllegalTransition(
            f"KaS registration {registration.kas_number} is not an ongoing course"
        )
    closing = command.closing_date or today
    bad: list[FieldViolation] = []
    if command.closing_reason not in Reference.ids(ref.kas.closing_reasons):
        bad.append(FieldViolation("closing_reason", "unknown closing reason"))
    if closing > today:
        bad.append(FieldViolation("closing_date", "may not be in the future"))
    if command.clarifying_meeting_date > closing:
        bad.append(FieldViolation("clarifying_meeting_date", "after the closing date"))
    if bad:
        raise InvalidInput(bad)
    inquiry_date = registration.form.inquiry_date
    if inquiry_date and command.clarifying_meeting_date < inquiry_date:
        raise OutsideWindow.single(
            "clarifying_meeting_date",
            f"{command.clarifying_meeting_date.isoformat()} is before the inquiry date "
            f"({inquiry_date.isoformat()})",
        )
    return registration.model_copy(
        update={
            "status": "closed",
            "clarifying_meeting_date": command.clarifying_meeting_date,
            "closing_date": closing,
            "closing_reason": command.closing_reason,
        }
    )


def kas_number(year: int, sequence: int) -> str:
    """The automatic KaS number."""
    return f"KAS-{year}-{sequence:06d}"
