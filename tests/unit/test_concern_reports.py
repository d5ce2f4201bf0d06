"""Concern reports' rules without I/O: recipients by subject, who co-signs, the specialist's
report without co-signature, the receipt and the Ankestyrelsen step."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.documents.concern import model
from services.documents.concern.model import ConcernReport
from services.kernel.context import Principal
from services.kernel.errors import Forbidden, IllegalTransition, InvalidInput

NOW = datetime(2026, 12, 6, 10, tzinfo=UTC)
CONSULTANT = Principal("kons-1", "consultant")
SPECIALIST = Principal("spec-a", "specialist", "sup-a")


def report(subject: model.Subject = "child", **changes: object) -> ConcernReport:
    made = ConcernReport(
        id="u1",
        case_id="k1",
        subject=subject,
        recipients=["municipality"] if subject == "child" else ["management", "authority"],
        municipality_code="461" if subject == "child" else "",
        facts="Barnet kommer uden madpakke.",
        viso_task="Rådgivning om skolen.",
        observations="Blå mærker på armene.",
        drafted_by="spec-a",
        drafted_role="specialist",
        supplier_id="sup-a",
        drafted_at=NOW,
    )
    return made.model_copy(update=changes)


def test_a_childs_report_goes_to_the_municipality_an_adults_letter_to_management() -> None:
    model.check_recipients("child", ["municipality"], "461")
    model.check_recipients("adult", ["management", "authority"], "")
    model.check_recipients("adult", ["socialtilsynet"], "")
    with pytest.raises(InvalidInput, match="recipients"):
        model.check_recipients("child", ["management"], "461")
    with pytest.raises(InvalidInput, match="municipality_code"):
        model.check_recipients("child", ["municipality"], "")
    with pytest.raises(InvalidInput, match="recipients"):
        model.check_recipients("adult", [], "")


def test_only_the_cases_consultant_co_signs() -> None:
    signed = model.cosign(report(), CONSULTANT, "kons-1")
    assert signed.cosigned_by == "kons-1" and signed.released_by == "kons-1"
    with pytest.raises(Forbidden):
        model.cosign(report(), Principal("kons-2", "consultant"), "kons-1")
    with pytest.raises(Forbidden):
        model.cosign(report(), SPECIALIST, "kons-1")
    released = model.released(signed, document_id="d1", now=NOW)
    with pytest.raises(IllegalTransition, match="released"):
        model.cosign(released, CONSULTANT, "kons-1")


def test_the_specialist_may_send_a_childs_report_alone_with_the_reason_recorded() -> None:
    alone = model.send_without_cosignature(report(), SPECIALIST, "Fagkonsulenten kan ikke nås")
    assert alone.without_cosignature_reason == "Fagkonsulenten kan ikke nås"
    assert alone.cosigned_by == "" and alone.released_by == "spec-a"
    with pytest.raises(InvalidInput, match="reason"):
        model.send_without_cosignature(report(), SPECIALIST, " ")
    with pytest.raises(Forbidden):
        model.send_without_cosignature(report(), Principal("spec-b", "specialist", "sup-b"), "x")
    with pytest.raises(IllegalTransition, match="adult"):
        model.send_without_cosignature(report("adult"), SPECIALIST, "x")


def test_the_receipt_comes_after_the_report_was_sent() -> None:
    with pytest.raises(IllegalTransition, match="draft"):
        model.receipt(report(), reference="K-1", now=NOW)
    sent = model.released(model.cosign(report(), CONSULTANT, "kons-1"), document_id="d", now=NOW)
    got = model.receipt(sent, reference="K-1", now=NOW)
    assert (got.status, got.receipt_reference) == ("received", "K-1")


def test_the_ankestyrelsen_step_names_the_manager_consulted_and_what_was_sent() -> None:
    sent = model.released(model.cosign(report(), CONSULTANT, "kons-1"), document_id="d", now=NOW)

    def step(on: ConcernReport, **given: object) -> ConcernReport:
        values: dict[str, object] = {
            "notified": True,
            "manager_consulted": "Leder Lise",
            "what_sent": "Underretning med navn, cpr.nr. og korrespondance",
            "consultant": CONSULTANT,
            "case_consultant": "kons-1",
            "now": NOW,
        }
        return model.ankestyrelsen(on, **{**values, **given})  # type: ignore[arg-type]

    done = step(sent)
    assert done.ankestyrelsen is not None and done.ankestyrelsen.manager_consulted == "Leder Lise"
    with pytest.raises(InvalidInput, match="manager_consulted"):
        step(sent, manager_consulted="")
    with pytest.raises(InvalidInput, match="what_sent"):
        step(sent, what_sent="")
    not_notified = step(sent, notified=False, what_sent="")
    assert not_notified.ankestyrelsen is not None and not not_notified.ankestyrelsen.notified
    with pytest.raises(IllegalTransition, match="already"):
        step(done)
    with pytest.raises(IllegalTransition, match="not been sent"):
        step(report())
    with pytest.raises(IllegalTransition, match="child"):
        adult = model.released(report("adult"), document_id="d", now=NOW)
        step(adult)
    with pytest.raises(Forbidden):
        step(sent, consultant=Principal("kons-2", "consultant"))
