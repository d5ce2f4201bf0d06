"""Reading a supplier list from CSV: one row per framework contract, grouped by supplier."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from pydantic import ValidationError

from services.kernel.errors import FieldViolation, InvalidInput
from services.leverance.domain.suppliers import Contract, SupplierProfile

PROFILE_COLUMNS = (
    "supplier_id",
    "name",
    "kind",
    "kas",
    "active",
    "street",
    "postcode",
    "city",
    "municipality_code",
    "free_capacity",
)
CONTRACT_COLUMNS = (
    "contract_id",
    "main_area",
    "services",
    "valid_from",
    "valid_to",
    "min_age",
    "max_age",
    "target_groups",
    "competences",
    "hourly_rate_dkk",
    "transport_rate_dkk_per_km",
    "transport_hourly_rate_dkk",
)
COLUMNS = PROFILE_COLUMNS + CONTRACT_COLUMNS
MAX_ROWS = 5_000
TRUE = {"true", "yes", "ja", "1", "x"}
FALSE = {"false", "no", "nej", "0", ""}


@dataclass(frozen=True)
class ImportedSupplier:
    """A supplier as the file describes it."""

    supplier_id: str
    profile: SupplierProfile
    contracts: tuple[Contract, ...]


def _flag(value: str) -> bool | str:
    text = value.strip().casefold()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    return value


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _violations(error: ValidationError, line: int, renames: dict[str, str]) -> list[FieldViolation]:
    found = []
    for item in error.errors():
        loc = item["loc"][1:] if item["loc"][:1] == ("address",) else item["loc"]
        head = str(loc[0]) if loc else "row"
        column = renames.get(head, head)
        found.append(FieldViolation(f"csv_text.line{line}.{column}", item["msg"]))
    return found


def parse_suppliers(text: str) -> list[ImportedSupplier]:
    """Every supplier in the file; INVALID_ARGUMENT naming each bad line and column.

    Lines may end in LF, CRLF or a lone CR (as spreadsheets write them); a row is named by the
    file's line where it starts (a quoted cell may hold line breaks)."""
    # newline="" lets the csv module see every kind of line end, also inside quoted cells.
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        return _read(reader)
    except csv.Error as error:
        where = f"after line {reader.line_num}"
        raise InvalidInput.single("csv_text", f"not readable as CSV {where}: {error}") from None


def _read(reader: csv.DictReader[str]) -> list[ImportedSupplier]:
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidInput.single("csv_text", f"missing columns: {', '.join(missing)}")
    violations: list[FieldViolation] = []
    profiles: dict[str, tuple[int, SupplierProfile]] = {}
    contracts: dict[str, list[Contract]] = {}
    ended = reader.line_num
    for index, raw in enumerate(reader):
        line, ended = ended + 1, reader.line_num
        if index >= MAX_ROWS:
            violations.append(FieldViolation("csv_text", f"more than {MAX_ROWS} rows"))
            break
        if None in raw:
            violations.append(FieldViolation(f"csv_text.line{line}", "more cells than the header"))
            continue
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if isinstance(v, str | None)}
        supplier_id = row["supplier_id"]
        if not supplier_id:
            violations.append(FieldViolation(f"csv_text.line{line}.supplier_id", "required"))
            continue
        try:
            profile = SupplierProfile(
                name=row["name"],
                kind=row["kind"],
                kas=_flag(row["kas"]),
                active=_flag(row["active"] or "true"),
                address={
                    "street": row["street"],
                    "postcode": row["postcode"],
                    "city": row["city"],
                    "municipality_code": row["municipality_code"] or None,
                },
                free_capacity=row["free_capacity"] or 0,
            )
        except ValidationError as error:
            violations += _violations(error, line, {})
            profile = None
        try:
            contract = Contract(
                contract_id=row["contract_id"],
                main_area=row["main_area"],
                services=tuple(_list(row["services"])),
                valid_from=row["valid_from"],
                valid_to=row["valid_to"],
                min_age=row["min_age"],
                max_age=row["max_age"],
                target_groups=tuple(_list(row["target_groups"])),
                competences=tuple(_list(row["competences"])),
                hourly_rate_dkk=row["hourly_rate_dkk"],
                transport_rate_dkk_per_km=row["transport_rate_dkk_per_km"],
                transport_hourly_rate_dkk=row["transport_hourly_rate_dkk"],
            )
        except ValidationError as error:
            violations += _violations(error, line, {})
            contract = None
        if profile is not None:
            earlier = profiles.setdefault(supplier_id, (line, profile))
            if earlier[1] != profile:
                violations.append(
                    FieldViolation(
                        f"csv_text.line{line}.supplier_id",
                        f"the supplier's columns differ from line {earlier[0]}",
                    )
                )
        if contract is not None:
            mine = contracts.setdefault(supplier_id, [])
            if any(c.contract_id == contract.contract_id for c in mine):
                violations.append(
                    FieldViolation(f"csv_text.line{line}.contract_id", "the same contract twice")
                )
            mine.append(contract)
    if violations:
        raise InvalidInput(violations)
    if not profiles:
        raise InvalidInput.single("csv_text", "no suppliers in the file")
    return [
        ImportedSupplier(supplier_id, profile, tuple(contracts.get(supplier_id, [])))
        for supplier_id, (_, profile) in profiles.items()
    ]
