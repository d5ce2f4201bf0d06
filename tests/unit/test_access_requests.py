"""Access requests' rules without I/O: the legal parts and their deadlines on the working-day
calendar, decisions and redaction, the delay letter, and who a missed deadline escalates to."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.documents.access import model
from services.documents.access.model import AccessRequest, Item
from services.kernel.errors import IllegalTransition, InvalidInput
from services.workdays import WorkingDayCalendar

CALENDAR = WorkingDayCalendar()
MAUNDY_THURSDAY = date(2026, 4, 2)


def request(relation: model.Relation = "party", received: date = MAUNDY_THURSDAY) -> AccessRequest:
    return AccessRequest(
        id="a1",
        received_on=received,
        channel="phone",
        requester_name="Mor",
        relation=relation,
        case_ids=["k1"],
        registered_by="support-1",
        manager_id="leder-1",
        parts=model.parts_for(relation, received, "a1", CALENDAR),
        items=[
            Item(item_id="n1", item="note", case_id="k1", title="Notat", recorded_at=NOW),
            Item(item_id="d1", item="document", case_id="k1", title="Rapport", recorded_at=NOW),
        ],
        compiled_at=NOW,
        status="compiled",
    )


NOW = datetime(2026, 4, 2, 9, tzinfo=UTC)


def dues(found: AccessRequest) -> dict[str, date]:
    return {p.kind: p.due for p in found.parts}


def test_a_party_on_maundy_thursday_gets_seven_working_days_and_one_month() -> None:
    # Good Friday, the weekend and Easter Monday are no working days: 7 working days after
    # Thursday 2 April 2026 is Wednesday 15 April; one month is Saturday 2 May -> Monday 4 May.
    assert dues(request("party")) == {"decision": date(2026, 4, 15), "gdpr": date(2026, 5, 4)}


def test_a_request_on_23_december_skips_the_closing_days_and_the_holidays() -> None:
    found = request("party", date(2026, 12, 23))
    # 24 Dec (closing day), 25-26 Dec, the weekend, 31 Dec (closing day), 1 Jan, the weekend.
    assert dues(found) == {"decision": date(2027, 1, 7), "gdpr": date(2027, 1, 25)}


def test_the_parts_follow_the_requesters_relation() -> None:
    assert list(dues(request("named"))) == ["gdpr"]
    other = request("other")
    assert list(dues(other)) == ["files_act"]
    assert dues(other)["files_act"] == date(2026, 4, 15)


def test_the_personal_data_part_is_extended_once_by_two_months_with_a_reason() -> None:
    found = request("party")
    part = model.extend_gdpr(found, "Omfattende materiale", CALENDAR)
    assert part.due == date(2026, 7, 2) and part.extended_reason == "Omfattende materiale"
    with pytest.raises(IllegalTransition, match="already extended"):
        model.extend_gdpr(model.with_part(found, part), "igen", CALENDAR)
    with pytest.raises(IllegalTransition, match="no gdpr part"):
        model.extend_gdpr(request("other"), "x", CALENDAR)


def test_partial_disclosure_names_a_legal_basis_and_the_passages() -> None:
    found = request()
    with pytest.raises(InvalidInput, match="legal_basis"):
        model.decide(found, "n1", "withhold", "", [])
    with pytest.raises(InvalidInput, match="redacted_passages"):
        model.decide(found, "n1", "partly", "fvl_15a", [])
    with pytest.raises(InvalidInput, match="item_id"):
        model.decide(found, "x", "disclose", "", [])
    decided = model.decide(found, "n1", "partly", "fvl_15a", ["morens diagnose"])
    decided = model.decide(decided, "d1", "withhold", "fvl_12", [])
    with pytest.raises(IllegalTransition, match="undecided"):
        model.check_deliverable(found)
    model.check_deliverable(decided)
    text = "Samtale om morens diagnose og skolen. Morens diagnose nævnes igen: morens diagnose."
    assert model.redact(text, ["morens diagnose"]) == (
        "Samtale om [UDELADT] og skolen. Morens diagnose nævnes igen: [UDELADT]."
    )


def test_a_delay_letter_goes_before_the_deadline_with_a_later_expected_day() -> None:
    found = request()
    part = model.delay_letter(
        found,
        "decision",
        on=date(2026, 4, 14),
        reason="Sagen er stor",
        expected_on=date(2026, 4, 24),
    )
    assert part.delay_letter_on == date(2026, 4, 14)
    with pytest.raises(IllegalTransition, match="before the deadline"):
        model.delay_letter(
            found, "decision", on=date(2026, 4, 16), reason="x", expected_on=date(2026, 4, 24)
        )
    with pytest.raises(InvalidInput, match="expected_on"):
        model.delay_letter(
            found, "decision", on=date(2026, 4, 14), reason="x", expected_on=date(2026, 4, 15)
        )


def test_a_missed_deadline_without_a_delay_letter_escalates_to_the_manager() -> None:
    found = request()
    updated, events = model.missed(found, date(2026, 4, 16))
    [missed] = events
    assert missed.rule == "documents.access_decision_part"
    assert (missed.responsible_user_id, missed.responsible_role) == ("leder-1", "manager")
    assert [p.status for p in updated.parts] == ["missed", "open"]
    assert model.missed(updated, date(2026, 4, 16))[1] == []
    told = model.delay_letter(
        found,
        "decision",
        on=date(2026, 4, 14),
        reason="Sagen er stor",
        expected_on=date(2026, 4, 24),
    )
    [with_letter] = model.missed(model.with_part(found, told), date(2026, 4, 16))[1]
    assert with_letter.responsible_user_id == "support-1"
