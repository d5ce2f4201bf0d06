"""Per-request context: who is calling and which chain of events this work belongs to."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from services.kernel.envelope import new_id
from services.kernel.errors import Forbidden, Unauthenticated

ROLES: tuple[str, ...] = (
    "support",
    "consultant",
    "manager",
    "specialist",
    "supplier_admin",
    "kas_supplier",
)
VISO_STAFF: tuple[str, ...] = ("support", "consultant", "manager")
SUPPLIER_ROLES: frozenset[str] = frozenset({"specialist", "supplier_admin", "kas_supplier"})
SERVICE_ROLE = "system"
"""The role of a VIAS service calling another (a service token), allowed only by the RPCs that
name it; no person holds it. Stands in until service identities get their own issue."""


@dataclass(frozen=True)
class Principal:
    """An authenticated user: id, role and, for supplier roles, the supplier; a user's
    session id (none for a service)."""

    user_id: str
    role: str
    supplier_id: str | None = None
    session_id: str | None = None

    @property
    def is_supplier(self) -> bool:
        """Whether the user works for a supplier rather than for VISO."""
        return self.role in SUPPLIER_ROLES


SYSTEM = Principal(user_id="system", role="system")


@dataclass(frozen=True)
class Trace:
    """Correlation of one unit of work: the request or event that caused it."""

    correlation_id: str = field(default_factory=new_id)
    causation_id: str | None = None


NO_TRACE = Trace("none")
current_trace: ContextVar[Trace] = ContextVar("current_trace", default=NO_TRACE)
current_principal: ContextVar[Principal | None] = ContextVar("current_principal", default=None)


def require_role(*roles: str) -> Principal:
    """The caller, if their role is one of `roles`; raises Forbidden otherwise."""
    principal = current_principal.get()
    if principal is None:
        raise Unauthenticated("no authenticated caller")
    if principal.role not in roles:
        raise Forbidden(f"role {principal.role} may not do this")
    return principal
