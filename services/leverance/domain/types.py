"""Shared value types: money exact to the øre, hours, days; all stored as text, never floats."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from services.kernel.bounds import Day as PlausibleDay
from services.kernel.errors import echo

ORE = Decimal("0.01")
DANISH_TIME = ZoneInfo("Europe/Copenhagen")
ZERO = Decimal("0.00")


def to_decimal(value: object) -> object:
    """Accept text and ints as decimals; refuse floats, which cannot hold øre exactly."""
    if isinstance(value, float):
        raise ValueError("use a decimal string, not a float")
    if isinstance(value, str):
        text = value.strip().replace(",", ".") if value.count(",") == 1 else value.strip()
        try:
            return Decimal(text)
        except InvalidOperation as error:
            raise ValueError(f"not a decimal number: {echo(value)}") from error
    return value


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    return value


LIMIT = Decimal("1e12")
"""Amounts and hours stay below this, so products and sums stay exact (28 digits)."""


def _bounded(value: Decimal) -> Decimal:
    if abs(value) >= LIMIT:
        raise ValueError(f"must be less than {LIMIT:,.0f} in size")
    return value


def _at_most_ore(value: Decimal) -> Decimal:
    if value != value.quantize(ORE):
        raise ValueError("at most two decimals (øre)")
    return value.quantize(ORE)


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _as_text(value: Decimal) -> str:
    return str(value)


def _day_text(value: date) -> str:
    return value.isoformat()


Money = Annotated[
    Decimal,
    BeforeValidator(to_decimal),
    AfterValidator(_finite),
    AfterValidator(_bounded),
    AfterValidator(_at_most_ore),
    PlainSerializer(_as_text, return_type=str),
]
"""An amount in DKK with at most two decimals; stored and sent as text."""

Amount = Annotated[Money, AfterValidator(_non_negative)]
"""A non-negative amount in DKK."""

Hours = Annotated[
    Decimal,
    BeforeValidator(to_decimal),
    AfterValidator(_finite),
    AfterValidator(_bounded),
    AfterValidator(_non_negative),
    AfterValidator(_at_most_ore),
    PlainSerializer(_as_text, return_type=str),
]
"""A non-negative number of hours with at most two decimals (quarter hours are 0.25)."""

Day = Annotated[date, PlainSerializer(_day_text, return_type=str)]
"""A calendar day; stored as ISO text so it sorts and compares in the database."""

RequestDay = Annotated[PlausibleDay, PlainSerializer(_day_text, return_type=str)]
"""A calendar day a caller gives: within the plausible range, stored like `Day`."""


def danish_day(moment: datetime) -> date:
    """The calendar day in Denmark at a moment."""
    return moment.astimezone(DANISH_TIME).date()


def ore(value: Decimal) -> Decimal:
    """Round to the øre, half up (the usual Danish commercial rounding)."""
    return value.quantize(ORE, rounding=ROUND_HALF_UP)


def total(amounts: Iterable[Decimal]) -> Decimal:
    """The exact sum of amounts, in øre."""
    return ore(sum(amounts, ZERO))


class Value(BaseModel):
    """Base of immutable value objects kept inside aggregates."""

    model_config = ConfigDict(frozen=True, extra="forbid")
