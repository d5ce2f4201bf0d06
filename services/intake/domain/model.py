"""The inquiry aggregate as intake stores it; no I/O."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.contracts.common import MainArea
from services.intake.commands import ConsentInput, DocumentRef, InquirerInput, Person
from services.intake.domain.deadlines import FormDeadline
from services.kernel.store import Aggregate

Status = Literal[
    "registered",
    "awaiting_course_decision",
    "assigned",
    "journaled_on_course",
    "open",
    "closed",
    "stopped",
    "course_ended",
]
Kind = Literal["form", "phone", "email", "internal"]
WAITING: tuple[Status, ...] = ("registered",)
ONGOING: tuple[Status, ...] = ("assigned",)


class StoredCitizen(BaseModel):
    """A citizen as stored: the CPR only encrypted and as a keyed hash."""

    model_config = ConfigDict(frozen=True)

    name: str
    cpr_token: str
    cpr_hash: str
    birth_date: date
    under_guardianship: bool = False
    custody_holders: list[Person] = Field(default_factory=list)
    guardian: Person | None = None
    attorney: Person | None = None
    consent: ConsentInput
    details: str = ""

    @property
    def masked_cpr(self) -> str:
        """DDMMYY-xxxx, derived from the birth date without decrypting."""
        return f"{self.birth_date:%d%m%y}-xxxx"

    def age_on(self, day: date) -> int:
        """Completed years on `day`."""
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class HeldFor(BaseModel):
    """The ongoing course a new inquiry about the same citizen waits on."""

    model_config = ConfigDict(frozen=True)

    ongoing_inquiry_id: str
    consultant_id: str


class Supplement(BaseModel):
    """Material journaled on an ongoing course."""

    model_config = ConfigDict(frozen=True)

    documents: list[DocumentRef]
    received_via: str
    note: str = ""
    received_at: datetime
    from_inquiry_id: str | None = None


class Note(BaseModel):
    """An internal note on the case."""

    model_config = ConfigDict(frozen=True)

    text: str
    added_at: datetime
    added_by: str


class Inquiry(Aggregate):
    """One inquiry for advice: from the form (one per citizen), by phone or e-mail, or internal."""

    status: Status
    kind: Kind = "form"
    inquirer_name: str
    main_area: MainArea
    citizen_name: str = ""
    description: str
    registered_at: datetime
    registered_by: str
    consultant_id: str | None = None
    consultant_name: str = ""
    distributed_on: date | None = None
    inquirer: InquirerInput | None = None
    requested_service: str | None = None
    citizen: StoredCitizen | None = None
    citizen_age_years: int | None = None
    party_representative: Person | None = None
    target_groups: list[str] = Field(default_factory=list)
    attachments: list[DocumentRef] = Field(default_factory=list)
    shared_information: str = ""
    management_approved: bool = False
    family_group_id: str | None = None
    family_inquiry_ids: list[str] = Field(default_factory=list)
    distribution_date: date | None = None
    held_for: HeldFor | None = None
    journaled_on: str | None = None
    case_type: str | None = None
    case_name: str | None = None
    delivery_type: str | None = None
    supplier_id: str | None = None
    theme_id: str | None = None
    origin_inquiry_id: str | None = None
    outcome: str | None = None
    referred_to: str = ""
    closed_at: datetime | None = None
    supplements: list[Supplement] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    stopped_at: datetime | None = None
    stop_reason: str = ""
    course_ended_at: datetime | None = None
    course_end_reason: str = ""
    form_deadline: FormDeadline | None = None

    @property
    def citizen_ref(self) -> str | None:
        """The keyed hash events use for the citizen."""
        return self.citizen.cpr_hash if self.citizen else None

    @property
    def municipality_code(self) -> str | None:
        """The inquirer's municipality, if stated."""
        return (self.inquirer.municipality_code or None) if self.inquirer else None
