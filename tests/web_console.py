"""The console on a real SQLite file and in-memory X accounts, for tests/test_web*.py: a test client, a login,
the session's CSRF token, and mentions put on the queue through the bot's own intake."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from starlette.testclient import TestClient

from bot.adapters.mock import MockPlatform
from bot.bootstrap import App
from bot.core.models import Mention
from bot.settings_web import WebSettings
from bot.web.app import create_app
from bot.web.auth import Auth

TOKEN = "t0ken-for-the-support-team"
HOSTILE = "<script>alert(1)</script>\u202egnp.exe " + "x" * 10_000


@dataclass
class Desk:
    """The console, the bot behind it, and the ID account's in-memory X."""

    client: TestClient
    app: App
    x: MockPlatform

    def decide(self, text: str, author: str = "rina", status: str | None = None, **kwargs: Any) -> Mention:
        """A mention of the ID account read and decided by the bot's intake; ``status`` forces its status."""
        mention = self.x.add_mention(text, author, **kwargs)
        account = self.app.settings.account("ID")
        self.app.service.intake.handle(account, self.app.service.me(account), mention)
        if status:
            self.app.store.db.execute("UPDATE mentions SET status = ? WHERE id = ?", [status, mention.id])
        return mention

    def row(self, mention_id: str) -> dict[str, Any]:
        row = self.app.store.mention(mention_id)
        assert row is not None
        return row

    def csrf(self, path: str = "/login") -> str:
        return csrf_of(self.client.get(path).text)

    def post(self, path: str, **data: Any) -> Any:
        return self.client.post(path, data={"csrf": self.csrf("/audit"), **data}, follow_redirects=False)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def login(client: TestClient, name: str = "Ayu", secret: str = TOKEN) -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"name": name, "secret": secret, "csrf": token}, follow_redirects=False)


def make_desk(app: App, x: MockPlatform, web: WebSettings | None = None) -> Desk:
    outbox = dataclasses.replace(app.service.outbox, poster="console")  # posts beside the bot, as `replybot web`

    def send(code: str, mention_id: str) -> str:
        return str(outbox.send_mention(app.settings.account(code), mention_id))

    auth = Auth(web or WebSettings(token=TOKEN))
    client = TestClient(create_app(app.settings, app.store, send, auth, app.service.outbox))
    return Desk(client, app, x)
