"""Intake's reads: one inquiry, listings and searches, the audit trail; every read of a
citizen's personal data is itself recorded."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.intake import audit
from services.intake.audit import AUDIT, AUDIT_ORDER, Access
from services.intake.cpr import Cpr, CprError
from services.intake.domain import Inquiry
from services.intake.domain.deadlines import DANISH_TIME
from services.intake.handlers import Intake, inquiries
from services.kernel.envelope import utcnow
from services.kernel.errors import Forbidden, InvalidInput, NotFound
from services.kernel.paging import Paging


async def get_inquiry(
    inquiry_id: str, *, app: Intake, access: Access, reveal: bool
) -> tuple[Inquiry, Cpr | None]:
    """One inquiry, its read audited; the CPR decrypted only on an allowed, stated request."""
    principal, purpose = access.principal, access.purpose
    if reveal:
        if principal.role not in app.settings.reveal_roles:
            raise Forbidden(f"role {principal.role} may not see CPR numbers")
        if not purpose.strip():
            raise InvalidInput.single("purpose", "state why the CPR number is needed")
    inquiry = await inquiries.read(app.store.db, inquiry_id)
    if inquiry is None:
        raise NotFound("inquiry", inquiry_id)
    revealed = None
    if reveal and inquiry.citizen is not None:
        revealed = app.vault.reveal(inquiry.citizen.cpr_token)
    action: audit.Action = "reveal_cpr" if revealed else "read"
    records = audit.inquiry_records(access, [inquiry], action=action, now=utcnow())
    await audit.write_alone(app.store.db, records)
    return inquiry, revealed


DELIVERY_PURPOSES = frozenset({"digital post delivery"})
"""Why another VIAS service may be given a citizen's CPR number."""


async def reveal_for_delivery(inquiry_id: str, *, app: Intake, access: Access) -> tuple[str, str]:
    """The citizen's CPR number (ten digits) and keyed hash, for a delivery addressed by it;
    audited as a reveal with the delivery's purpose."""
    if access.purpose not in DELIVERY_PURPOSES:
        raise InvalidInput.single(
            "purpose", f"must be one of {', '.join(sorted(DELIVERY_PURPOSES))}"
        )
    inquiry = await inquiries.read(app.store.db, inquiry_id)
    if inquiry is None or inquiry.citizen is None or not inquiry.citizen.cpr_token:
        raise NotFound("citizen of inquiry", inquiry_id)
    cpr = app.vault.reveal(inquiry.citizen.cpr_token)
    records = audit.inquiry_records(access, [inquiry], action="reveal_cpr", now=utcnow())
    await audit.write_alone(app.store.db, records)
    return cpr.reveal(dash=False), inquiry.citizen_ref or ""


@dataclass(frozen=True)
class InquiryFilter:
    """Filters of a listing or search; empty values are ignored."""

    status: str = ""
    main_area: str = ""
    requested_service: str = ""
    kind: str = ""
    consultant_id: str = ""
    family_group_id: str = ""
    registered_from: date | None = None
    registered_to: date | None = None
    cpr: str = ""
    text: str = ""
    municipality_code: str = ""
    held_for_consultant_id: str = ""
    limit: int = 50
    page_token: str = ""


def _query(flt: InquiryFilter, app: Intake) -> dict[str, Any]:
    query: dict[str, Any] = {}
    plain = {
        "status": flt.status,
        "main_area": flt.main_area,
        "requested_service": flt.requested_service,
        "kind": flt.kind,
        "consultant_id": flt.consultant_id,
        "family_group_id": flt.family_group_id,
        "inquirer.municipality_code": flt.municipality_code,
        "held_for.consultant_id": flt.held_for_consultant_id,
    }
    query.update({k: v for k, v in plain.items() if v})
    if flt.registered_from or flt.registered_to:
        span: dict[str, Any] = {}
        if flt.registered_from:
            span["$gte"] = start_of_danish_day(flt.registered_from)
        if flt.registered_to:
            span["$lt"] = start_of_danish_day(date.fromordinal(flt.registered_to.toordinal() + 1))
        query["registered_at"] = span
    if flt.cpr:
        try:
            query["citizen.cpr_hash"] = app.vault.ref(Cpr(flt.cpr))
        except CprError as error:
            raise InvalidInput.single("cpr", str(error)) from None
    if flt.text:
        pattern = {"$regex": re.escape(flt.text), "$options": "i"}
        query["$or"] = [
            {"inquirer_name": pattern},
            {"citizen_name": pattern},
            {"description": pattern},
        ]
    return query


def start_of_danish_day(day: date) -> datetime:
    """Midnight in Denmark at the start of `day`, as UTC (how registered_at is stored)."""
    return datetime.combine(day, time.min, tzinfo=DANISH_TIME).astimezone(UTC)


async def list_inquiries(
    flt: InquiryFilter, *, app: Intake, access: Access
) -> tuple[list[Inquiry], str]:
    """A page of the inquiries matching the filter, newest first, and the next page's token;
    the read of citizens' data audited."""
    query = _query(flt, app)
    paging = Paging((("registered_at", DESCENDING), ("_id", ASCENDING)), {"query": query})
    docs, following = await paging.page(
        app.store.db[inquiries.collection], query, size=flt.limit, token=flt.page_token
    )
    found = [inquiries.from_doc(doc) for doc in docs]
    records = audit.inquiry_records(access, found, action="list", now=utcnow())
    await audit.write_alone(app.store.db, records)
    return found, following


async def audit_trail(
    *, app: Intake, inquiry_id: str, user_id: str, size: int, token: str
) -> tuple[list[dict[str, Any]], str]:
    """A page of audit records, newest first, and the next page's token."""
    query = {k: v for k, v in {"inquiry_id": inquiry_id, "user_id": user_id}.items() if v}
    return await Paging(AUDIT_ORDER, query).page(app.store.db[AUDIT], query, size=size, token=token)
