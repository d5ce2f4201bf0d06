"""The user directory: who may log in, with which role, for which supplier, under which
manager; and which organisation (CVR number) is which supplier."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.kernel.context import ROLES, SUPPLIER_ROLES
from services.kernel.errors import FieldViolation, InvalidInput, NotFound, Unauthenticated, echo

Doc = dict[str, Any]
USERS = "users"
ORGANISATIONS = "organisations"
SESSIONS = "sessions"
CSV_COLUMNS = ("user_id", "name", "role", "supplier_id", "supplier_cvr", "manager_id", "active")
USER_ID = re.compile(r"[A-Za-z0-9._@:+-]{1,128}")
CVR = re.compile(r"\d{8}")
TRUE = {"", "true", "yes", "1", "ja", "aktiv"}
FALSE = {"false", "no", "0", "nej", "deaktiveret", "inaktiv"}


@dataclass(frozen=True)
class User:
    """A directory user."""

    user_id: str
    role: str
    name: str = ""
    supplier_id: str | None = None
    manager_id: str | None = None
    active: bool = True

    def to_doc(self, now: datetime) -> Doc:
        """The stored document."""
        return {
            "_id": self.user_id,
            "name": self.name,
            "role": self.role,
            "supplier_id": self.supplier_id,
            "manager_id": self.manager_id,
            "active": self.active,
            "updated_at": now,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> User:
        """The user a stored document holds."""
        return cls(
            user_id=str(doc["_id"]),
            role=str(doc["role"]),
            name=str(doc.get("name") or ""),
            supplier_id=doc.get("supplier_id") or None,
            manager_id=doc.get("manager_id") or None,
            active=bool(doc.get("active", True)),
        )


def user_violations(
    *,
    user_id: str,
    role: str,
    supplier_id: str | None,
    manager_id: str | None = None,
    supplier_cvr: str | None = None,
    prefix: str = "",
    cvr_field: str | None = None,
) -> list[FieldViolation]:
    """What is wrong with a user's fields, each named (prefix + field; the CVR number's
    `cvr_field` when it is not beside them)."""
    found: list[FieldViolation] = []
    cvr = cvr_field or f"{prefix}supplier_cvr"
    if not USER_ID.fullmatch(user_id):
        found.append(FieldViolation(f"{prefix}user_id", "1-128 letters, digits or ._@:+- required"))
    if role not in ROLES:
        found.append(FieldViolation(f"{prefix}role", f"must be one of {', '.join(ROLES)}"))
    elif (role in SUPPLIER_ROLES) != bool(supplier_id):
        found.append(
            FieldViolation(f"{prefix}supplier_id", "required for supplier roles and only for them")
        )
    if manager_id and not USER_ID.fullmatch(manager_id):
        found.append(FieldViolation(f"{prefix}manager_id", "not a user id"))
    if supplier_cvr and not CVR.fullmatch(supplier_cvr):
        found.append(FieldViolation(cvr, "a CVR number is 8 digits"))
    if supplier_cvr and not supplier_id:
        found.append(FieldViolation(cvr, "only with a supplier_id"))
    return found


@dataclass(frozen=True)
class ImportRow:
    """One row of a user import."""

    user: User
    supplier_cvr: str | None


def parse_users_csv(text: str) -> list[ImportRow]:
    """The rows of a user CSV (comma or semicolon separated, header row first); INVALID_ARGUMENT
    naming every bad cell as `csv.row[N].<column>` (N counts from 2, the first data line)."""
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("user_id", "role") if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    problems = [FieldViolation("csv", f"missing column {c}") for c in missing]
    problems += [FieldViolation("csv", f"unknown column {echo(c)}") for c in unknown]
    if problems:
        raise InvalidInput(problems)
    rows: list[ImportRow] = []
    seen: set[str] = set()
    for number, raw in enumerate(reader, start=2):
        cells = {str(k).strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        prefix = f"csv.row[{number}]."
        active_text = cells.get("active", "").lower()
        row_problems = user_violations(
            user_id=cells.get("user_id", ""),
            role=cells.get("role", ""),
            supplier_id=cells.get("supplier_id") or None,
            manager_id=cells.get("manager_id") or None,
            supplier_cvr=cells.get("supplier_cvr") or None,
            prefix=prefix,
        )
        if active_text not in TRUE | FALSE:
            row_problems.append(FieldViolation(f"{prefix}active", "true or false"))
        if cells.get("user_id") in seen:
            row_problems.append(FieldViolation(f"{prefix}user_id", "listed twice"))
        seen.add(cells.get("user_id", ""))
        problems += row_problems
        if row_problems:
            continue
        rows.append(
            ImportRow(
                User(
                    user_id=cells["user_id"],
                    role=cells["role"],
                    name=cells.get("name", ""),
                    supplier_id=cells.get("supplier_id") or None,
                    manager_id=cells.get("manager_id") or None,
                    active=active_text in TRUE,
                ),
                cells.get("supplier_cvr") or None,
            )
        )
    if problems:
        raise InvalidInput(problems)
    if not rows:
        raise InvalidInput.single("csv", "no users")
    return rows


@dataclass(frozen=True)
class Login:
    """What the provider's claims say about who logged in."""

    user_id: str
    cvr: str | None


def login_from_claims(claims: Mapping[str, Any], *, user_claim: str, cvr_claim: str) -> Login:
    """The directory user id and organisation CVR number a token's claims name."""
    user_id = claims.get(user_claim)
    if not isinstance(user_id, str) or not user_id:
        raise Unauthenticated(f"the token has no {user_claim} claim naming the user")
    cvr = claims.get(cvr_claim)
    return Login(user_id=user_id, cvr=str(cvr) if cvr else None)


def check_organisation(
    user: User,
    cvr: str | None,
    *,
    supplier_of_cvr: str | None,
    viso_cvr: str | None,
    require_cvr: bool,
) -> None:
    """A login for an organisation must be for the user's own: a supplier's staff log in for
    the supplier's CVR number, VISO's staff for VISO's (when configured)."""
    if cvr is None:
        if require_cvr:
            raise Unauthenticated("the token names no organisation (CVR number)")
        return
    if user.supplier_id is not None:
        if supplier_of_cvr != user.supplier_id:
            raise Unauthenticated("the organisation logged in for is not the user's supplier")
    elif viso_cvr is not None and cvr != viso_cvr:
        raise Unauthenticated("VISO staff log in for VISO's organisation")


async def create_indexes(db: AsyncDatabase[Doc]) -> None:
    """Indexes of the directory and the sessions."""
    await db[USERS].create_index([("role", ASCENDING), ("_id", ASCENDING)])
    await db[USERS].create_index([("supplier_id", ASCENDING), ("_id", ASCENDING)])
    await db[ORGANISATIONS].create_index([("supplier_id", ASCENDING)])
    await db[SESSIONS].create_index([("user_id", ASCENDING)])
    await db[SESSIONS].create_index([("refresh_hash", ASCENDING)], sparse=True)


async def find_user(db: AsyncDatabase[Doc], user_id: str) -> User | None:
    """The user, if the directory has them."""
    doc = await db[USERS].find_one({"_id": user_id})
    return None if doc is None else User.from_doc(doc)


async def get_user(db: AsyncDatabase[Doc], user_id: str) -> User:
    """The user; NOT_FOUND otherwise."""
    found = await find_user(db, user_id)
    if found is None:
        raise NotFound("user", user_id)
    return found


async def save_user(
    db: AsyncDatabase[Doc], user: User, supplier_cvr: str | None, now: datetime
) -> bool:
    """Create or replace a user (and map the CVR number to their supplier); whether new."""
    if supplier_cvr:
        await map_organisation(db, supplier_cvr, str(user.supplier_id))
    doc = user.to_doc(now)
    try:
        await db[USERS].insert_one(doc)
        return True
    except DuplicateKeyError:
        await db[USERS].replace_one({"_id": user.user_id}, doc)
        return False


async def map_organisation(db: AsyncDatabase[Doc], cvr: str, supplier_id: str) -> None:
    """Logins for the organisation `cvr` are for `supplier_id`."""
    await db[ORGANISATIONS].update_one(
        {"_id": cvr}, {"$set": {"supplier_id": supplier_id}}, upsert=True
    )


async def supplier_of(db: AsyncDatabase[Doc], cvr: str) -> str | None:
    """The supplier an organisation's CVR number maps to."""
    doc = await db[ORGANISATIONS].find_one({"_id": cvr})
    return None if doc is None else str(doc["supplier_id"])
