"""Errors the domain and the stores raise; the gRPC layer maps each to one status code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True)
class FieldViolation:
    """One bad field and what is wrong with it."""

    field: str
    description: str


class DomainError(Exception):
    """Base of every expected, client-caused error."""


class InvalidInput(DomainError):
    """The request breaks one or more field rules (INVALID_ARGUMENT)."""

    def __init__(self, violations: Iterable[FieldViolation]) -> None:
        self.violations = tuple(violations)
        fields = ", ".join(v.field for v in self.violations)
        super().__init__(f"invalid fields: {fields}")

    @classmethod
    def single(cls, field: str, description: str) -> InvalidInput:
        """An error naming one field."""
        return cls([FieldViolation(field, description)])

    @classmethod
    def from_pydantic(cls, error: ValidationError, prefix: str = "") -> InvalidInput:
        """Translate pydantic's errors, naming fields by their dotted path."""
        violations = []
        for item in error.errors():
            path = ".".join(str(part) for part in item["loc"]) or "request"
            violations.append(FieldViolation(f"{prefix}{path}", item["msg"]))
        return cls(violations)


class NotFound(DomainError):
    """No such object, or none the caller may see (NOT_FOUND)."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key} not found")


class IllegalTransition(DomainError):
    """The step is not allowed in the aggregate's current state (FAILED_PRECONDITION)."""


class ConcurrencyConflict(DomainError):
    """Someone else changed the aggregate since it was read (ABORTED)."""

    def __init__(self, kind: str, key: str, expected_version: int) -> None:
        super().__init__(f"{kind} {key} is no longer at version {expected_version}")


class Forbidden(DomainError):
    """The caller is authenticated but may not do this (PERMISSION_DENIED)."""


class Unauthenticated(DomainError):
    """No valid credentials (UNAUTHENTICATED)."""
