"""Errors the domain and the stores raise; the gRPC layer maps each to one status code."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

CPR_LIKE = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")
"""Ten digits, with or without the dash after six: what a CPR number looks like."""
_UUID_OR_CPR = re.compile(
    r"(?P<uuid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
    rf"|(?P<cpr>{CPR_LIKE.pattern})"
)
"""A UUID is matched whole first, so the digits of an id like ab123456-7890-... stay."""
MAX_ECHO_CHARS = 40
MAX_VIOLATIONS = 20
"""A refusal lists at most this many fields; its message says how many more there were."""
MAX_LISTED_CHARS = 2_500
"""Field names and descriptions a refusal lists in all: gRPC trailers hold 8 KiB."""
MAX_FIELD_CHARS = 100
MAX_DESCRIPTION_CHARS = 200
MAX_SUMMARY_CHARS = 1_000
"""The status message: each listed field with its reason, cut to this."""
PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")
"""What pydantic puts before a validator's own message; a person needs only the message."""


def clip(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with a note of its full length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def _masked(found: re.Match[str]) -> str:
    return found.group("uuid") or "<cpr>"


def mask(value: object, limit: int = MAX_ECHO_CHARS) -> str:
    """A caller-supplied value with CPR-like numbers (outside UUIDs) masked, at most `limit`
    characters."""
    return clip(_UUID_OR_CPR.sub(_masked, str(value)), limit)


def holds_cpr(text: str) -> bool:
    """Whether `text` holds something shaped like a CPR number outside a UUID."""
    return any(found.group("cpr") for found in _UUID_OR_CPR.finditer(text))


def echo(value: object, limit: int = MAX_ECHO_CHARS) -> str:
    """A caller-supplied value as an error or a log line may quote it: masked (`mask`),
    quoted, control characters escaped."""
    return repr(mask(value, limit))


@dataclass(frozen=True)
class FieldViolation:
    """One bad field and what is wrong with it."""

    field: str
    description: str

    def clipped(self) -> FieldViolation:
        """The violation with its field path and description cut to their limits."""
        return FieldViolation(
            clip(self.field, MAX_FIELD_CHARS),
            clip(_plain(self.description), MAX_DESCRIPTION_CHARS),
        )


def _listed(violations: Sequence[FieldViolation]) -> tuple[FieldViolation, ...]:
    listed: list[FieldViolation] = []
    size = 0
    for violation in violations[:MAX_VIOLATIONS]:
        shown = violation.clipped()
        size += len(shown.field) + len(shown.description)
        if listed and size > MAX_LISTED_CHARS:
            break
        listed.append(shown)
    return tuple(listed)


def _listing(
    violations: Iterable[FieldViolation],
) -> tuple[tuple[FieldViolation, ...], tuple[FieldViolation, ...], int]:
    """Every violation; those a reply lists (the first ones, clipped, within the limits); how
    many it leaves out."""
    every = tuple(violations)
    listed = _listed(every)
    return every, listed, len(every) - len(listed)


def _summary(
    listed: Sequence[FieldViolation], unlisted: int, heading: str = "invalid fields"
) -> str:
    """The status message: every listed field with its reason, e.g.
    "invalid fields: citizens.1.cpr: not a valid birth date; main_area: ..."."""
    if not listed:
        return "invalid request"
    reasons = "; ".join(f"{v.field}: {v.description}" for v in listed)
    more = f"; and {unlisted} more" if unlisted else ""
    return f"{heading}: {clip(reasons, MAX_SUMMARY_CHARS)}{more}"


def _plain(message: str) -> str:
    """A validation message without pydantic's prefix."""
    for prefix in PYDANTIC_PREFIXES:
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


class DomainError(Exception):
    """Base of every expected, client-caused error."""


class InvalidInput(DomainError):
    """The request breaks one or more field rules (INVALID_ARGUMENT)."""

    def __init__(self, violations: Iterable[FieldViolation]) -> None:
        self.violations, self.listed, self.unlisted = _listing(violations)
        super().__init__(_summary(self.listed, self.unlisted))

    @classmethod
    def single(cls, field: str, description: str) -> InvalidInput:
        """An error naming one field."""
        return cls([FieldViolation(field, description)])

    @classmethod
    def from_pydantic(cls, error: ValidationError, prefix: str = "") -> InvalidInput:
        """Translate pydantic's errors, naming fields by their dotted path (a map's key, which
        the caller chose, masked like an echoed value)."""
        violations = []
        for item in error.errors():
            parts = [mask(part, MAX_FIELD_CHARS) for part in item["loc"] if part != "[key]"]
            path = ".".join(parts) or "request"
            violations.append(FieldViolation(f"{prefix}{path}", item["msg"]))
        return cls(violations)


class NotFound(DomainError):
    """No such object, or none the caller may see (NOT_FOUND)."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {echo(key)} not found")


class IllegalTransition(DomainError):
    """The step is not allowed in the aggregate's current state (FAILED_PRECONDITION)."""


class OutsideWindow(IllegalTransition):
    """Dates the request gives fall outside the window the case's own history sets, e.g. a
    contact before the distribution or anchoring after the six months from the closing
    meeting (FAILED_PRECONDITION, naming each field). The same request may be right for
    another case; a request wrong whatever the state is InvalidInput."""

    def __init__(self, violations: Iterable[FieldViolation]) -> None:
        self.violations, self.listed, self.unlisted = _listing(violations)
        super().__init__(_summary(self.listed, self.unlisted, "outside the case's history"))

    @classmethod
    def single(cls, field: str, description: str) -> OutsideWindow:
        """An error naming one field."""
        return cls([FieldViolation(field, description)])


class ConcurrencyConflict(DomainError):
    """Someone else changed the aggregate since it was read (ABORTED)."""

    def __init__(self, kind: str, key: str, expected_version: int) -> None:
        super().__init__(f"{kind} {echo(key)} is no longer at version {expected_version}")


class Forbidden(DomainError):
    """The caller is authenticated but may not do this (PERMISSION_DENIED)."""


class Unauthenticated(DomainError):
    """No valid credentials (UNAUTHENTICATED)."""


class ResourceExhausted(DomainError):
    """The request exceeds a configured limit, e.g. an upload's size (RESOURCE_EXHAUSTED)."""


class DataLoss(DomainError):
    """Stored data no longer matches its checksum; nothing of it is returned (DATA_LOSS)."""


class Unavailable(DomainError):
    """A service this call depends on (the token issuer, the directory) cannot be reached now;
    the caller may try again."""
