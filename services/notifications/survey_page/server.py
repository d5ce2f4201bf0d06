"""The survey page's web server (aiohttp), run inside notifications' process.

`GET /survey/<token>` shows the form, `POST /survey/<token>` records the answer through the
same use case as AnswerSurvey: one transaction that marks the survey answered, so a link is
used once, however often or at once it is submitted. The signed token in the form's address
is what a forged form would need, so it is its own protection against cross-site posts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from services.kernel.envelope import utcnow
from services.kernel.errors import ConcurrencyConflict, IllegalTransition, NotFound
from services.kernel.store import MongoStore
from services.notifications.survey_page import views
from services.notifications.survey_page.links import LinkExpired, LinkRefused, SurveyLinks
from services.notifications.surveys import Answer, Survey, answer, surveys

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 16 * 1024
LINKS: web.AppKey[SurveyLinks] = web.AppKey("links", SurveyLinks)
STORE: web.AppKey[MongoStore] = web.AppKey("store", MongoStore)
HEADERS = {
    "Content-Security-Policy": views.CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
"""The address holds the token: never cached, never sent on as a referrer."""
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _response(page: views.Page) -> web.Response:
    return web.Response(
        status=page.status, text=page.html, content_type="text/html", charset="utf-8"
    )


def _message(message: views.Message) -> web.Response:
    return _response(views.message_page(message))


@web.middleware
async def _pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Danish pages for unknown addresses and failures, and the headers on every answer."""
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = _message(views.PAGE_NOT_FOUND)
    except web.HTTPException as refused:
        response = web.Response(status=refused.status, text=refused.reason)
    except Exception:
        log.exception("survey page failed on %s", request.method)
        response = _message(views.FAILURE)
    response.headers.update(HEADERS)
    return response


async def _open(request: web.Request) -> Survey | web.Response:
    """The survey the request's link names, or the page refusing the link."""
    try:
        survey_id = request.app[LINKS].verify(request.match_info["token"], now=utcnow())
    except LinkExpired:
        return _message(views.EXPIRED)
    except LinkRefused:
        return _message(views.INVALID_LINK)
    found = await surveys.read(request.app[STORE].db, survey_id)
    if found is None:
        return _message(views.NOT_FOUND)
    if found.status == "answered":
        return _message(views.ALREADY_ANSWERED)
    return found


async def show(request: web.Request) -> web.Response:
    """The form of the survey the link names."""
    opened = await _open(request)
    if isinstance(opened, web.Response):
        return opened
    return _response(views.form_page(opened.questions, action=request.path))


async def submit(request: web.Request) -> web.Response:
    """Record the submitted answer once; the form again, marked, when something is missing."""
    opened = await _open(request)
    if isinstance(opened, web.Response):
        return opened
    form = await request.post()
    chosen = views.choices(opened.questions, {k: v for k, v in form.items() if isinstance(v, str)})
    missing = [q for q in opened.questions if q.id not in chosen]
    if missing:
        page = views.form_page(
            opened.questions, action=request.path, chosen=chosen, missing=missing
        )
        return _response(page)
    given = [Answer(question_id=q, answer=a) for q, a in chosen.items()]
    try:
        await answer(request.app[STORE], opened.id, given)
    except (IllegalTransition, ConcurrencyConflict):
        return _message(views.ALREADY_ANSWERED)
    except NotFound:
        return _message(views.NOT_FOUND)
    log.info("survey %s answered on the survey page", opened.id)
    return _message(views.THANKS)


def build_app(store: MongoStore, links: SurveyLinks) -> web.Application:
    """The survey page's application."""
    app = web.Application(middlewares=[_pages], client_max_size=MAX_FORM_BYTES)
    app[STORE] = store
    app[LINKS] = links
    app.router.add_get("/survey/{token}", show)
    app.router.add_post("/survey/{token}", submit)
    return app


async def serve(app: web.Application, host: str, port: int) -> None:
    """Serve `app` on host:port until cancelled."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError:
            log.exception("survey page cannot listen on %s:%d", host, port)
            raise
        log.info("survey page serving on http://%s:%d/survey/", host, port)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
