"""The survey page's link and HTML: a token names one survey until it expires and is refused
when changed; the form is Danish, labelled, keyboard-ready and needs no script."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from services.kernel.settings import Settings
from services.notifications import surveys
from services.notifications.survey_page import views
from services.notifications.survey_page.links import (
    LinkExpired,
    LinkRefused,
    SurveyLinks,
    link_key,
)

QUESTIONS = surveys.load_questions()
CREATED = datetime(2026, 11, 2, 10, 0, 0, 123456, tzinfo=UTC)
LINKS = SurveyLinks(
    key=link_key(b"platform signing key"),
    base_url="https://tilfredshed.example.dk/",
    validity=timedelta(days=60),
)
SURVEY_ID = "0b9d3c1e-5a7f-4f0e-9a51-2d6b7c8e9f10"


def token() -> str:
    return LINKS.token(SURVEY_ID, LINKS.expires_at(CREATED))


# --- the link ---------------------------------------------------------------------------------


def test_a_link_names_its_survey_until_it_expires() -> None:
    url = LINKS.url(SURVEY_ID, CREATED)
    assert url == f"https://tilfredshed.example.dk/survey/{token()}"
    assert LINKS.expires_at(CREATED) == datetime(2027, 1, 1, 10, 0, tzinfo=UTC)
    assert LINKS.verify(token(), now=CREATED) == SURVEY_ID
    just_before = LINKS.expires_at(CREATED) - timedelta(seconds=1)
    assert LINKS.verify(token(), now=just_before) == SURVEY_ID
    with pytest.raises(LinkExpired):
        LINKS.verify(token(), now=LINKS.expires_at(CREATED))


def test_the_same_survey_always_gets_the_same_link() -> None:
    assert LINKS.url(SURVEY_ID, CREATED) == LINKS.url(SURVEY_ID, CREATED)
    assert LINKS.url(SURVEY_ID, CREATED) != LINKS.url("another", CREATED)


def _flip(text: str, index: int) -> str:
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


@pytest.mark.parametrize("part", [0, 1, 2])
def test_changing_any_part_of_a_token_is_refused(part: int) -> None:
    pieces = token().split(".")
    if part == 1:
        pieces[1] = str(int(pieces[1]) + 86_400)  # a later expiry
    else:
        pieces[part] = _flip(pieces[part], 0)
    with pytest.raises(LinkRefused) as refused:
        LINKS.verify(".".join(pieces), now=CREATED)
    assert not isinstance(refused.value, LinkExpired)


def test_another_surveys_id_under_a_valid_signature_is_refused() -> None:
    _, expiry, signature = token().split(".")
    other = base64.urlsafe_b64encode(b"another-survey").rstrip(b"=").decode()
    with pytest.raises(LinkRefused):
        LINKS.verify(f"{other}.{expiry}.{signature}", now=CREATED)


@pytest.mark.parametrize(
    "bad",
    ["", "abc", "a.b.c", "a..b", "x" * 600, f"{'é'}.1.{'A' * 43}", "a.1." + "A" * 43 + "!"],
)
def test_malformed_tokens_are_refused(bad: str) -> None:
    with pytest.raises(LinkRefused):
        LINKS.verify(bad, now=CREATED)


def test_an_expired_token_is_told_apart_only_once_its_signature_holds() -> None:
    late = CREATED + timedelta(days=61)
    with pytest.raises(LinkExpired):
        LINKS.verify(token(), now=late)
    forged = token()[:-1] + ("A" if token()[-1] != "A" else "B")
    with pytest.raises(LinkRefused) as refused:
        LINKS.verify(forged, now=late)
    assert not isinstance(refused.value, LinkExpired)


def test_a_link_made_with_another_key_is_refused() -> None:
    other = SurveyLinks(link_key(b"another key"), LINKS.base_url, LINKS.validity)
    with pytest.raises(LinkRefused):
        other.verify(token(), now=CREATED)


def test_the_link_key_is_not_the_signing_key() -> None:
    assert link_key(b"k") != b"k" and len(link_key(b"k")) == 32


def test_settings_give_the_page_address_and_validity() -> None:
    settings = Settings(auth_signing_key="secret", grpc_host="0.0.0.0")
    page = surveys.SurveySettings(survey_web_port=8123, survey_link_validity_days=30)
    links = page.links(settings)
    assert links.base_url == "http://127.0.0.1:8123"
    assert links.validity == timedelta(days=30)
    assert links.key == link_key(b"secret")
    public = surveys.SurveySettings(survey_base_url="https://tilfredshed.viso.dk")
    assert (
        public.links(settings).url("s", CREATED).startswith("https://tilfredshed.viso.dk/survey/")
    )


# --- the HTML ---------------------------------------------------------------------------------


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside labels and legends."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.texts: dict[str, list[str]] = {"label": [], "legend": [], "h1": [], "title": []}
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] in self.texts and data.strip():
            self.texts[self._open[-1]].append(" ".join(data.split()))

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]


def test_the_form_is_danish_and_asks_every_question_on_its_scale() -> None:
    page = views.form_page(QUESTIONS, action="/survey/t")
    assert page.status == 200
    found = Elements(page.html)
    assert found.all("html") == [{"lang": "da"}]
    assert found.texts["h1"] == ["Tilfredshedsundersøgelse"]
    assert found.texts["legend"] == [f"{i}. {q.text}" for i, q in enumerate(QUESTIONS, 1)]
    assert len(found.all("fieldset")) == len(QUESTIONS)
    [form] = found.all("form")
    assert form == {"method": "post", "action": "/survey/t"}
    labels = [o.label for q in QUESTIONS for o in q.options]
    assert found.texts["label"] == labels
    assert labels[:4] == ["I meget høj grad", "I høj grad", "I lav grad", "I meget lav grad"]
    assert labels[-2:] == ["Ja", "Nej"]
    assert "Ville du anbefale VISO til andre" in found.texts["legend"][-1]
    assert [b.get("type") for b in found.all("button")] == ["submit"]


def test_every_radio_button_has_its_own_label_and_is_grouped_by_question() -> None:
    found = Elements(views.form_page(QUESTIONS, action="/survey/t").html)
    radios = found.all("input")
    label_for = [label["for"] for label in found.all("label")]
    assert [r["id"] for r in radios] == label_for
    assert len(set(label_for)) == len(label_for)
    assert all(r["type"] == "radio" and "required" in r for r in radios)
    expected = [(q.id, o.id) for q in QUESTIONS for o in q.options]
    assert [(r["name"], r["value"]) for r in radios] == expected
    assert not any("tabindex" in attrs for _, attrs in found.tags)


def test_the_page_needs_no_script_and_allows_none() -> None:
    html = views.form_page(QUESTIONS, action="/survey/t").html
    found = Elements(html)
    assert not found.all("script")
    assert not re.search(r"\son[a-z]+=", html)
    assert "script-src" not in views.CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in views.CONTENT_SECURITY_POLICY
    [style] = re.findall(r"<style>(.*?)</style>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in views.CONTENT_SECURITY_POLICY


def test_an_incomplete_answer_shows_the_form_again_with_what_is_missing() -> None:
    chosen = views.choices(
        QUESTIONS, {"overall_satisfaction": "high", "understood_context": "maybe", "x": "y"}
    )
    assert chosen == {"overall_satisfaction": "high"}
    missing = [q for q in QUESTIONS if q.id not in chosen]
    page = views.form_page(QUESTIONS, action="/survey/t", chosen=chosen, missing=missing)
    assert page.status == 400
    found = Elements(page.html)
    [alert] = [a for _, a in found.tags if a.get("role") == "alert"]
    assert alert["aria-labelledby"] == "fejl-overskrift"
    assert "Du mangler at svare på 3 spørgsmål" in page.html
    links = [a["href"] for a in found.all("a")]
    assert links == [f"#{q.id}-{q.options[0].id}" for q in missing]
    checked = [r["id"] for r in found.all("input") if "checked" in r]
    assert checked == ["overall_satisfaction-high"]
    described = [f["aria-describedby"] for f in found.all("fieldset") if "aria-describedby" in f]
    assert described == [f"{q.id}-fejl" for q in missing]


def test_text_from_the_survey_is_escaped() -> None:
    tricky = surveys.Question(
        id="q",
        text="<script>alert(1)</script>",
        scale="yes_no",
        options=(surveys.AnswerOption(id="yes", label="<b>Ja</b>"),),
    )
    html = views.form_page([tricky], action="/survey/t").html
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;Ja" in html


@pytest.mark.parametrize(
    ("message", "status", "title"),
    [
        (views.THANKS, 200, "Tak for dit svar"),
        (views.ALREADY_ANSWERED, 409, "Undersøgelsen er allerede besvaret"),
        (views.EXPIRED, 410, "Linket er udløbet"),
        (views.INVALID_LINK, 400, "Linket er ikke gyldigt"),
        (views.NOT_FOUND, 404, "Undersøgelsen findes ikke"),
    ],
)
def test_each_ending_has_its_own_clear_page(
    message: views.Message, status: int, title: str
) -> None:
    page = views.message_page(message)
    found = Elements(page.html)
    assert page.status == status
    assert found.texts["h1"] == [title]
    assert found.texts["title"] == [f"{title} – VISO"]
    assert found.all("html") == [{"lang": "da"}]
    assert not found.all("form") and not found.all("script")
