"""Consent withdrawn in intake stops the visitation case, once, keeping the record (H 2.2.3)."""

from __future__ import annotations

from datetime import date

from services.contracts.deadlines import DeadlineCancelled
from services.contracts.intake import InquiryConsentWithdrawn
from services.contracts.visitation import VisitationCaseClosed
from services.visitation.commands import CloseWithAdvice
from services.visitation.domain import case as transitions
from tests.unit.visitation_fixtures import NOW, TODAY, contacted_case, opened_case

WITHDRAWN = InquiryConsentWithdrawn(inquiry_id="i1", consultant_id="c1", withdrawn_at=NOW)


def test_withdrawn_consent_stops_an_open_case_and_cancels_its_deadlines() -> None:
    case = opened_case()
    stopped, events = transitions.stop_for_withdrawn_consent(case, WITHDRAWN, on=date(2026, 5, 11))
    assert (stopped.status, stopped.closed_kind, stopped.closed_on) == (
        "consent_withdrawn",
        "consent_withdrawn",
        date(2026, 5, 11),
    )
    assert stopped.closed_reason == "Samtykket er trukket tilbage (registreret 11-05-2026)."
    assert stopped.inquiry_id == case.inquiry_id and stopped.distributed_on == case.distributed_on
    closed = [e for e in events if isinstance(e, VisitationCaseClosed)]
    assert [(e.case_id, e.inquiry_id, e.kind) for e in closed] == [
        ("k1", "i1", "consent_withdrawn")
    ]
    cancelled = [e for e in events if isinstance(e, DeadlineCancelled)]
    assert [e.rule for e in cancelled] == ["visitation.first_contact"]
    assert [d.status for d in stopped.deadlines] == ["cancelled"]


def test_withdrawn_consent_on_a_case_that_already_ended_changes_nothing() -> None:
    ended, _ = transitions.close_with_advice(
        contacted_case(), CloseWithAdvice(case_id="k1", reasoning="Advised."), by="c1", today=TODAY
    )
    unchanged, events = transitions.stop_for_withdrawn_consent(ended, WITHDRAWN, on=TODAY)
    assert events == [] and unchanged == ended and unchanged.status == "closed_with_advice"


def test_a_second_withdrawal_of_the_same_case_changes_nothing() -> None:
    stopped, _ = transitions.stop_for_withdrawn_consent(opened_case(), WITHDRAWN, on=TODAY)
    again, events = transitions.stop_for_withdrawn_consent(stopped, WITHDRAWN, on=TODAY)
    assert events == [] and again == stopped
