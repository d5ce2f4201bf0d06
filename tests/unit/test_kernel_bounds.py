from datetime import date

import pytest
from pydantic import BaseModel, ValidationError

from services.kernel.bounds import (
    EARLIEST_DAY,
    LATEST_DAY,
    MAX_STORED_INT,
    Day,
    Month,
    Version,
    check_year,
    parse_day,
)
from services.kernel.errors import FieldViolation, InvalidInput


class _Request(BaseModel):
    on: Day | None = None
    month: Month | None = None
    version: Version = 0


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"])
def test_a_day_outside_the_plausible_range_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="must be a day between 2000-01-01 and 2100-12-31"):
        _Request.model_validate({"on": text})


def test_the_range_ends_are_plausible() -> None:
    for day in (EARLIEST_DAY, LATEST_DAY):
        assert _Request.model_validate({"on": day.isoformat()}).on == day


@pytest.mark.parametrize("text", ["0001-01", "9999-12", "0000-01", "2026-13", "26-01"])
def test_a_month_outside_the_range_or_malformed_is_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        _Request.model_validate({"month": text})
    assert _Request.model_validate({"month": "2026-05"}).month == "2026-05"


def test_a_version_whose_successor_the_database_cannot_store_is_refused() -> None:
    assert _Request.model_validate({"version": str(MAX_STORED_INT - 1)}).version == 2**63 - 2
    for too_big in (MAX_STORED_INT, 2**64):
        with pytest.raises(ValidationError):
            _Request.model_validate({"version": str(too_big)})


def test_parse_day_names_the_field_of_a_malformed_or_implausible_day() -> None:
    bad: list[FieldViolation] = []
    assert parse_day("2026-05-08", "from", bad) == date(2026, 5, 8)
    assert parse_day("", "from", bad) is None and bad == []
    for text in ("0001-01-01", "9999-12-31", "20260508", "2026-W19-5", "2026-02-30"):
        assert parse_day(text, "from", bad) is None
    assert [v.field for v in bad] == ["from"] * 5
    assert parse_day("", "to", bad, required=True) is None
    assert bad[-1] == FieldViolation("to", "required, YYYY-MM-DD")


def test_a_year_outside_the_plausible_range_is_named() -> None:
    assert check_year(2026) == 2026
    for year in (0, 1999, 2101, 2**31 - 1):
        with pytest.raises(InvalidInput) as caught:
            check_year(year, "period")
        assert [v.field for v in caught.value.violations] == ["period"]
