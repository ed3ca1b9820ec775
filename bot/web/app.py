"""The console as one Starlette app: pages by role (overview, queue, mention, incident, records), the vendored
scripts under ``/static``, signed session cookies and a strict Content-Security-Policy.

Every change goes through the same store and service code as the CLI (``bot.entrypoints.review_actions``,
``move_incident``); every reply is posted through the outbox's claim -> post -> record path, so a second click
never posts twice. Mention texts are attacker-controlled: Jinja autoescape is on everywhere, no script is
inline, and the charts' JSON carries counts only."""

from __future__ import annotations

import secrets
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.adapters.store import Store
from bot.service.outbox import Outbox
from bot.settings import Settings
from bot.web import routes_incident, routes_mention, routes_overview, routes_queue, routes_records
from bot.web.auth import Auth
from bot.web.console import Console, Sender

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


class SecurityHeaders:
    """Adds ``HEADERS`` to every response, and ``no-store`` to every page (they show customers' posts)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if not str(scope.get("path", "")).startswith("/static/"):
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(
    settings: Settings, store: Store, send: Sender, auth: Auth, outbox: Outbox, *, https_only: bool = False
) -> Starlette:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
    console = Console(settings, store, send, outbox, auth, env)
    routes = [
        *routes_records.routes(console),
        *routes_overview.routes(console),
        *routes_queue.routes(console),
        *routes_mention.routes(console),
        *routes_incident.routes(console),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    secret = settings.web.session_secret or secrets.token_urlsafe(32)
    max_age = int(settings.web.session_hours * 3600)
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(SessionMiddleware, secret_key=secret, same_site="strict", https_only=https_only, max_age=max_age),
    ]
    return Starlette(routes=routes, middleware=middleware)
