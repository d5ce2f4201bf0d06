"""Intake's rules; no I/O."""

from services.intake.domain.consent import consent_violations
from services.intake.domain.deadlines import danish_date, report_missed
from services.intake.domain.distribution import is_distribution_day, next_distribution_day
from services.intake.domain.model import HeldFor, Inquiry, StoredCitizen
from services.intake.domain.procedures import close_contact, create_internal, register_contact
from services.intake.domain.registration import (
    OngoingCourse,
    add_supplement,
    assign,
    change_description,
    decide_ongoing_course,
    end_course,
    letters,
    put_on_list,
    register,
    withdraw_consent,
)
from services.intake.domain.screening import code_violations, screen

__all__ = [
    "HeldFor",
    "Inquiry",
    "OngoingCourse",
    "StoredCitizen",
    "add_supplement",
    "assign",
    "change_description",
    "close_contact",
    "code_violations",
    "consent_violations",
    "create_internal",
    "danish_date",
    "decide_ongoing_course",
    "end_course",
    "is_distribution_day",
    "letters",
    "next_distribution_day",
    "put_on_list",
    "register",
    "register_contact",
    "report_missed",
    "screen",
    "withdraw_consent",
]
