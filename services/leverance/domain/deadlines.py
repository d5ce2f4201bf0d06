"""The deadlines leverance sets, computed with the working-day calendar, as shared events."""

from __future__ import annotations

from datetime import date, timedelta

from services.contracts.deadlines import (
    DeadlineCancelled,
    DeadlineChanged,
    DeadlineMet,
    DeadlineSet,
)
from services.workdays import WorkingDayCalendar, end_of_month

LOG_CONSUMPTION = "leverance.log_consumption"
FINANCIAL_STATEMENT = "leverance.financial_statement"
STATEMENT_APPROVAL = "leverance.statement_approval"


class DeadlineSpec:
    """One deadline: who must do what by when, and why that day."""

    def __init__(
        self,
        *,
        deadline_id: str,
        case_id: str,
        rule: str,
        rule_text: str,
        start: date,
        due: date,
        explanation: str,
        responsible_role: str,
        responsible_user_id: str | None,
        supplier_id: str | None,
    ) -> None:
        self.fields = {
            "deadline_id": deadline_id,
            "case_id": case_id,
            "rule": rule,
            "rule_text": rule_text,
            "start": start,
            "due": due,
            "explanation": explanation,
            "responsible_role": responsible_role,
            "responsible_user_id": responsible_user_id,
            "supplier_id": supplier_id,
        }

    @property
    def due(self) -> date:
        """The due date."""
        due = self.fields["due"]
        assert isinstance(due, date)
        return due

    def moved_to(self, due: date, explanation: str) -> DeadlineSpec:
        """The same deadline with another due date."""
        moved = DeadlineSpec.__new__(DeadlineSpec)
        moved.fields = {**self.fields, "due": due, "explanation": explanation}
        return moved

    def set(self) -> DeadlineSet:
        """The event setting it."""
        return DeadlineSet.model_validate(self.fields)

    def met(self, on: date) -> DeadlineMet:
        """The event saying it was met."""
        return DeadlineMet.model_validate({**self.fields, "met_on": on})

    def changed(self, previous_due: date, reason: str) -> DeadlineChanged:
        """The event moving it."""
        return DeadlineChanged.model_validate(
            {**self.fields, "previous_due": previous_due, "reason": reason}
        )

    def cancelled(self, reason: str) -> DeadlineCancelled:
        """The event dropping it."""
        return DeadlineCancelled.model_validate({**self.fields, "reason": reason})


def log_consumption(
    *,
    case_id: str,
    delivery_id: str,
    activity_id: str,
    planned_on: date,
    specialist_id: str,
    supplier_id: str,
) -> DeadlineSpec:
    """Hours and other consumption are logged by the end of the month the activity is planned in."""
    due = end_of_month(planned_on)
    return DeadlineSpec(
        deadline_id=f"{delivery_id}:log:{activity_id}",
        case_id=case_id,
        rule=LOG_CONSUMPTION,
        rule_text=f"log the consumption of activity {activity_id}",
        start=planned_on,
        due=due,
        explanation=f"end of the month of the planned day {planned_on.isoformat()} "
        f"is {due.isoformat()} (H 5.2.3)",
        responsible_role="specialist",
        responsible_user_id=specialist_id,
        supplier_id=supplier_id,
    )


def financial_statement(
    *,
    case_id: str,
    delivery_id: str,
    closing_meeting_on: date,
    specialist_id: str,
    supplier_id: str,
    calendar: WorkingDayCalendar,
    working_days: int,
) -> DeadlineSpec:
    """The specialist closes the delivery within working days after the closing meeting."""
    deadline = calendar.explain_working_days(closing_meeting_on, working_days)
    return DeadlineSpec(
        deadline_id=f"{delivery_id}:financial_statement",
        case_id=case_id,
        rule=FINANCIAL_STATEMENT,
        rule_text="close the delivery and submit the financial statement",
        start=closing_meeting_on,
        due=deadline.due,
        explanation=deadline.explanation,
        responsible_role="specialist",
        responsible_user_id=specialist_id,
        supplier_id=supplier_id,
    )


def statement_approval(
    *,
    case_id: str,
    delivery_id: str,
    received_on: date,
    consultant_id: str,
    supplier_id: str,
    calendar: WorkingDayCalendar,
    working_days: int,
) -> DeadlineSpec:
    """The consultant approves the financial statement within working days after receiving it."""
    deadline = calendar.explain_working_days(received_on, working_days)
    return DeadlineSpec(
        deadline_id=f"{delivery_id}:statement_approval",
        case_id=case_id,
        rule=STATEMENT_APPROVAL,
        rule_text="check the case and approve the financial statement",
        start=received_on,
        due=deadline.due,
        explanation=deadline.explanation,
        responsible_role="consultant",
        responsible_user_id=consultant_id,
        supplier_id=supplier_id,
    )


COURSE_DURATION = "leverance.course_duration"
AGREEMENT_PROPOSAL = "leverance.agreement_proposal"


def course_duration(
    *,
    case_id: str,
    clarifying_meeting_on: date,
    months: int,
    specialist_id: str,
    supplier_id: str | None,
    calendar: WorkingDayCalendar,
    responsible_role: str = "specialist",
) -> DeadlineSpec:
    """The closing meeting is held within the service's limit after the clarifying meeting; on
    the coordinating specialist, or on the VISO user who delivers a central-unit course."""
    deadline = calendar.explain_months(clarifying_meeting_on, months)
    return DeadlineSpec(
        deadline_id=f"{case_id}:course_duration",
        case_id=case_id,
        rule=COURSE_DURATION,
        rule_text="hold the closing meeting within the course's duration limit (H 5.2.2)",
        start=clarifying_meeting_on,
        due=deadline.due,
        explanation=deadline.explanation,
        responsible_role=responsible_role,
        responsible_user_id=specialist_id,
        supplier_id=supplier_id,
    )


def agreement_proposal(
    *,
    case_id: str,
    delivery_id: str,
    summary_note_sent_on: date,
    days: int,
    specialist_id: str,
    supplier_id: str,
    calendar: WorkingDayCalendar,
) -> DeadlineSpec:
    """The specialist proposes the agreement within days after sending the summary note."""
    deadline = calendar.explain_calendar_days(summary_note_sent_on, days, roll_to_working_day=True)
    return DeadlineSpec(
        deadline_id=f"{delivery_id}:agreement_proposal",
        case_id=case_id,
        rule=AGREEMENT_PROPOSAL,
        rule_text="propose the delivery agreement (H 5.1.3)",
        start=summary_note_sent_on,
        due=deadline.due,
        explanation=deadline.explanation,
        responsible_role="specialist",
        responsible_user_id=specialist_id,
        supplier_id=supplier_id,
    )


ANCHORING_AGENDA = "leverance.anchoring_agenda"


def anchoring_agenda(
    *,
    case_id: str,
    activity_id: str,
    booked_on: date,
    meeting_on: date,
    days_before: int,
    specialist_id: str,
    supplier_id: str,
    calendar: WorkingDayCalendar,
) -> DeadlineSpec:
    """The agenda and anchoring-plan template reach the coordinator a week before the meeting.

    The last day is the working day on or before `days_before` days ahead of the meeting.
    """
    due = meeting_on - timedelta(days=days_before)
    skipped = []
    while not calendar.is_working_day(due):
        skipped.append(f"{due.isoformat()} ({calendar.closing_reason(due)})")
        due -= timedelta(days=1)
    explanation = (
        f"{days_before} calendar days before the anchoring meeting {meeting_on.isoformat()}"
    )
    explanation += (
        f" is {due.isoformat()}"
        if not skipped
        else (f", moved back past {', '.join(skipped)} to the working day {due.isoformat()}")
    )
    return DeadlineSpec(
        deadline_id=f"{case_id}:anchoring_agenda:{activity_id}",
        case_id=case_id,
        rule=ANCHORING_AGENDA,
        rule_text="send the agenda and anchoring-plan template to the coordinator (H 5.4)",
        start=booked_on,
        due=due,
        explanation=explanation + " (H 5.4)",
        responsible_role="specialist",
        responsible_user_id=specialist_id,
        supplier_id=supplier_id,
    )


CENTRAL_COURSE_CLOSING = "leverance.central_course_closing"


def central_course_closing(
    *,
    case_id: str,
    closing_meeting_on: date,
    consultant_id: str,
    calendar: WorkingDayCalendar,
    working_days: int,
) -> DeadlineSpec:
    """The consultant closes a course the central unit ran within working days after the
    closing meeting (as the specialist closes a delivery, H 5.3.3)."""
    deadline = calendar.explain_working_days(closing_meeting_on, working_days)
    return DeadlineSpec(
        deadline_id=f"{case_id}:central_course_closing",
        case_id=case_id,
        rule=CENTRAL_COURSE_CLOSING,
        rule_text="journal the last documents and close the course the central unit ran",
        start=closing_meeting_on,
        due=deadline.due,
        explanation=deadline.explanation,
        responsible_role="consultant",
        responsible_user_id=consultant_id,
        supplier_id=None,
    )
