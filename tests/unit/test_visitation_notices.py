"""Notices from deadline events: reminders, escalations and the next-supplier prompt."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.contracts.deadlines import DeadlineChanged, DeadlineMissed, DeadlineSet
from services.contracts.visitation import NextSupplierNeeded
from services.notifications.deadlines import (
    changed_notices,
    escalation_notices,
    next_supplier_notice,
    reminder_notices,
)

NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)
BASE = {
    "deadline_id": "k1/o1/visitation.summary_note",
    "case_id": "k1",
    "rule": "visitation.summary_note",
    "rule_text": "the specialist sends the summary note",
    "start": date(2026, 5, 21),
    "due": date(2026, 5, 29),
    "explanation": "5 working days after Thursday 2026-05-21 is Friday 2026-05-29",
    "responsible_role": "specialist",
    "responsible_user_id": "spec-a",
    "supplier_id": "alpha",
    "consultant_id": "c1",
}


def test_a_set_deadline_reminds_the_responsible_person() -> None:
    [notice] = reminder_notices(DeadlineSet(**BASE), event_id="e1", now=NOW)
    assert (notice.recipient_id, notice.kind, notice.subject_id) == (
        "spec-a",
        "deadline_reminder",
        "k1/o1/visitation.summary_note",
    )
    assert "29. maj 2026" in notice.text and "k1" in notice.text
    assert notice.case_id == "k1"


def test_a_consultant_deadline_without_a_named_person_reminds_the_consultant() -> None:
    fields = {**BASE, "responsible_role": "consultant", "responsible_user_id": None}
    [notice] = reminder_notices(DeadlineSet(**fields), event_id="e1", now=NOW)
    assert notice.recipient_id == "c1"


def test_a_supplier_deadline_without_a_named_person_has_no_one_to_remind() -> None:
    fields = {**BASE, "responsible_user_id": None}
    assert reminder_notices(DeadlineSet(**fields), event_id="e1", now=NOW) == []


def test_a_missed_deadline_escalates_to_the_responsible_person_and_the_consultant() -> None:
    notices = escalation_notices(DeadlineMissed(**BASE), event_id="e2", now=NOW)
    assert [(n.recipient_id, n.kind) for n in notices] == [
        ("spec-a", "deadline_escalation"),
        ("c1", "deadline_escalation"),
    ]
    assert "leverandør alpha" in notices[0].text
    assert {n.case_id for n in notices} == {"k1"}


def test_an_escalation_reaches_a_consultant_who_is_responsible_once() -> None:
    fields = {**BASE, "responsible_role": "consultant", "responsible_user_id": "c1"}
    notices = escalation_notices(DeadlineMissed(**fields), event_id="e2", now=NOW)
    assert [n.recipient_id for n in notices] == ["c1"]


def test_a_moved_deadline_tells_the_responsible_person() -> None:
    event = DeadlineChanged(**BASE, previous_due=date(2026, 5, 28), reason="closing day added")
    [notice] = changed_notices(event, event_id="e3", now=NOW)
    assert "tidligere 28. maj 2026" in notice.text and notice.kind == "deadline_changed"


def test_the_consultant_is_prompted_with_the_next_candidate() -> None:
    event = NextSupplierNeeded(
        case_id="k1",
        offer_id="o1",
        consultant_id="c1",
        previous_supplier_id="bravo",
        why="declined",
        reason="No capacity",
        next_supplier_id="alpha",
        next_supplier_name="Alpha",
    )
    notice = next_supplier_notice(event, event_id="e4", now=NOW)
    assert (notice.recipient_id, notice.kind, notice.subject_id) == ("c1", "next_supplier", "o1")
    assert "Næste egnede leverandør: Alpha (alpha)" in notice.text and "nej tak" in notice.text
    assert notice.case_id == "k1"
    none_left = event.model_copy(update={"next_supplier_id": None, "why": "expired"})
    text = next_supplier_notice(none_left, event_id="e5", now=NOW).text
    assert "ikke svaret rettidigt" in text and "ikke flere egnede leverandører" in text


def test_notices_of_one_event_have_ids_an_event_delivered_again_reproduces() -> None:
    missed = DeadlineMissed(**BASE)
    first = escalation_notices(missed, event_id="e7", now=NOW)
    again = escalation_notices(missed, event_id="e7", now=NOW)
    assert [n.recipient_id for n in first] == ["spec-a", "c1"]
    assert [n.id for n in again] == [n.id for n in first]
    assert len({n.id for n in first}) == 2
    other = escalation_notices(missed, event_id="e8", now=NOW)
    assert not {n.id for n in other} & {n.id for n in first}
