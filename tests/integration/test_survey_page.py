"""The survey page in a real browser: Debian's headless Chromium, driven by Playwright, with
JavaScript off. The recipient opens the link from the survey, answers with the keyboard alone
and submits; the answer is counted once, and a reused, changed or expired link is refused
with a clear page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, async_playwright

from services.kernel.envelope import utcnow
from services.notifications.survey_page.links import SurveyLinks, link_key
from tests.integration.test_surveys import sent_survey, surveys_stub
from tests.support import DEADLINE, Clients
from vias.notifications.v1 import surveys_pb2

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KEYS = {
    # question: the keys that answer it once the question's first option has the focus
    "overall_satisfaction": ["Space"],  # I meget høj grad
    "understood_context": ["Space", "ArrowDown"],  # I høj grad
    "positive_change": ["Space", "ArrowDown", "ArrowDown"],  # I lav grad
    "would_recommend": ["Space", "ArrowDown"],  # Nej
}
ANSWERS = {
    "overall_satisfaction": "very_high",
    "understood_context": "high",
    "positive_change": "low",
    "would_recommend": "no",
}


def chromium() -> str:
    """Debian's Chromium; the test fails, never skips, without it."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the survey page's browser test needs Debian's chromium "
            "package (scripts/bootstrap installs it as root with apt-get install chromium)"
        )
    return str(CHROMIUM)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless; never a browser Playwright downloads."""
    executable = chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def heading(page: Page) -> str:
    return (await page.locator("h1").inner_text()).strip()


async def focused(page: Page) -> str:
    return str(await page.evaluate("document.activeElement.id"))


async def summary(clients: Clients, survey: surveys_pb2.Survey) -> Any:
    """The summary of the survey's year and main area."""
    reply = await surveys_stub(clients).GetSurveySummary(
        surveys_pb2.GetSurveySummaryRequest(year=survey.year, main_area=survey.main_area),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    [area] = reply.areas
    return area


async def test_the_recipient_answers_once_with_the_keyboard_and_links_are_refused_after(
    clients: Clients, browser: Browser
) -> None:
    survey = await sent_survey(clients)
    url = survey.answer_url
    assert url.startswith(f"{clients.platform.web_url('notifications')}/survey/")
    before = await summary(clients, survey)
    context = await browser.new_context(java_script_enabled=False, locale="da-DK")
    page = await context.new_page()

    opened = await page.goto(url)
    assert opened is not None and opened.status == 200
    assert await page.get_attribute("html", "lang") == "da"
    assert await heading(page) == "Tilfredshedsundersøgelse"
    for question in survey.questions:
        group = page.get_by_role("group", name=question.text)
        for option in question.options:
            assert await group.get_by_label(option.label, exact=True).count() == 1

    for question in survey.questions:
        await page.keyboard.press("Tab")
        assert await focused(page) == f"{question.question_id}-{question.options[0].id}"
        for key in KEYS[question.question_id]:
            await page.keyboard.press(key)
        chosen = f"{question.question_id}-{ANSWERS[question.question_id]}"
        assert await focused(page) == chosen
        assert await page.locator(f"#{chosen}").is_checked()
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Send svar"
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert await heading(page) == "Tak for dit svar"

    answered = await surveys_stub(clients).GetSurvey(
        surveys_pb2.GetSurveyRequest(survey_id=survey.survey_id),
        metadata=clients.auth(),
        timeout=DEADLINE,
    )
    assert answered.status == "answered"
    assert {a.question_id: a.answer for a in answered.answers} == ANSWERS
    after = await summary(clients, survey)
    assert (after.answered, after.sent) == (before.answered + 1, before.sent)
    assert after.response_rate_percent == f"{100 * after.answered / after.sent:.1f}"

    # The link again: in the browser, and a second complete answer posted straight to it.
    again = await page.goto(url)
    assert again is not None and again.status == 409
    assert await heading(page) == "Undersøgelsen er allerede besvaret"
    assert await page.locator("form").count() == 0
    resubmitted = {**ANSWERS, "overall_satisfaction": "very_low"}
    async with aiohttp.ClientSession() as http, http.post(url, data=resubmitted) as reply:
        assert reply.status == 409
        assert "Undersøgelsen er allerede besvaret" in await reply.text()
    assert (await summary(clients, survey)).answered == after.answered

    # A changed link, a link to another survey under this one's signature, an expired link.
    base, token = url.rsplit("/", 1)
    encoded_id, expiry, signature = token.split(".")
    changed = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    later = str(int(expiry) + 86_400)
    for bad in (f"{encoded_id}.{expiry}.{changed}", f"{encoded_id}.{later}.{signature}", "x"):
        refused = await page.goto(f"{base}/{bad}")
        assert refused is not None and refused.status == 400
        assert await heading(page) == "Linket er ikke gyldigt"
        assert await page.locator("form").count() == 0
    link_signing = link_key(clients.platform.signing_key_file.read_text().strip().encode())
    links = SurveyLinks(
        link_signing, clients.platform.web_url("notifications") or "", timedelta(days=60)
    )
    expired = links.token(survey.survey_id, utcnow() - timedelta(seconds=1))
    gone = await page.goto(f"{base}/{expired}")
    assert gone is not None and gone.status == 410
    assert await heading(page) == "Linket er udløbet"
    await context.close()
