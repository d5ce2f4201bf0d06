"""The audit trail of personal data shown: who, when, which citizen, through which call, why.

Every response that carries a citizen's personal data leaves one record per citizen it shows:
written in the transaction of the call's write where there is one, so a change is never
returned without its record, and on its own for a plain read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.domain import Inquiry
from services.intake.domain.screening import NO_CPR
from services.intake.kas.model import KasRegistration
from services.kernel.context import Principal, current_trace
from services.kernel.envelope import new_id
from services.kernel.errors import InvalidInput, holds_cpr
from services.kernel.store import Transaction

AUDIT = "audit_trail"
AUDIT_ORDER = (("at", DESCENDING), ("_id", ASCENDING))
"""The audit trail's listing order: newest first, then by record id."""
Action = Literal["read", "list", "reveal_cpr", "distribution_list", "write"]
Doc = dict[str, Any]


@dataclass(frozen=True)
class Access:
    """Who is shown personal data through which gRPC call, and the purpose they stated."""

    principal: Principal
    call: str
    purpose: str = ""

    @property
    def why(self) -> str:
        """The stated purpose, or the call's name when none was given."""
        return self.purpose.strip() or self.call


def access(principal: Principal, call: str, purpose: str) -> Access:
    """Who is shown personal data through `call` and why; a stated purpose may hold no CPR."""
    if holds_cpr(purpose):
        raise InvalidInput.single("purpose", NO_CPR)
    return Access(principal, call, purpose)


def _record(access: Access, *, action: Action, now: datetime, **subject: object) -> Doc:
    return {
        "_id": new_id(),
        "at": now,
        "correlation_id": current_trace.get().correlation_id,
        "user_id": access.principal.user_id,
        "role": access.principal.role,
        "supplier_id": access.principal.supplier_id,
        "call": access.call,
        "action": action,
        "purpose": access.why,
        **subject,
    }


def inquiry_records(
    access: Access, shown: Iterable[Inquiry], *, action: Action, now: datetime
) -> list[Doc]:
    """One record per inquiry shown that names a citizen; phone and group inquiries name none."""
    return [
        _record(
            access,
            action=action,
            now=now,
            subject="inquiry",
            inquiry_id=i.id,
            citizen_ref=i.citizen_ref,
        )
        for i in shown
        if i.citizen is not None
    ]


def holds_personal_data(registration: KasRegistration) -> bool:
    """The KaS form names a person: the citizen (name/person id) or the inquirer."""
    form = registration.form
    return bool(form.person_ref or form.inquirer_name or form.inquirer_email)


def kas_records(
    access: Access, shown: Iterable[KasRegistration], *, action: Action, now: datetime
) -> list[Doc]:
    """One record per KaS registration shown whose form names a person."""
    return [
        _record(
            access,
            action=action,
            now=now,
            subject="kas_registration",
            inquiry_id=r.id,
            kas_number=r.kas_number,
            citizen_ref=None,
        )
        for r in shown
        if holds_personal_data(r)
    ]


def write(tx: Transaction, records: list[Doc]) -> None:
    """Store the records in the call's transaction."""
    tx.insert(AUDIT, *records)


async def write_alone(db: AsyncDatabase[Doc], records: list[Doc]) -> None:
    """Store the records of a read that writes nothing else."""
    if records:
        await db[AUDIT].insert_many(records)
