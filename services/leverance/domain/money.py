"""Money: the monthly settlement per supplier and yearly spending against the appropriation."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import get_args

from services.contracts.common import MainArea
from services.contracts.leverance import SettlementCreated
from services.kernel.bounds import DAY_RANGE, Year, plausible_day
from services.kernel.errors import IllegalTransition, InvalidInput
from services.kernel.store import Aggregate
from services.leverance.domain.central import CentralHours
from services.leverance.domain.consumption import ConsumptionEntry
from services.leverance.domain.types import ZERO, Amount, Day, Hours, Money, Value, ore, total
from services.workdays import end_of_month

MAIN_AREAS: tuple[str, ...] = get_args(MainArea)
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_end(month: str) -> date:
    """The last day of a "YYYY-MM" month; INVALID_ARGUMENT for anything else."""
    found = MONTH.match(month)
    try:
        if found is None:
            raise ValueError(month)
        return end_of_month(plausible_day(date(int(found.group(1)), int(found.group(2)), 1)))
    except ValueError:
        raise InvalidInput.single("month", f"expected YYYY-MM {DAY_RANGE}") from None


class SettlementLine(Value):
    """One approved entry paid by a settlement."""

    entry_id: str
    case_id: str
    delivery_id: str
    activity_id: str
    activity_kind: str
    worked_on: Day
    hours: Hours
    expense_category: str | None
    amount_dkk: Money


class Settlement(Aggregate):
    """The statement the agency pays a supplier from for one month (id = supplier:month)."""

    supplier_id: str
    month: str
    lines: tuple[SettlementLine, ...]
    total_dkk: Money
    created_by: str
    created_at: datetime


def settlement_id(supplier_id: str, month: str) -> str:
    """The one settlement of a supplier and month."""
    return f"{supplier_id}:{month}"


def settle(
    supplier_id: str,
    month: str,
    entries: Sequence[ConsumptionEntry],
    *,
    today: date,
    by: str,
    now: datetime,
) -> tuple[Settlement, SettlementCreated]:
    """Settle every approved, unsettled entry worked up to the end of a finished month."""
    last = month_end(month)
    if last >= today:
        raise IllegalTransition(f"{month} is not over yet")
    payable = [
        e
        for e in entries
        if e.supplier_id == supplier_id
        and e.status == "approved"
        and e.settlement_id is None
        and e.worked_on <= last
    ]
    lines = tuple(
        SettlementLine(
            entry_id=e.id,
            case_id=e.case_id,
            delivery_id=e.delivery_id,
            activity_id=e.activity_id,
            activity_kind=e.activity_kind,
            worked_on=e.worked_on,
            hours=e.hours,
            expense_category=e.expense_category,
            amount_dkk=e.amount_dkk,
        )
        for e in sorted(payable, key=lambda e: (e.worked_on, e.id))
    )
    settlement = Settlement(
        id=settlement_id(supplier_id, month),
        supplier_id=supplier_id,
        month=month,
        lines=lines,
        total_dkk=total(line.amount_dkk for line in lines),
        created_by=by,
        created_at=now,
    )
    event = SettlementCreated(
        settlement_id=settlement.id,
        supplier_id=supplier_id,
        month=month,
        total_dkk=settlement.total_dkk,
        entries=len(lines),
        created_at=now,
    )
    return settlement, event


class Appropriation(Aggregate):
    """The appropriation (bevilling) for one year and main area (id = year:area)."""

    year: Year
    main_area: MainArea
    amount_dkk: Amount


class AreaSpending(Value):
    """Appropriation against spending in one main area and year."""

    main_area: str
    appropriated_dkk: Money
    approved_dkk: Money
    settled_dkk: Money
    remaining_dkk: Money
    used_percent: Decimal
    central_unit_hours: Hours = ZERO


def spending(
    year: int,
    entries: Sequence[ConsumptionEntry],
    appropriations: Mapping[str, Decimal],
    central: Sequence[CentralHours] = (),
) -> list[AreaSpending]:
    """Per main area: approved consumption worked in the year against its appropriation, and
    the hours the central unit worked on the courses it ran itself (no price: not paid from the
    appropriation to a supplier)."""
    rows = []
    for area in MAIN_AREAS:
        hours = sum(
            (h.hours for h in central if h.main_area == area and h.worked_on.year == year), ZERO
        )
        mine = [
            e
            for e in entries
            if e.main_area == area and e.status == "approved" and e.worked_on.year == year
        ]
        approved = total(e.amount_dkk for e in mine)
        settled = total(e.amount_dkk for e in mine if e.settlement_id is not None)
        appropriated = appropriations.get(area, ZERO)
        used = (
            (approved * 100 / appropriated).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            if appropriated
            else ZERO
        )
        rows.append(
            AreaSpending(
                main_area=area,
                appropriated_dkk=ore(appropriated),
                approved_dkk=approved,
                settled_dkk=settled,
                remaining_dkk=ore(appropriated - approved),
                used_percent=used,
                central_unit_hours=hours,
            )
        )
    return rows
