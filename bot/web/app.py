"""Routes of the console. Every change goes through the same store and service code as the CLI: an approval
is released with ``release_for_posting`` and posted through the outbox's claim -> post -> record path, so a
second click never posts twice. Mention texts are attacker-controlled: Jinja autoescape is on everywhere."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.adapters.store import Store
from bot.core.incident import InvalidTransition
from bot.core.models import IncidentState
from bot.core.replies import note_problem
from bot.entrypoints.labels import human_default, record
from bot.service import budget_left, incident_now, money_left, move_incident
from bot.settings import Settings
from bot.web.auth import Auth, agent, clean_name, csrf_ok, csrf_token

TEMPLATES = Path(__file__).parent / "templates"
Sender = Callable[[str, str], str]
"""(account code, mention id) -> outcome: posts one released reply through the bot's outbox."""


def create_app(settings: Settings, store: Store, send: Sender, auth: Auth, *, https_only: bool = False) -> Starlette:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))

    def page(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        values.update(agent=agent(request), csrf=csrf_token(request), accounts=settings.accounts)
        return HTMLResponse(env.get_template(name).render(**values), status_code=status)

    def login_required(handler: Callable[[Request], Response]) -> Callable[[Request], Any]:
        async def wrapped(request: Request) -> Response:
            if agent(request) is None:
                return RedirectResponse("/login", status_code=303)
            if request.method == "POST":
                form = await request.form()
                if not csrf_ok(request, form.get("csrf")):
                    return PlainTextResponse("the form is stale or forged (CSRF): reload the page", status_code=403)
                request.state.form = form
            return handler(request)

        return wrapped

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return page(request, "login.html")
        form = await request.form()
        if not csrf_ok(request, form.get("csrf")):
            return PlainTextResponse("the form is stale or forged (CSRF): reload the page", status_code=403)
        name = clean_name(str(form.get("name") or ""))
        if not name or not auth.check(str(form.get("token") or "")):
            return page(request, "login.html", status=401, error="name and token, please (the token is wrong)")
        request.session.clear()
        request.session["agent"] = name
        store.audit(name, "login", "-", datetime.now(UTC))
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    def overview(request: Request) -> Response:
        now = datetime.now(UTC)
        rows = []
        for account in settings.accounts:
            incident = incident_now(store, account.code, now, settings.limits.resolved_quiet_s)
            counts = store.counts(account.code)
            rows.append(
                {
                    "account": account,
                    "incident": incident,
                    "queue": store.queue_length(account.code),
                    "pending": counts.get("pending", 0),
                    "posted_24h": store.posts_since(account.code, now - timedelta(hours=24)),
                    "budget_left": budget_left(store, settings.limits, account, now),
                    "spent": settings.limits.budget_per_24h_usd - money_left(store, settings.limits, account.code, now),
                    "last_hour": store.decisions_since(account.code, now - timedelta(hours=1)),
                }
            )
        return page(request, "overview.html", rows=rows, states=[s.value for s in IncidentState])

    def queue(request: Request) -> Response:
        only = request.query_params.get("account") or None
        codes = {a.code for a in settings.accounts}
        rows = store.queue(only if only in codes else None)
        return page(request, "queue.html", rows=rows, only=only)

    def approve(request: Request) -> Response:
        mention_id = request.path_params["mention_id"]
        row = store.mention(mention_id)
        who = agent(request) or "?"
        if row is None:
            return PlainTextResponse("no such mention", status_code=404)
        now = datetime.now(UTC)
        if row["status"] not in ("awaiting_approval", "unsure") or not store.release_for_posting(mention_id, now):
            store.audit(who, "approve-refused", mention_id, now, f"status {row['status']}")
            return RedirectResponse("/queue?note=already", status_code=303)  # a second click posts nothing
        record(settings, store, row, human_default(row), None, "approve")
        outcome = send(row["account"], mention_id)
        store.audit(who, "approve", mention_id, now, outcome)
        return RedirectResponse(f"/queue?note={outcome}", status_code=303)

    def done(request: Request) -> Response:
        mention_id = request.path_params["mention_id"]
        row = store.mention(mention_id)
        if row is None:
            return PlainTextResponse("no such mention", status_code=404)
        now = datetime.now(UTC)
        store.mark_reviewed(mention_id, now, f"done in the console by {agent(request)}")
        record(settings, store, row, "ignore", None, "done")
        store.audit(agent(request) or "?", "done", mention_id, now)
        return RedirectResponse("/queue", status_code=303)

    def incident(request: Request) -> Response:
        code = request.path_params["code"]
        form = request.state.form
        state, note = str(form.get("state") or ""), str(form.get("note") or "") or None
        if code not in {a.code for a in settings.accounts} or state not in {s.value for s in IncidentState}:
            return PlainTextResponse("unknown account or state", status_code=400)
        if note and (problem := note_problem(note)):
            return PlainTextResponse(f"note refused: {problem}", status_code=400)
        now = datetime.now(UTC)
        try:
            move_incident(store, code, IncidentState(state), now, settings.limits.resolved_quiet_s, note,
                          fresh=form.get("fresh") == "1")  # fmt: skip
        except InvalidTransition as exc:
            return PlainTextResponse(str(exc), status_code=409)
        store.audit(agent(request) or "?", f"incident-{state}", code, now, note or "")
        return RedirectResponse("/", status_code=303)

    def audit(request: Request) -> Response:
        return page(request, "audit.html", rows=store.audit_log())

    def replies(request: Request) -> Response:
        search = " ".join(request.query_params.get("q", "").split())[:60]
        return page(request, "replies.html", rows=store.replies_posted(search), search=search)

    routes = [
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST", "GET"]),
        Route("/", login_required(overview)),
        Route("/queue", login_required(queue)),
        Route("/queue/{mention_id:str}/approve", login_required(approve), methods=["POST"]),
        Route("/queue/{mention_id:str}/done", login_required(done), methods=["POST"]),
        Route("/incident/{code:str}", login_required(incident), methods=["POST"]),
        Route("/audit", login_required(audit)),
        Route("/replies", login_required(replies)),
    ]
    secret = os.environ.get("REPLYBOT_WEB_SECRET") or secrets.token_urlsafe(32)
    middleware = [
        Middleware(SessionMiddleware, secret_key=secret, same_site="strict", https_only=https_only, max_age=12 * 3600)
    ]
    return Starlette(routes=routes, middleware=middleware)
