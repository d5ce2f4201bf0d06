"""The survey page's HTML, in Danish: the form, and one page for each way a visit can end.

Plain HTML forms, no script: radio buttons with their labels in a fieldset per question, the
question as its legend, so the page works with the keyboard alone (Tab between questions, the
arrow keys within one) and with a screen reader, and in a browser without JavaScript."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from services.notifications.surveys import AnswerOption, Question

FORM_TITLE = "Tilfredshedsundersøgelse"
STYLE = (
    "body{font-family:system-ui,sans-serif;font-size:1.125rem;line-height:1.5;margin:0;"
    "color:#1a1a1a;background:#fff}"
    "header,main{max-width:44rem;margin:0 auto;padding:0 1rem}"
    ".afsender{font-weight:600;border-bottom:1px solid #767676;padding:1rem 0}"
    "fieldset{border:1px solid #767676;border-radius:4px;margin:0 0 1.5rem;"
    "padding:0.5rem 1rem 1rem}"
    "legend{font-weight:600;padding:0 0.25rem}"
    ".valg{display:flex;align-items:center;gap:0.5rem;margin:0.5rem 0}"
    ".valg input{width:1.4rem;height:1.4rem;margin:0}"
    "button{font:inherit;font-weight:600;padding:0.6rem 1.5rem;border:2px solid #00437a;"
    "border-radius:4px;background:#00437a;color:#fff;cursor:pointer}"
    "a:focus-visible,input:focus-visible,button:focus-visible{outline:3px solid #c25400;"
    "outline-offset:3px}"
    ".fejl{border:3px solid #b00020;padding:0 1rem;margin:0 0 1.5rem}"
    ".mangler{border:3px solid #b00020}.fejltekst{color:#b00020;font-weight:600;margin:0.25rem 0}"
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
"""No script, no frames, no outside resources; forms post only to this page."""


@dataclass(frozen=True)
class Page:
    """A rendered page and the HTTP status it goes with."""

    status: int
    html: str


@dataclass(frozen=True)
class Message:
    """A page that only tells the visitor something."""

    status: int
    title: str
    paragraphs: tuple[str, ...]


THANKS = Message(
    200,
    "Tak for dit svar",
    (
        "Dit svar er modtaget. Tak, fordi du tog dig tid til at svare.",
        "VISO bruger svarene til at blive bedre til at rådgive. Du kan nu lukke siden.",
    ),
)
ALREADY_ANSWERED = Message(
    409,
    "Undersøgelsen er allerede besvaret",
    (
        "Der er allerede svaret på denne undersøgelse, og den kan kun besvares én gang.",
        "Du behøver ikke at gøre mere. Du kan lukke siden.",
    ),
)
EXPIRED = Message(
    410,
    "Linket er udløbet",
    (
        "Linket til undersøgelsen er ikke længere gyldigt, så der kan ikke længere svares.",
        "Kontakt VISO, hvis du gerne vil give din mening til kende.",
    ),
)
INVALID_LINK = Message(
    400,
    "Linket er ikke gyldigt",
    (
        "Linket til undersøgelsen er ikke gyldigt. Det kan være ændret eller kun delvist kopieret.",
        "Åbn linket direkte fra din invitation, eller kopiér hele linket.",
    ),
)
NOT_FOUND = Message(
    404,
    "Undersøgelsen findes ikke",
    (
        "Vi kan ikke finde undersøgelsen, som linket peger på.",
        "Kontakt VISO, hvis du mener, at det er en fejl.",
    ),
)
PAGE_NOT_FOUND = Message(
    404,
    "Siden findes ikke",
    ("Åbn undersøgelsen med linket i din invitation.",),
)
FAILURE = Message(
    500,
    "Der opstod en fejl",
    (
        "Dit svar kunne ikke gemmes lige nu. Prøv igen om lidt med linket i din invitation.",
        "Kontakt VISO, hvis fejlen bliver ved.",
    ),
)


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("services.notifications.survey_page", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["style"] = Markup(STYLE)
    environment.globals["field_id"] = field_id
    return environment


def field_id(question: Question, option: AnswerOption) -> str:
    """The id of one radio button: `<question id>-<option id>`."""
    return f"{question.id}-{option.id}"


def message_page(message: Message) -> Page:
    """A page telling the visitor `message`."""
    html = (
        _environment()
        .get_template("message.html.j2")
        .render(title=message.title, paragraphs=message.paragraphs)
    )
    return Page(message.status, html)


def form_page(
    questions: Sequence[Question],
    *,
    action: str,
    chosen: Mapping[str, str] | None = None,
    missing: Sequence[Question] = (),
) -> Page:
    """The survey form posting to `action`; with the visitor's earlier choices and the
    questions still unanswered (400) when a submitted form was incomplete."""
    html = (
        _environment()
        .get_template("form.html.j2")
        .render(
            title=FORM_TITLE,
            questions=questions,
            action=action,
            chosen=chosen or {},
            missing=list(missing),
        )
    )
    return Page(400 if missing else 200, html)


def choices(questions: Sequence[Question], form: Mapping[str, str]) -> dict[str, str]:
    """The options chosen in a submitted form, by question id; anything else is left out."""
    chosen = {}
    for question in questions:
        answer = form.get(question.id, "")
        if question.option(answer) is not None:
            chosen[question.id] = answer
    return chosen
