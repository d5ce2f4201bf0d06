"""The satisfaction survey (H 5.3.3, AR 6.1): sent to the recipient of the advice when a
`single_case` or `group_course` is finally closed, answered on the reference scales, summarised
per year and main area for the statistics."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from importlib import resources
from itertools import combinations
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from pymongo import ASCENDING, DESCENDING

from services.contracts.common import MainArea
from services.contracts.leverance import SatisfactionSurveyRequested
from services.contracts.notifications import SatisfactionSurveyAnswered, SurveyAnswer
from services.kernel.auth import load_signing_key
from services.kernel.bounds import check_year
from services.kernel.consumer import EventHandler
from services.kernel.context import VISO_STAFF, require_role
from services.kernel.envelope import Envelope, utcnow
from services.kernel.errors import FieldViolation, IllegalTransition, InvalidInput, NotFound
from services.kernel.grpc_server import Registration
from services.kernel.paging import Paging, page_size
from services.kernel.proto import timestamp
from services.kernel.settings import Settings
from services.kernel.store import Aggregate, MongoStore, Repository, Transaction
from services.notifications.delivery import domain as delivery
from services.notifications.delivery import handlers as outbound
from services.notifications.letters import letters
from services.notifications.survey_page.links import SurveyLinks, link_key
from vias.notifications.v1 import surveys_pb2 as pb
from vias.notifications.v1 import surveys_pb2_grpc

DEFAULT_FILE = "satisfaction_survey.json"
DANISH_TIME = ZoneInfo("Europe/Copenhagen")
MAX_LIMIT = 500
MAX_ANSWERS = 100
SurveyStatus = Literal["sent", "unsent", "answered"]


DEFAULT_SURVEY_WEB_PORT = 8085


class SurveySettings(BaseSettings):
    """The survey's questions and its page (`VIAS_NOTIFICATIONS_*`)."""

    model_config = SettingsConfigDict(env_prefix="VIAS_NOTIFICATIONS_", extra="ignore")

    survey_file: Path | None = Field(
        default=None, description="The survey's questions and scales; default: the shipped file."
    )
    survey_web_host: str | None = Field(
        default=None, description="The address the survey page binds to; default: VIAS_GRPC_HOST."
    )
    survey_web_port: int = Field(default=DEFAULT_SURVEY_WEB_PORT, ge=0, le=65535)
    survey_base_url: str | None = Field(
        default=None,
        description="The survey page's address as recipients reach it, e.g. "
        "https://tilfredshed.viso.dk; default: http://<host>:<port> of the page itself.",
    )
    survey_link_validity_days: int = Field(
        default=60, ge=1, description="How long after a survey was recorded its link works."
    )

    def web_host(self, settings: Settings) -> str:
        """The address the page binds to."""
        return self.survey_web_host or settings.grpc_host

    def base_url(self, settings: Settings) -> str:
        """The page's address in the links."""
        if self.survey_base_url:
            return self.survey_base_url
        host = self.web_host(settings)
        host = "127.0.0.1" if host in ("", "0.0.0.0") else host
        return f"http://{host}:{self.survey_web_port}"

    def links(self, settings: Settings) -> SurveyLinks:
        """The links' maker and checker, with a key derived from the platform's signing key."""
        return SurveyLinks(
            key=link_key(load_signing_key(settings)),
            base_url=self.base_url(settings),
            validity=timedelta(days=self.survey_link_validity_days),
        )


# --- reference data ---------------------------------------------------------------------------


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AnswerOption(_Value):
    """One step of an answer scale."""

    id: str
    label: str


class Question(_Value):
    """One question and the options it is answered with."""

    id: str
    text: str
    scale: str
    options: tuple[AnswerOption, ...]

    def option(self, answer: str) -> AnswerOption | None:
        """The option with this id, if the scale has it."""
        return next((o for o in self.options if o.id == answer), None)


def read_questions(document: Mapping[str, Any]) -> tuple[Question, ...]:
    """The questions of a survey document, each with its scale's options resolved."""
    scales = {
        name: tuple(AnswerOption.model_validate(o) for o in options)
        for name, options in document["scales"].items()
    }
    questions = tuple(
        Question(id=q["id"], text=q["text"], scale=q["scale"], options=scales[q["scale"]])
        for q in document["questions"]
    )
    if not questions or len({q.id for q in questions}) != len(questions):
        raise ValueError("the survey needs questions with distinct ids")
    return questions


def load_questions(path: Path | None = None) -> tuple[Question, ...]:
    """The survey's questions from a file (default: the reference data shipped here)."""
    if path is not None:
        text = path.read_text(encoding="utf-8")
    else:
        text = (resources.files("services.notifications") / DEFAULT_FILE).read_text("utf-8")
    return read_questions(json.loads(text))


# --- the survey -------------------------------------------------------------------------------


class Recipient(_Value):
    """Who the survey goes to: the inquirer, as the receipt letter named them."""

    name: str
    email: str = ""


class Answer(_Value):
    """The option chosen for one question."""

    question_id: str
    answer: str


class Survey(Aggregate):
    """The satisfaction survey of one closed course (id = case id)."""

    case_id: str
    inquiry_id: str
    service: str
    main_area: MainArea
    year: int
    consultant_id: str
    supplier_ids: tuple[str, ...]
    status: SurveyStatus
    recipient: Recipient | None
    questions: tuple[Question, ...]
    answers: tuple[Answer, ...] = ()
    created_at: datetime
    answered_at: datetime | None = None
    source_event_id: str


def new_survey(
    event: SatisfactionSurveyRequested,
    *,
    recipient: Recipient | None,
    questions: tuple[Question, ...],
    source_event_id: str,
    now: datetime,
) -> Survey:
    """The survey of a closed course; unsent while no recipient is known."""
    return Survey(
        id=event.case_id,
        case_id=event.case_id,
        inquiry_id=event.inquiry_id,
        service=event.service,
        main_area=event.main_area,
        year=event.closed_at.astimezone(DANISH_TIME).year,
        consultant_id=event.consultant_id,
        supplier_ids=tuple(event.supplier_ids),
        status="unsent" if recipient is None else "sent",
        recipient=recipient,
        questions=questions,
        created_at=now,
        source_event_id=source_event_id,
    )


def answer_survey(survey: Survey, answers: Sequence[Answer], *, now: datetime) -> Survey:
    """Record the recipient's answer: every question once, on its scale; only once."""
    if survey.status == "answered":
        raise IllegalTransition(f"survey {survey.id} was already answered")
    by_id = {q.id: q for q in survey.questions}
    violations: list[FieldViolation] = []
    seen: set[str] = set()
    for index, given in enumerate(answers):
        question = by_id.get(given.question_id)
        if question is None:
            violations.append(FieldViolation(f"answers.{index}.question_id", "no such question"))
        elif given.question_id in seen:
            violations.append(FieldViolation(f"answers.{index}.question_id", "answered twice"))
        elif question.option(given.answer) is None:
            allowed = ", ".join(o.id for o in question.options)
            violations.append(FieldViolation(f"answers.{index}.answer", f"one of: {allowed}"))
        seen.add(given.question_id)
    for question in survey.questions:
        if question.id not in seen:
            violations.append(FieldViolation("answers", f"question {question.id} not answered"))
    if violations:
        raise InvalidInput(violations)
    order = {q.id: i for i, q in enumerate(survey.questions)}
    ordered = tuple(sorted(answers, key=lambda a: order[a.question_id]))
    return survey.model_copy(update={"status": "answered", "answers": ordered, "answered_at": now})


@dataclass(frozen=True)
class OptionCount:
    """How many chose one option, and its share of the question's answers."""

    option: AnswerOption
    count: int
    percent: Decimal


@dataclass(frozen=True)
class QuestionSummary:
    """The distribution of one question's answers."""

    question: Question
    options: tuple[OptionCount, ...]


@dataclass(frozen=True)
class AreaSummary:
    """One main area's surveys in a year: response rate and distributions."""

    main_area: str
    surveys: int
    sent: int
    answered: int
    response_rate_percent: Decimal
    questions: tuple[QuestionSummary, ...]


def percent(part: int, whole: int) -> Decimal:
    """part / whole in percent with one decimal; 0.0 of nothing."""
    if whole == 0:
        return Decimal("0.0")
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def summarize(surveys: Sequence[Survey], questions: tuple[Question, ...]) -> list[AreaSummary]:
    """Per main area: surveys, sent, answered, response rate, and each question's distribution."""
    summaries = []
    for area in sorted({s.main_area for s in surveys}):
        in_area = [s for s in surveys if s.main_area == area]
        answered = [s for s in in_area if s.status == "answered"]
        sent = [s for s in in_area if s.status != "unsent"]
        per_question = []
        for question in questions:
            chosen = [a.answer for s in answered for a in s.answers if a.question_id == question.id]
            counts = tuple(
                OptionCount(o, chosen.count(o.id), percent(chosen.count(o.id), len(chosen)))
                for o in question.options
            )
            per_question.append(QuestionSummary(question, counts))
        summaries.append(
            AreaSummary(
                main_area=area,
                surveys=len(in_area),
                sent=len(sent),
                answered=len(answered),
                response_rate_percent=percent(len(answered), len(sent)),
                questions=tuple(per_question),
            )
        )
    return summaries


def answered_event(survey: Survey) -> SatisfactionSurveyAnswered:
    """The event of an answered survey: its answers, no names."""
    return SatisfactionSurveyAnswered(
        case_id=survey.case_id,
        service=survey.service,
        main_area=survey.main_area,
        year=survey.year,
        answers=[SurveyAnswer(question_id=a.question_id, answer=a.answer) for a in survey.answers],
        answered_at=survey.answered_at or utcnow(),
    )


# --- use cases --------------------------------------------------------------------------------

surveys = Repository(Survey, "surveys")
ORDER = (("created_at", DESCENDING), ("_id", ASCENDING))


async def _inquirer(tx: Transaction, inquiry_id: str) -> Recipient | None:
    """The inquirer the receipt letter went to, if notifications recorded one."""
    query = {"inquiry_id": inquiry_id, "letter_kind": "receipt", "recipient.role": "inquirer"}
    doc = await tx.find_one(letters.collection, query)
    if doc is None:
        return None
    letter = letters.from_doc(doc)
    return Recipient(name=letter.recipient.name, email=letter.recipient.email)


def invitation(
    survey: Survey, *, url: str, event_id: str, now: datetime, send_within: timedelta
) -> delivery.Delivery:
    """The survey's invitation to the inquirer by e-mail, carrying the survey page's signed,
    single-use link; without an e-mail address it is Team Support's task at once."""
    recipient = survey.recipient or Recipient(name="henvender")
    return delivery.queue(
        f"{event_id}:survey",
        message_kind="survey_invitation",
        inquiry_id=survey.inquiry_id,
        case_id=survey.case_id,
        consultant_id=survey.consultant_id,
        recipient=delivery.Recipient(name=recipient.name, role="inquirer", email=recipient.email),
        subject="Tilfredshedsundersøgelse fra VISO",
        body=(
            f"Kære {recipient.name}\n\nTak fordi I har brugt VISO. Vi vil gerne høre, hvad I "
            "synes om rådgivningsforløbet. Besvar tilfredshedsundersøgelsen her (linket kan "
            f"bruges én gang):\n\n{url}\n\nMed venlig hilsen\nVISO"
        ),
        now=now,
        send_within=send_within,
        source_event_id=event_id,
        channels=["email"] if recipient.email else [],
    )


async def record_survey(
    tx: Transaction,
    envelope: Envelope,
    *,
    questions: tuple[Question, ...],
    links: Callable[[], SurveyLinks] | None = None,
    send_within: timedelta = timedelta(hours=48),
) -> None:
    """Record (send) the survey of a closed course, once per course, and queue its invitation
    in the same transaction."""
    event = envelope.payload_as(SatisfactionSurveyRequested)
    if await surveys.get(tx, event.case_id) is not None:
        return
    now = utcnow()
    survey = new_survey(
        event,
        recipient=await _inquirer(tx, event.inquiry_id),
        questions=questions,
        source_event_id=envelope.event_id,
        now=now,
    )
    stored = await surveys.add(tx, survey)
    if links is not None:
        url = links().url(stored.id, stored.created_at)
        made = invitation(
            stored, url=url, event_id=envelope.event_id, now=now, send_within=send_within
        )
        await outbound.enqueue(tx, made, now)


def handlers(
    questions: tuple[Question, ...],
    links: Callable[[], SurveyLinks] | None = None,
    send_within: timedelta = timedelta(hours=48),
) -> dict[str, EventHandler]:
    """The events the survey sender consumes (with the page's links, it sends invitations)."""
    handle = partial(record_survey, questions=questions, links=links, send_within=send_within)
    return {"SatisfactionSurveyRequested": handle}


async def answer(store: MongoStore, survey_id: str, answers: Sequence[Answer]) -> Survey:
    """Record the answer in one transaction."""

    async def work(tx: Transaction) -> Survey:
        found = await surveys.get(tx, survey_id)
        if found is None:
            raise NotFound("survey", survey_id)
        answered = answer_survey(found, answers, now=utcnow())
        tx.emit(answered_event(answered))
        return await surveys.save(tx, answered, expected_version=found.version)

    return await store.transact(work)


async def create_indexes(store: MongoStore) -> None:
    """Surveys per year (the summary) and the list in its order under each combination of
    its filters (a case has one survey: its own index serves every filter with it)."""
    collection = store.db[surveys.collection]
    await collection.create_index([("year", ASCENDING)])
    await collection.create_index([("case_id", ASCENDING)])
    filters = ("year", "main_area", "status")
    for n in range(len(filters) + 1):
        for equal in combinations(filters, n):
            await collection.create_index([*((f, ASCENDING) for f in equal), *ORDER])


# --- gRPC -------------------------------------------------------------------------------------


def _question(question: Question) -> pb.SurveyQuestion:
    return pb.SurveyQuestion(
        question_id=question.id,
        text=question.text,
        scale=question.scale,
        options=[pb.AnswerOption(id=o.id, label=o.label) for o in question.options],
    )


def to_proto(survey: Survey, links: SurveyLinks) -> pb.Survey:
    """The wire form of a survey, with the recipient's link while it is unanswered."""
    unanswered = survey.status != "answered"
    return pb.Survey(
        survey_id=survey.id,
        case_id=survey.case_id,
        inquiry_id=survey.inquiry_id,
        service=survey.service,
        main_area=survey.main_area,
        year=survey.year,
        consultant_id=survey.consultant_id,
        supplier_ids=list(survey.supplier_ids),
        status=survey.status,
        recipient_name=survey.recipient.name if survey.recipient else "",
        recipient_email=survey.recipient.email if survey.recipient else "",
        questions=[_question(q) for q in survey.questions],
        answers=[
            pb.SurveyAnswer(question_id=a.question_id, answer=a.answer) for a in survey.answers
        ],
        created_at=timestamp(survey.created_at),
        answered_at=timestamp(survey.answered_at) if survey.answered_at else None,
        answer_url=links.url(survey.id, survey.created_at) if unanswered else "",
        answer_url_expires_at=(
            timestamp(links.expires_at(survey.created_at)) if unanswered else None
        ),
    )


def summary_to_proto(year: int, areas: Sequence[AreaSummary]) -> pb.SurveySummary:
    """The wire form of a year's summary."""
    return pb.SurveySummary(
        year=year,
        areas=[
            pb.AreaSurveySummary(
                main_area=a.main_area,
                surveys=a.surveys,
                sent=a.sent,
                answered=a.answered,
                response_rate_percent=str(a.response_rate_percent),
                questions=[
                    pb.QuestionSummary(
                        question_id=q.question.id,
                        text=q.question.text,
                        options=[
                            pb.OptionCount(
                                id=c.option.id,
                                label=c.option.label,
                                count=c.count,
                                percent=str(c.percent),
                            )
                            for c in q.options
                        ],
                    )
                    for q in a.questions
                ],
            )
            for a in areas
        ],
    )


class SurveysApi(surveys_pb2_grpc.SurveysServiceServicer):
    """SurveysService: list, read, answer and summarise satisfaction surveys."""

    def __init__(
        self, store: MongoStore, questions: tuple[Question, ...], links: SurveyLinks
    ) -> None:
        self.store = store
        self.questions = questions
        self.links = links

    async def ListSurveys(self, request: Any, context: Any) -> pb.ListSurveysResponse:
        require_role(*VISO_STAFF)
        if not 0 <= request.limit <= MAX_LIMIT:
            raise InvalidInput.single("limit", f"must be between 0 and {MAX_LIMIT}")
        query: dict[str, Any] = {}
        for name in ("case_id", "main_area", "status"):
            if getattr(request, name):
                query[name] = getattr(request, name)
        if request.year:
            query["year"] = check_year(request.year)
        found, following = await Paging(ORDER, query).aggregates(
            surveys,
            self.store.db,
            query,
            size=page_size(request.page_size or request.limit),
            token=request.page_token,
        )
        return pb.ListSurveysResponse(
            surveys=[to_proto(s, self.links) for s in found], next_page_token=following
        )

    async def GetSurvey(self, request: Any, context: Any) -> pb.Survey:
        require_role(*VISO_STAFF)
        found = await surveys.read(self.store.db, request.survey_id)
        if found is None:
            raise NotFound("survey", request.survey_id)
        return to_proto(found, self.links)

    async def AnswerSurvey(self, request: Any, context: Any) -> pb.Survey:
        require_role(*VISO_STAFF)
        if not request.survey_id:
            raise InvalidInput.single("survey_id", "required")
        if len(request.answers) > MAX_ANSWERS:
            raise InvalidInput.single("answers", f"at most {MAX_ANSWERS}, one per question")
        given = [Answer(question_id=a.question_id, answer=a.answer) for a in request.answers]
        return to_proto(await answer(self.store, request.survey_id, given), self.links)

    async def GetSurveySummary(self, request: Any, context: Any) -> pb.SurveySummary:
        require_role(*VISO_STAFF)
        query: dict[str, Any] = {"year": check_year(request.year)}
        if request.main_area:
            query["main_area"] = request.main_area
        cursor = self.store.db[surveys.collection].find(query)
        found = [surveys.from_doc(doc) async for doc in cursor]
        return summary_to_proto(request.year, summarize(found, self.questions))


def registrations(
    store: MongoStore, questions: tuple[Question, ...], links: SurveyLinks
) -> list[Registration]:
    """The surveys servicer."""
    return [
        (
            surveys_pb2_grpc.add_SurveysServiceServicer_to_server,
            SurveysApi(store, questions, links),
            pb.DESCRIPTOR.services_by_name["SurveysService"].full_name,
        )
    ]


def questions_from_settings() -> tuple[Question, ...]:
    """The survey's questions, from the configured file or the shipped reference data."""
    return load_questions(SurveySettings().survey_file)
