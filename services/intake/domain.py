"""Intake's rules for an inquiry; no I/O."""

from __future__ import annotations

from datetime import date, datetime

from services.intake.messages import (
    AssignInquiry,
    InquiryAssigned,
    InquiryDescriptionChanged,
    InquiryRegistered,
    MainArea,
    RegisterInquiry,
)
from services.kernel.errors import IllegalTransition
from services.kernel.store import Aggregate


class Inquiry(Aggregate):
    """One inquiry for advice."""

    status: str
    inquirer_name: str
    main_area: MainArea
    citizen_name: str
    description: str
    registered_at: datetime
    registered_by: str
    consultant_id: str | None = None
    distributed_on: date | None = None


def register(
    command: RegisterInquiry, *, inquiry_id: str, now: datetime, by: str
) -> tuple[Inquiry, InquiryRegistered]:
    """A new registered inquiry and the event announcing it."""
    inquiry = Inquiry(
        id=inquiry_id,
        status="registered",
        inquirer_name=command.inquirer_name,
        main_area=command.main_area,
        citizen_name=command.citizen_name,
        description=command.description,
        registered_at=now,
        registered_by=by,
    )
    event = InquiryRegistered(inquiry_id=inquiry_id, main_area=command.main_area, registered_at=now)
    return inquiry, event


def change_description(
    inquiry: Inquiry, description: str
) -> tuple[Inquiry, InquiryDescriptionChanged]:
    """The inquiry with a new description, and the event announcing the change."""
    changed = inquiry.model_copy(update={"description": description})
    return changed, InquiryDescriptionChanged(inquiry_id=inquiry.id, version=inquiry.version + 1)


def assign(
    inquiry: Inquiry, command: AssignInquiry, *, now: datetime, by: str
) -> tuple[Inquiry, InquiryAssigned]:
    """The inquiry given to a consultant from a distribution list, and the event announcing it."""
    if inquiry.status != "registered":
        raise IllegalTransition(f"inquiry {inquiry.id} is {inquiry.status}, not registered")
    assigned = inquiry.model_copy(
        update={
            "status": "assigned",
            "consultant_id": command.consultant_id,
            "distributed_on": command.distributed_on,
        }
    )
    event = InquiryAssigned(
        inquiry_id=inquiry.id,
        consultant_id=command.consultant_id,
        distributed_on=command.distributed_on,
        assigned_at=now,
        assigned_by=by,
        main_area=inquiry.main_area,
        inquirer_name=inquiry.inquirer_name,
    )
    return assigned, event
