"""The satisfaction survey: reference questions, answers on the scale, summaries per area."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.contracts.leverance import SatisfactionSurveyRequested
from services.kernel.errors import IllegalTransition, InvalidInput
from services.notifications import surveys
from services.notifications.surveys import Answer, Recipient

QUESTIONS = surveys.load_questions()
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
FULL = {
    "overall_satisfaction": "very_high",
    "understood_context": "high",
    "positive_change": "low",
    "would_recommend": "yes",
}


def requested(case_id: str = "case-1", main_area: str = "adults") -> SatisfactionSurveyRequested:
    return SatisfactionSurveyRequested(
        case_id=case_id,
        inquiry_id="inq-1",
        service="single_case",
        main_area=main_area,
        consultant_id="consultant-1",
        supplier_ids=["sup-1"],
        closed_at=datetime(2025, 12, 31, 23, 30, tzinfo=UTC),  # 1 January 2026 in Denmark
    )


def survey(case_id: str = "case-1", main_area: str = "adults") -> surveys.Survey:
    return surveys.new_survey(
        requested(case_id, main_area),
        recipient=Recipient(name="Odense Kommune", email="a@odense.dk"),
        questions=QUESTIONS,
        source_event_id="e-1",
        now=NOW,
    )


def answers(**changes: str) -> list[Answer]:
    return [Answer(question_id=q, answer=a) for q, a in {**FULL, **changes}.items()]


def test_the_reference_data_holds_the_annual_reports_questions_and_scales() -> None:
    assert [q.id for q in QUESTIONS] == list(FULL)
    degree = [o.label for o in QUESTIONS[0].options]
    assert degree == ["I meget høj grad", "I høj grad", "I lav grad", "I meget lav grad"]
    assert [o.label for o in QUESTIONS[-1].options] == ["Ja", "Nej"]


def test_a_survey_belongs_to_the_danish_year_it_closed_in_and_is_unsent_without_recipient() -> None:
    assert survey().year == 2026 and survey().status == "sent"
    unsent = surveys.new_survey(
        requested(), recipient=None, questions=QUESTIONS, source_event_id="e", now=NOW
    )
    assert unsent.status == "unsent"


def test_an_answer_off_the_scale_unknown_or_missing_names_every_field() -> None:
    given = [
        Answer(question_id="overall_satisfaction", answer="somewhat"),
        Answer(question_id="wishes", answer="yes"),
        Answer(question_id="would_recommend", answer="very_high"),
    ]
    with pytest.raises(InvalidInput) as caught:
        surveys.answer_survey(survey(), given, now=NOW)
    assert {(v.field, v.description) for v in caught.value.violations} >= {
        ("answers", "question understood_context not answered"),
        ("answers", "question positive_change not answered"),
    }
    assert {v.field for v in caught.value.violations} == {
        "answers.0.answer",
        "answers.1.question_id",
        "answers.2.answer",
        "answers",
    }


def test_a_survey_is_answered_once() -> None:
    answered = surveys.answer_survey(survey(), answers(), now=NOW)
    assert answered.status == "answered" and answered.answered_at == NOW
    assert [a.question_id for a in answered.answers] == list(FULL)
    with pytest.raises(IllegalTransition):
        surveys.answer_survey(answered, answers(), now=NOW)


def test_the_summary_gives_the_response_rate_and_each_questions_distribution_per_area() -> None:
    adults = [
        surveys.answer_survey(survey("a1"), answers(), now=NOW),
        surveys.answer_survey(survey("a2"), answers(overall_satisfaction="high"), now=NOW),
        survey("a3"),
    ]
    unsent = surveys.new_survey(
        requested("a4"), recipient=None, questions=QUESTIONS, source_event_id="e", now=NOW
    )
    children = [survey("c1", main_area="children_youth")]
    [area_adults, area_children] = sorted(
        surveys.summarize([*adults, unsent, *children], QUESTIONS), key=lambda a: a.main_area
    )
    assert (area_adults.surveys, area_adults.sent, area_adults.answered) == (4, 3, 2)
    assert area_adults.response_rate_percent == Decimal("66.7")
    overall = area_adults.questions[0]
    assert [(c.option.id, c.count, c.percent) for c in overall.options] == [
        ("very_high", 1, Decimal("50.0")),
        ("high", 1, Decimal("50.0")),
        ("low", 0, Decimal("0.0")),
        ("very_low", 0, Decimal("0.0")),
    ]
    assert area_children.main_area == "children_youth"
    assert area_children.response_rate_percent == Decimal("0.0")
