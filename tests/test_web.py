"""The console (issue 15, first part): login, CSRF, escaping, and approvals through the exactly-once path."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from bot.adapters.mock import MockPlatform
from bot.bootstrap import App
from bot.core.lifecycle import Status
from bot.web.app import create_app
from bot.web.auth import Auth

TOKEN = "t0ken-for-the-support-team"
HOSTILE = "<script>alert(1)</script>\u202egnp.exe " + "x" * 10_000


@pytest.fixture
def console(make_app: Callable[..., App], platforms: dict[str, MockPlatform]) -> tuple[TestClient, App, MockPlatform]:
    app = make_app()
    ph = platforms["ID"]

    def send(code: str, mention_id: str) -> str:
        return str(app.service.send_mention(app.settings.account(code), mention_id))

    client = TestClient(create_app(app.settings, app.store, send, Auth(TOKEN)))
    return client, app, ph


def csrf(client: TestClient, path: str = "/login") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def login(client: TestClient, name: str = "Ayu") -> None:
    done = client.post("/login", data={"name": name, "token": TOKEN, "csrf": csrf(client)}, follow_redirects=False)
    assert done.status_code == 303


def test_every_page_needs_a_login_and_a_wrong_token_is_refused(console: tuple[TestClient, App, MockPlatform]) -> None:
    client, _, _ = console
    for path in ("/", "/queue", "/audit"):
        assert client.get(path, follow_redirects=False).headers["location"] == "/login"
    bad = client.post("/login", data={"name": "x", "token": "nope", "csrf": csrf(client)})
    assert bad.status_code == 401 and TOKEN not in bad.text
    assert client.post("/login", data={"name": "x", "token": TOKEN, "csrf": "forged"}).status_code == 403
    login(client)
    assert client.get("/").status_code == 200 and "Overview" in client.get("/").text


def test_a_form_without_the_sessions_csrf_token_changes_nothing(console: tuple[TestClient, App, MockPlatform]) -> None:
    client, app, _ = console
    login(client)
    refused = client.post("/incident/ID", data={"state": "investigating", "csrf": "forged"})
    assert refused.status_code == 403
    assert app.store.incident("ID").state.value == "none"


def test_an_approval_posts_once_whatever_the_clicks(console: tuple[TestClient, App, MockPlatform]) -> None:
    client, app, ph = console
    mention = ph.add_mention("aplikasinya error terus, gabisa login dari tadi pagi", "rina")
    account = app.settings.account("ID")
    app.service.intake.handle(account, app.service.me(account), mention)
    app.store.db.execute("UPDATE mentions SET status = 'unsure' WHERE id = ?", [mention.id])
    login(client)
    token = csrf(client, "/queue")
    assert mention.id in client.get("/queue").text
    first = client.post(f"/queue/{mention.id}/approve", data={"csrf": token}, follow_redirects=False)
    second = client.post(f"/queue/{mention.id}/approve", data={"csrf": token}, follow_redirects=False)
    assert first.headers["location"] == "/queue?note=posted" and second.headers["location"] == "/queue?note=already"
    assert len(ph.replies_to(mention.id)) == 1
    assert app.store.handled(mention.id).status is Status.REPLIED  # type: ignore[union-attr]
    audit = client.get("/audit").text
    assert "approve" in audit and "approve-refused" in audit and "Ayu" in audit


def test_a_hostile_post_renders_harmless(console: tuple[TestClient, App, MockPlatform]) -> None:
    client, app, ph = console
    mention = ph.add_mention(HOSTILE, "mallory")
    account = app.settings.account("ID")
    app.service.intake.handle(account, app.service.me(account), mention)
    app.store.db.execute("UPDATE mentions SET status = 'unsure' WHERE id = ?", [mention.id])
    login(client)
    html = client.get("/queue").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert len(html) < 20_000  # a 10,000-character post is cut on the page


def test_incidents_move_only_along_allowed_transitions_and_notes_cannot_tag(
    console: tuple[TestClient, App, MockPlatform],
) -> None:
    client, app, _ = console
    login(client)
    token = csrf(client, "/")
    form = {"state": "investigating", "note": "https://status.example.com", "csrf": token}
    opened = client.post("/incident/ID", data=form, follow_redirects=False)
    assert opened.status_code == 303 and app.store.incident("ID").state.value == "investigating"
    tagging = client.post("/incident/ID", data={"state": "monitoring", "note": "@everyone", "csrf": token})
    assert tagging.status_code == 400 and app.store.incident("ID").state.value == "investigating"
    resolved = client.post("/incident/ID", data={"state": "resolved", "csrf": token}, follow_redirects=False)
    assert resolved.status_code == 303 and app.store.incident("ID").state.value == "resolved"
    assert "incident-resolved" in client.get("/audit").text


def test_the_session_cookie_is_http_only_and_strict(console: tuple[TestClient, App, MockPlatform]) -> None:
    client, _, _ = console
    response = client.post("/login", data={"name": "Ayu", "token": TOKEN, "csrf": csrf(client)}, follow_redirects=False)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_the_console_refuses_to_start_without_a_token(tmp_path: object) -> None:
    import subprocess
    import sys

    from conftest import CONFIG, fake_env

    cmd = [sys.executable, "-m", "bot", "web", "--config", str(CONFIG), "--db", "/nonexistent/x.db"]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**fake_env(), "PATH": ""}, timeout=60)
    assert done.returncode == 2 and "REPLYBOT_WEB_TOKEN" in done.stderr


def test_a_reply_is_found_by_the_reference_code_a_customer_quotes(
    console: tuple[TestClient, App, MockPlatform],
) -> None:
    from bot.core.replies import reference_code

    client, app, ph = console
    mention = ph.add_mention("aplikasinya error terus, gabisa login dari tadi pagi", "rina")
    app.service.poll(app.settings.account("ID"))
    code = reference_code(mention.id)
    login(client)
    found = client.get(f"/replies?q={code}").text
    assert code in found and "@rina" in found
    assert "no reply matches" in client.get("/replies?q=ZZZZZ9").text
    assert "no reply matches" in client.get("/replies?q=%25").text  # a % is a character, not a wildcard


def test_the_audit_trail_is_exported(console: tuple[TestClient, App, MockPlatform], tmp_path: object) -> None:
    import json
    import subprocess
    import sys

    from conftest import CONFIG, fake_env

    client, app, _ = console
    login(client, "Budi")
    db = app.settings.db_path
    cmd = [sys.executable, "-m", "bot", "export", "--audit", "--config", str(CONFIG), "--db", str(db)]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**fake_env(), "PATH": ""}, timeout=60)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and rows[-1]["who"] == "Budi" and rows[-1]["action"] == "login"
