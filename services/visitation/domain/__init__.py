"""Visitation's rules; no I/O."""

from services.visitation.domain.case import open_assigned_case, open_case
from services.visitation.domain.model import (
    CaseDeadline,
    Decision,
    InformationEntry,
    Offer,
    VisitationCase,
)
from services.visitation.domain.suppliers import SupplierProfile

__all__ = [
    "CaseDeadline",
    "Decision",
    "InformationEntry",
    "Offer",
    "SupplierProfile",
    "VisitationCase",
    "open_assigned_case",
    "open_case",
]
