"""Notices from leverance's events: who gets them, and which are urgent."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from services.contracts.leverance import (
    DeliveryAgreementReturned,
    HighPriceApprovalRequested,
    HighPriceDecided,
)
from services.notifications import leverance_notices

NOW = datetime(2026, 3, 2, tzinfo=UTC)
PART = {"case_id": "case-1", "delivery_id": "d-1", "supplier_id": "s-1", "version": 1}


def test_the_managers_decision_is_an_urgent_notice_to_the_consultant() -> None:
    event = HighPriceDecided(
        **PART,
        approved=False,
        objections="Too expensive",
        total_dkk=Decimal("155800.00"),
        consultant_id="consultant-1",
        manager_id="manager-1",
        decided_at=NOW,
    )
    notice = leverance_notices.decision_notice(event, event_id="e", now=NOW)
    assert (notice.recipient_id, notice.kind, notice.urgent) == (
        "consultant-1",
        "high_price_decided",
        True,
    )
    assert "afvist" in notice.text and "Begrundelse: Too expensive" in notice.text
    assert "155.800,00 kr." in notice.text and notice.case_id == "case-1"


def test_the_manager_is_told_of_a_waiting_high_price_agreement_without_urgency() -> None:
    event = HighPriceApprovalRequested(
        **PART,
        total_dkk=Decimal("155800.00"),
        threshold_dkk=Decimal("150000.00"),
        consultant_id="consultant-1",
        manager_id="manager-2",
    )
    notice = leverance_notices.approval_requested_notice(event, event_id="e", now=NOW)
    assert (notice.recipient_id, notice.urgent) == ("manager-2", False)


def test_a_returned_agreement_goes_back_to_the_specialist_with_the_objections() -> None:
    event = DeliveryAgreementReturned(
        **PART,
        objections="Goals are vague",
        returned_by="consultant-1",
        by_role="consultant",
        specialist_id="spec-1",
    )
    notice = leverance_notices.returned_notice(event, event_id="e", now=NOW)
    assert notice.recipient_id == "spec-1" and "Goals are vague" in notice.text
