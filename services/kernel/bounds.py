"""Plausible ranges for what a request carries: days, months, versions.

A value outside them is a caller's mistake, named as INVALID_ARGUMENT before any arithmetic
(working days, Danish day boundaries) or the database driver sees it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from services.kernel.errors import FieldViolation, InvalidInput

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)
DAY_RANGE = f"between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}"
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_STORED_INT = 2**63 - 1
"""The largest integer MongoDB stores (int64)."""


def plausible_day(day: date) -> date:
    """`day`, if it lies in the platform's range of plausible days; ValueError otherwise."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"must be a day {DAY_RANGE}")
    return day


def _plausible_month(text: str) -> str:
    plausible_day(date(int(text[:4]), int(text[5:7]), 1))
    return text


Day = Annotated[date, AfterValidator(plausible_day)]
"""A calendar day given by a caller: YYYY-MM-DD within the plausible range."""

Month = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
    AfterValidator(_plausible_month),
]
"""A calendar month YYYY-MM within the plausible range."""

Year = Annotated[int, Field(ge=EARLIEST_DAY.year, le=LATEST_DAY.year)]
"""A calendar year within the plausible range."""

Version = Annotated[int, Field(ge=0, le=MAX_STORED_INT - 1)]
"""An aggregate version a caller read; the next one still fits an int64."""

ReadVersion = Annotated[Version, Field(ge=1)]
"""The version of an existing aggregate a caller read: 1 or more."""


def check_year(year: int, field: str = "year") -> int:
    """`year` if it is plausible; INVALID_ARGUMENT on `field` otherwise."""
    if not EARLIEST_DAY.year <= year <= LATEST_DAY.year:
        raise InvalidInput.single(
            field, f"must be a year between {EARLIEST_DAY.year} and {LATEST_DAY.year}"
        )
    return year


def parse_day(
    text: str, field: str, bad: list[FieldViolation], *, required: bool = False
) -> date | None:
    """The day a request field gives, or None with a violation added to `bad` when it is
    malformed or implausible (or empty and `required`)."""
    if not text:
        if required:
            bad.append(FieldViolation(field, "required, YYYY-MM-DD"))
        return None
    try:
        if not ISO_DAY.fullmatch(text):
            raise ValueError(text)
        return plausible_day(date.fromisoformat(text))
    except ValueError:
        bad.append(FieldViolation(field, f"must be a date YYYY-MM-DD {DAY_RANGE}"))
        return None
