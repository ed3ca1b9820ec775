"""Issue 14: secrets never reach what is stored or shown, not only the logs."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable

import pytest
from conftest import CONFIG, fake_env

from bot.adapters.mock import MockPlatform
from bot.adapters.webhook import SlackWebhook
from bot.bootstrap import App
from bot.core import redact
from bot.ports import PlatformError

KEY = fake_env()["X_ID_API_KEY"]


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("POST http://user:PASS@hooks.example.com/services/T0", "PASS"),
        ('Authorization: OAuth oauth_consumer_key="ck-12345", oauth_signature="sig%3D"', "ck-12345"),
        (
            "Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid",
            "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid",
        ),
        (f"the key {KEY} was refused", KEY),
    ],
)
def test_secret_shapes_and_known_secrets_are_masked(text: str, hidden: str) -> None:
    redact.register([KEY])
    out = redact.scrub(text)
    assert hidden not in out and redact.MASK in out


def test_plain_text_is_left_alone() -> None:
    text = "@rina Mohon maaf, login sedang bermasalah. Ref: A7K2QX https://status.example.com/x"
    assert redact.scrub(text) == text


def test_an_error_echoing_the_oauth_header_is_stored_and_shown_without_it(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    mention = platforms["ID"].add_mention("aplikasinya error terus, gabisa login dari tadi pagi", "rina")
    app = make_app()
    account = app.settings.account("ID")
    app.service.intake.handle(account, app.service.me(account), mention)
    echo = f'400: bad request; headers: Authorization: OAuth oauth_consumer_key="{KEY}", oauth_token="fake:x"'
    platforms["ID"].fail_next.append(PlatformError(echo))
    app.service.send_pending(account)
    row = app.store.mention(mention.id)
    assert row is not None and row["status"] == "failed" and KEY not in row["error"] and "***" in row["error"]
    db = app.settings.db_path
    app.store.close()
    shown = subprocess.run(
        [sys.executable, "-m", "bot", "review", "show", mention.id, "--config", str(CONFIG), "--db", str(db)],
        capture_output=True,
        text=True,
        env={**fake_env(), "PATH": ""},
        timeout=60,
    )
    assert shown.returncode == 0 and KEY not in shown.stdout + shown.stderr


def test_a_webhook_password_never_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    hook = SlackWebhook("http://user:PASS@127.0.0.1:9/hook/secret-path", timeout=0.2)
    with caplog.at_level(logging.WARNING):
        assert hook.notify_text("hello") is False
    assert "PASS" not in caplog.text and "secret-path" not in caplog.text and "127.0.0.1:9" in caplog.text


def test_an_incident_note_that_would_tag_people_is_refused_and_never_posted() -> None:
    from bot.core.replies import note_problem, safe_note

    assert note_problem("https://status.example.com/#incident-2") is None  # a URL's fragment is fine
    assert note_problem("Perbaikan sedang berjalan") is None
    for bad in ("@everyone see https://s.co", "#promo", "ikuti ＠ShopeeID"):
        assert note_problem(bad)
        assert "@" not in safe_note(bad).replace("https://", "") and "#" not in safe_note(bad)
    env = {**fake_env(), "PATH": ""}
    cmd = [sys.executable, "-m", "bot", "incident", "open", "ID", "--note", "@everyone #promo", "--config", str(CONFIG)]
    done = subprocess.run([*cmd, "--db", "/nonexistent/never-created.db"], capture_output=True, text=True, env=env)
    assert done.returncode == 2 and "@mention or #hashtag" in done.stderr
