"""Concern reports (underretning, H ch. 8): a child's report to the municipality's notification
mailbox (Barnets Lov § 133), an adult's concern letter (bekymringsskrivelse) to the offer's
management and the authority; drafted, co-signed by the consultant (or sent by the specialist
without co-signature, recorded), its receipt awaited, and for a child the Ankestyrelsen step.
No I/O."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.kernel.context import Principal
from services.kernel.errors import FieldViolation, Forbidden, IllegalTransition, InvalidInput
from services.kernel.store import Aggregate

Subject = Literal["child", "adult"]
Recipient = Literal["municipality", "management", "authority", "socialtilsynet"]
RECEIPT_RULE = "documents.concern_report_receipt"
RECEIPT_RULE_TEXT = "the municipality's receipt of the concern report"
RECEIPT_WORKING_DAYS = 1
"""The municipality assesses a child's report within 24 hours (H 8.1.3): its receipt is awaited
one working day."""
RECIPIENTS_BY_SUBJECT: dict[str, frozenset[str]] = {
    "child": frozenset({"municipality"}),
    "adult": frozenset({"management", "authority", "socialtilsynet"}),
}


class Ankestyrelsen(BaseModel):
    """The consultant's judgement whether Ankestyrelsen is notified (Barnets Lov § 152), always
    discussed with a manager of the central unit."""

    notified: bool
    manager_consulted: str
    what_sent: str = ""
    decided_by: str
    decided_at: datetime


class ConcernReport(Aggregate):
    """A concern report on a case."""

    case_id: str
    inquiry_id: str = ""
    subject: Subject
    recipients: list[Recipient]
    municipality_code: str = ""
    facts: str
    viso_task: str
    observations: str
    drafted_by: str
    drafted_role: str
    supplier_id: str | None = None
    drafted_at: datetime
    status: Literal["draft", "released", "received"] = "draft"
    cosigned_by: str = ""
    without_cosignature_reason: str = ""
    released_by: str = ""
    released_at: datetime | None = None
    document_id: str = ""
    received_at: datetime | None = None
    receipt_reference: str = ""
    ankestyrelsen: Ankestyrelsen | None = None
    receipt_missed: date | None = None
    history: list[str] = Field(default_factory=list)


def check_recipients(subject: Subject, recipients: list[str], municipality_code: str) -> None:
    """A child's report goes to the municipality's mailbox; an adult's letter to the offer's
    management, the authority, or Socialtilsynet."""
    allowed = RECIPIENTS_BY_SUBJECT[subject]
    wrong = [r for r in recipients if r not in allowed]
    if not recipients or wrong:
        raise InvalidInput.single(
            "recipients", f"for a {subject}: one or more of {', '.join(sorted(allowed))}"
        )
    if "municipality" in recipients and not municipality_code:
        raise InvalidInput.single("municipality_code", "the municipality whose mailbox gets it")


def cosign(report: ConcernReport, consultant: Principal, case_consultant: str) -> ConcernReport:
    """The case's consultant reviews and co-signs: the report is released."""
    _draft(report)
    if consultant.role != "consultant" or consultant.user_id != case_consultant:
        raise Forbidden("only the case's consultant co-signs its concern report")
    return report.model_copy(
        update={"cosigned_by": consultant.user_id, "released_by": consultant.user_id}
    )


def send_without_cosignature(
    report: ConcernReport, specialist: Principal, reason: str
) -> ConcernReport:
    """The specialist's personal duty goes before the consultant's signature (H 8.1.3): sent
    alone, with the reason recorded."""
    _draft(report)
    if not specialist.is_supplier or specialist.supplier_id != report.supplier_id:
        raise Forbidden("only the drafting supplier's specialist sends without co-signature")
    if report.subject != "child":
        raise IllegalTransition("an adult's concern letter is co-signed by the consultant")
    if not reason.strip():
        raise InvalidInput.single("reason", "why the consultant did not co-sign")
    return report.model_copy(
        update={"without_cosignature_reason": reason, "released_by": specialist.user_id}
    )


def _draft(report: ConcernReport) -> None:
    if report.status != "draft":
        raise IllegalTransition(f"the concern report is {report.status}")


def released(report: ConcernReport, *, document_id: str, now: datetime) -> ConcernReport:
    """The report sent on, its rendered final journaled."""
    return report.model_copy(
        update={"status": "released", "released_at": now, "document_id": document_id}
    )


def receipt(report: ConcernReport, *, reference: str, now: datetime) -> ConcernReport:
    """The recipient's receipt."""
    if report.status != "released":
        raise IllegalTransition(f"the concern report is {report.status}, not released")
    return report.model_copy(
        update={"status": "received", "received_at": now, "receipt_reference": reference}
    )


def ankestyrelsen(
    report: ConcernReport,
    *,
    notified: bool,
    manager_consulted: str,
    what_sent: str,
    consultant: Principal,
    case_consultant: str,
    now: datetime,
) -> ConcernReport:
    """After the municipality, the consultant judges whether Ankestyrelsen is notified; always
    discussed with a named manager; what was sent is recorded when it was."""
    if report.subject != "child":
        raise IllegalTransition("the Ankestyrelsen step is for a child's report")
    if report.status == "draft":
        raise IllegalTransition("the report has not been sent to the municipality yet")
    if report.ankestyrelsen is not None:
        raise IllegalTransition("the Ankestyrelsen step is already recorded")
    if consultant.role != "consultant" or consultant.user_id != case_consultant:
        raise Forbidden("only the case's consultant records the Ankestyrelsen step")
    problems = []
    if not manager_consulted.strip():
        problems.append(("manager_consulted", "the manager of the central unit consulted"))
    if notified and not what_sent.strip():
        problems.append(("what_sent", "what was sent to Ankestyrelsen"))
    if problems:
        raise InvalidInput(FieldViolation(f, d) for f, d in problems)
    step = Ankestyrelsen(
        notified=notified,
        manager_consulted=manager_consulted.strip(),
        what_sent=what_sent.strip(),
        decided_by=consultant.user_id,
        decided_at=now,
    )
    return report.model_copy(update={"ankestyrelsen": step})
