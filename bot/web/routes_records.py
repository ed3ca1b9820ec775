"""Logging in and out, and the records: the replies the accounts posted (searchable by reference code) and the
audit trail (who did what, when; ``replybot export --audit`` exports it)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.web.auth import clean_name, csrf_ok
from bot.web.console import CSRF_REFUSED, Console

SECRET_LIMIT = 1024
"""A password or token longer than this is refused before hashing (argon2 of a megabyte costs)."""


def routes(console: Console) -> list[Route]:
    async def login(request: Request) -> Response:
        if request.method == "GET":
            return console.page(request, "login.html", agents=bool(console.settings.web.agents))
        form = await request.form()
        if not csrf_ok(request, form.get("csrf")):
            return PlainTextResponse(CSRF_REFUSED, status_code=403)
        name = clean_name(str(form.get("name") or ""))
        offered = str(form.get("secret") or form.get("token") or "")
        client, agents = request.client.host if request.client else "-", bool(console.settings.web.agents)
        throttle = console.auth.throttle
        if wait := throttle.retry_after(client):
            error = f"too many failed logins from this address: try again in {wait} s"
            response = console.page(request, "login.html", status=429, error=error, agents=agents)
            response.headers["retry-after"] = str(wait)
            return response
        good = name and 0 < len(offered) <= SECRET_LIMIT
        who = await run_in_threadpool(console.auth.login, name, offered) if good else None  # argon2 takes a while
        if who is None:
            throttle.failed(client)
            error = "that name and password (or token) do not match"
            return console.page(request, "login.html", status=401, error=error, agents=agents)
        throttle.succeeded(client)
        request.session.clear()
        request.session["agent"] = who
        console.store.audit(who, "login", "-", console.now())
        return RedirectResponse("/", status_code=303)

    def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    def audit(request: Request) -> Response:
        return console.page(request, "audit.html", rows=console.store.audit_log())

    def replies(request: Request) -> Response:
        search = " ".join(request.query_params.get("q", "").split())[:60]
        return console.page(request, "replies.html", rows=console.store.replies_posted(search), search=search)

    return [
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", console.guard(logout), methods=["POST"]),
        Route("/audit", console.guard(audit)),
        Route("/replies", console.guard(replies)),
    ]
