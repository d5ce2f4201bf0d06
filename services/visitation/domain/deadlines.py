"""Visitation's deadline rules (H 5.1, DOMAIN §7) and the events for each due date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from services.contracts.deadlines import (
    DeadlineCancelled,
    DeadlineChanged,
    DeadlineMet,
    DeadlineMissed,
    DeadlineSet,
)
from services.kernel.errors import IllegalTransition, InvalidInput, NotFound, OutsideWindow
from services.visitation.domain.model import CaseDeadline, VisitationCase
from services.workdays import Deadline, WorkingDayCalendar


@dataclass(frozen=True)
class DeadlineRule:
    """A statutory or handbook deadline: what must be done, by whom, how long after what."""

    id: str
    text: str
    n: int
    unit: Literal["working day", "calendar day"]
    responsible_role: str
    roll_to_working_day: bool = False


FIRST_CONTACT = DeadlineRule(
    "visitation.first_contact",
    "the consultant contacts the inquirer after distribution",
    7,
    "working day",
    "consultant",
)
SUPPLIER_ANSWER = DeadlineRule(
    "visitation.supplier_answer",
    "the supplier answers the offer yes or no",
    5,
    "working day",
    "specialist",
)
SPECIALIST_CONTACTS_INQUIRER = DeadlineRule(
    "visitation.specialist_contacts_inquirer",
    "the specialist contacts the inquirer to book the clarifying meeting",
    5,
    "working day",
    "specialist",
)
CLARIFYING_MEETING_OFFERED = DeadlineRule(
    "visitation.clarifying_meeting_offered",
    "the specialist offers a clarifying meeting within 30 days of accepting",
    30,
    "calendar day",
    "specialist",
)
SUMMARY_NOTE = DeadlineRule(
    "visitation.summary_note",
    "the specialist sends the summary note of the clarifying meeting",
    5,
    "working day",
    "specialist",
)
PHONE_EXTENDED_SUPPLIER_CONTACT = DeadlineRule(
    "visitation.phone_extended_supplier_contact",
    "the consultant contacts a supplier for the extended phone advice (H 4.4.1)",
    2,
    "calendar day",
    "consultant",
    roll_to_working_day=True,
)
"""H 4.4.1 says "senest to dage efter" where the handbook otherwise writes "arbejdsdage" for
working days: two calendar days, moved to the next working day when the second is closed."""
PREFERRED_MEETING_RULE_ID = "visitation.clarifying_meeting_preferred"


def preferred_meeting_rule(days: int) -> DeadlineRule:
    """The service's preferred time to the clarifying meeting (H 3.3, 3.5, 3.7)."""
    return DeadlineRule(
        PREFERRED_MEETING_RULE_ID,
        f"the clarifying meeting is held, preferably within {days} days of accepting",
        days,
        "calendar day",
        "specialist",
    )


DeadlineEvent = DeadlineSet | DeadlineMet | DeadlineMissed | DeadlineCancelled | DeadlineChanged


def compute(rule: DeadlineRule, start: date, calendar: WorkingDayCalendar) -> Deadline:
    """The due date of a rule from its start, with the calendar's explanation."""
    if rule.unit == "working day":
        return calendar.explain_working_days(start, rule.n)
    return calendar.explain_calendar_days(
        start, rule.n, roll_to_working_day=rule.roll_to_working_day
    )


def _fields(case: VisitationCase, deadline: CaseDeadline) -> dict[str, object]:
    return {
        "deadline_id": deadline.deadline_id,
        "case_id": case.id,
        "rule": deadline.rule,
        "rule_text": deadline.rule_text,
        "start": deadline.start,
        "due": deadline.due,
        "explanation": deadline.explanation,
        "responsible_user_id": deadline.responsible_user_id,
        "responsible_role": deadline.responsible_role,
        "supplier_id": deadline.supplier_id,
        "consultant_id": case.consultant_id,
        "notify_user_ids": list(deadline.notify_user_ids),
    }


def set_deadline(
    case: VisitationCase,
    rule: DeadlineRule,
    start: date,
    calendar: WorkingDayCalendar,
    *,
    offer_id: str | None = None,
    supplier_id: str | None = None,
    responsible_user_id: str | None = None,
    notify_user_ids: list[str] | None = None,
) -> DeadlineSet:
    """Add the rule's deadline to the case (mutating it) and the event announcing it."""
    computed = compute(rule, start, calendar)
    scope = f"{case.id}/{offer_id}" if offer_id else case.id
    deadline = CaseDeadline(
        deadline_id=f"{scope}/{rule.id}",
        rule=rule.id,
        rule_text=rule.text,
        start=start,
        due=computed.due,
        explanation=computed.explanation,
        responsible_role=rule.responsible_role,
        responsible_user_id=responsible_user_id,
        supplier_id=supplier_id,
        offer_id=offer_id,
        notify_user_ids=list(notify_user_ids or []),
    )
    case.deadlines.append(deadline)
    return DeadlineSet.model_validate(_fields(case, deadline))


def _find(case: VisitationCase, rule_id: str, offer_id: str | None) -> CaseDeadline | None:
    return next(
        (
            d
            for d in case.deadlines
            if d.rule == rule_id and d.offer_id == offer_id and d.status in ("open", "missed")
        ),
        None,
    )


def pending(case: VisitationCase, rule_id: str, offer_id: str | None = None) -> CaseDeadline | None:
    """The rule's open or missed deadline on the case (or on one offer), if there is one."""
    return _find(case, rule_id, offer_id)


def meet(
    case: VisitationCase, rule_id: str, on: date, *, offer_id: str | None = None
) -> list[DeadlineEvent]:
    """Mark the pending deadline of a rule as met on `on` (mutating the case). A step done after
    the due date that the periodic check has not yet reported is reported missed first, so every
    missed due date has its DeadlineMissed however soon the late step follows."""
    deadline = _find(case, rule_id, offer_id)
    if deadline is None:
        return []
    events: list[DeadlineEvent] = []
    if on > deadline.due and not deadline.missed_reported:
        events.append(report_missed(case, deadline))
    deadline.status = "met"
    deadline.met_on = on
    return [*events, DeadlineMet.model_validate({**_fields(case, deadline), "met_on": on})]


def cancel_pending(
    case: VisitationCase,
    reason: str,
    *,
    offer_id: str | None = None,
    keep: frozenset[str] = frozenset(),
) -> list[DeadlineEvent]:
    """Cancel every pending deadline of the case, or of one offer, except rules in `keep`
    (mutating the case)."""
    events: list[DeadlineEvent] = []
    for deadline in case.deadlines:
        if (
            deadline.status in ("open", "missed")
            and (offer_id is None or deadline.offer_id == offer_id)
            and deadline.rule not in keep
        ):
            deadline.status = "cancelled"
            events.append(
                DeadlineCancelled.model_validate({**_fields(case, deadline), "reason": reason})
            )
    return events


def overdue(case: VisitationCase, today: date) -> list[CaseDeadline]:
    """Open deadlines whose due date has passed and which were not yet reported missed."""
    return [
        d for d in case.deadlines if d.status == "open" and d.due < today and not d.missed_reported
    ]


def report_missed(case: VisitationCase, deadline: CaseDeadline) -> DeadlineMissed:
    """Mark a deadline missed (mutating the case); its event is emitted once."""
    deadline.status = "missed"
    deadline.missed_reported = True
    return DeadlineMissed.model_validate(_fields(case, deadline))


def move(
    case: VisitationCase,
    deadline_id: str,
    new_due: date,
    reason: str,
    *,
    by: str,
    today: date,
    calendar: WorkingDayCalendar,
) -> DeadlineChanged:
    """Give a pending deadline a new due date (mutating the case); it may be missed again."""
    deadline = case.deadline(deadline_id)
    if deadline is None:
        raise NotFound("deadline", deadline_id)
    if case.is_closed or deadline.status not in ("open", "missed"):
        raise IllegalTransition(f"deadline {deadline_id} is {deadline.status}; it cannot move")
    closed = calendar.closing_reason(new_due)
    if closed is not None:
        day = new_due.isoformat()
        raise InvalidInput.single("new_due", f"{day} is not a working day ({closed})")
    if new_due < today:
        raise InvalidInput.single("new_due", "must be today or later")
    if new_due == deadline.due:
        raise OutsideWindow.single("new_due", f"{new_due.isoformat()} is already its due date")
    previous = deadline.due
    deadline.due = new_due
    deadline.status = "open"
    deadline.missed_reported = False
    deadline.explanation = (
        f"moved from {previous.isoformat()} to {new_due.isoformat()} on {today.isoformat()} "
        f"by {by}: {reason} (originally: {deadline.explanation})"
    )
    return DeadlineChanged.model_validate(
        {**_fields(case, deadline), "previous_due": previous, "reason": reason}
    )
