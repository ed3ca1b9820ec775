"""What every route of the console shares: the settings, the store, the way to post, the pages.

:class:`Console` is built once by :func:`bot.web.app.create_app`. Handlers are plain functions of a request
run in a worker thread (the store serializes its calls), wrapped by :meth:`Console.guard`: not logged in ->
the login page (a JSON route answers 401), a POST without the session's CSRF token -> 403 and nothing changes.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response

from bot.adapters.store import Store
from bot.core.lifecycle import Handled
from bot.core.models import Category
from bot.core.replies import ReplyError
from bot.service.incidents import IncidentNow
from bot.service.intake import AccountStopped
from bot.service.outbox import Outbox
from bot.settings import SUPPORTED_LANGUAGES, Account, Settings
from bot.web.auth import Auth, agent, csrf_ok, csrf_token

Sender = Callable[[str, str], str]
"""(account code, mention id) -> outcome: posts one released reply through the bot's outbox."""
Handler = Callable[[Request], Response]
CSRF_REFUSED = "the form is stale or forged (CSRF): reload the page"
CATEGORIES = tuple(c.value for c in Category)
TEXT_LIMIT = 1000
"""Mention texts are cut at this many characters in lists (a post is attacker-controlled and may be huge)."""

OUTCOMES = {
    "posted": "posted",
    "budget": "not posted yet: the account's post budget is spent; the bot posts it when the budget allows",
    "transient": "not posted yet: X did not answer; the bot tries again on its next round",
    "error": "X refused the post; it waits in the queue as failed",
}


@dataclass(frozen=True)
class Console:
    settings: Settings
    store: Store
    send: Sender
    outbox: Outbox
    """Composes the replies the pages preview (its platforms are never called from the console)."""
    auth: Auth
    env: Environment

    def now(self) -> datetime:
        return datetime.now(UTC)

    def account(self, code: str | None) -> Account | None:
        return next((a for a in self.settings.accounts if a.code == code), None)

    def page(self, request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        values.update(
            agent=agent(request),
            csrf=csrf_token(request),
            accounts=self.settings.accounts,
            flash=None if name.startswith("_") else request.session.pop("flash", None),  # a partial keeps it
            categories=CATEGORIES,
            languages=SUPPORTED_LANGUAGES,
            text_limit=TEXT_LIMIT,
        )
        return HTMLResponse(self.env.get_template(name).render(**values), status_code=status)

    def guard(self, handler: Handler, *, api: bool = False) -> Callable[[Request], Any]:
        """Login required; a POST's form is read and its CSRF token checked before ``handler`` sees it."""

        async def wrapped(request: Request) -> Response:
            if agent(request) is None:
                if api:
                    return JSONResponse({"error": "log in first"}, status_code=401)
                return RedirectResponse("/login", status_code=303)
            if request.method == "POST":
                form = await request.form()
                if not csrf_ok(request, form.get("csrf")):
                    return PlainTextResponse(CSRF_REFUSED, status_code=403)
                request.state.form = form
            return await run_in_threadpool(handler, request)

        return wrapped

    def compose(
        self, account: Account, row: dict[str, Any], incident: IncidentNow, recent: collections.deque[str] | None = None
    ) -> tuple[str, str, str]:
        """(text, template, problem) of the bot's reply to ``row`` in ``incident``, by the outbox's own composer.
        An escalation gets the account's holding wording even where holding replies are off: a console shows it
        as a preview or a starting point, it never posts it from here."""
        try:
            composed = self.outbox.compose(
                dataclasses.replace(account, holding_reply=True),
                Handled.from_row(row),
                incident,
                exclude=(),
                recent=recent,
            )
        except ReplyError as exc:
            return "", "", str(exc)
        return (composed.text, composed.template, "") if composed else ("", "", "")

    def post_now(self, code: str, mention_id: str) -> str:
        """Post a released mention through the outbox; what happened, in words, from what the store says after."""
        try:
            outcome = self.send(code, mention_id)
        except AccountStopped as exc:  # X refused the account's credentials: nothing was posted
            return f"not posted: {exc}; it waits as pending"
        row = self.store.mention(mention_id) or {}
        if row.get("status") == "replied" or outcome == "posted":
            return "posted"
        if outcome in OUTCOMES:
            return OUTCOMES[outcome]
        if outcome.startswith("not posted"):  # the account has no credentials here: the running bot posts it
            return f"{outcome}; it waits as pending for the running bot"
        return f"not posted: {row.get('status', '?')} ({row.get('error') or 'no error recorded'})"


def flash(request: Request, message: str) -> None:
    """One line shown on the next page (the session carries it; short)."""
    request.session["flash"] = message[:300]


def who(request: Request) -> str:
    return agent(request) or "?"


def field(request: Request, name: str) -> str:
    value = request.state.form.get(name)
    return value.strip() if isinstance(value, str) else ""


def choice(value: str, allowed: tuple[str, ...] | frozenset[str]) -> str | None:
    """``value`` when it is one of ``allowed``, else None (a form or query parameter from a closed set)."""
    return value if value in allowed else None
