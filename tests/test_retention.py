"""Deleted posts and old texts are erased; a deleted post gets no reply (X's terms, issue 13)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import CONFIG, fake_env
from fakex_clients import admin_post, mention

from bot.adapters.clock import ManualClock
from bot.adapters.mock import MockPlatform
from bot.adapters.x_api import RetryPolicy, XPlatform
from bot.bootstrap import App, build
from bot.fakex import FakeX
from bot.ports import PostGone, ReadOnlyToken
from bot.service import AccountStopped
from bot.settings import Settings, load_settings

COMPLAINT = "aplikasinya error terus, gabisa login dari tadi pagi"


def test_a_reply_to_a_deleted_post_is_recorded_not_retried_and_its_text_erased(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    gone = platforms["ID"].add_mention(COMPLAINT, "rina")
    app = make_app()
    account = app.settings.account("ID")
    app.service.intake.handle(account, app.service.me(account), gone)
    platforms["ID"].fail_next.append(PostGone("You attempted to reply to a Tweet that is deleted or not visible"))
    app.service.send_pending(account)
    app.service.send_pending(account)
    assert platforms["ID"].posts == []
    row = app.store.mention(gone.id)
    assert row is not None
    assert (row["status"], row["error"], row["text"], row["author_handle"]) == ("skipped", "deleted", "", "")
    assert row["erased_at"] and row["action"] == "reply"  # the decision stays


def test_the_outbox_erases_what_is_older_than_the_retention_once_an_hour(
    settings: Settings, make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    clock = ManualClock(start)
    old = platforms["ID"].add_mention(COMPLAINT, "rina", created_at=start)
    app = make_app(clock=clock)
    account = app.settings.account("ID")
    app.service.poll(account)
    assert app.store.mention(old.id)["reply_text"]  # type: ignore[index]
    clock.advance(settings.limits.retention_days * 86400 + 60)
    app.service.send_pending(account)  # the first round of the process erases
    row = app.store.mention(old.id)
    assert row is not None and (row["text"], row["author_handle"], row["reply_text"]) == ("", "", None)
    assert app.store.db.execute("SELECT text FROM posts").fetchall() == [("",)]
    fresh = platforms["ID"].add_mention("app nya error, ga bisa dibuka sama sekali", "bagas", created_at=clock.now())
    app.service.poll(account)
    assert app.store.mention(fresh.id)["text"]  # type: ignore[index]
    assert app.service.outbox.retain() is None  # not again within the hour
    assert platforms["ID"].replies_to(old.id)  # exactly-once still knows it was answered


def test_purge_erases_now_and_says_how_much(
    tmp_path: Path, make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    an_hour_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    platforms["ID"].add_mention(COMPLAINT, "rina", created_at=an_hour_ago)
    app = make_app(clock=ManualClock(an_hour_ago))
    app.service.poll(app.settings.account("ID"))
    db = app.settings.db_path
    app.store.close()
    cmd = [sys.executable, "-m", "bot", "purge", "--older-than-days", "0", "--config", str(CONFIG), "--db", str(db)]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**fake_env(), "PATH": ""}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "erased the text and handles of 1 mentions, 1 posts" in done.stdout
    missing = subprocess.run([*cmd[:-1], str(tmp_path / "typo.db")], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no database" in missing.stderr


# --- through real tweepy and the fake X -----------------------------------------------------------------


def x_settings(url: str, tmp_path: Path) -> Settings:
    settings = load_settings(CONFIG, {**fake_env(), "X_API_BASE_URL": url}, db_override=tmp_path / "x.db")
    return dataclasses.replace(settings, http_timeout_s=2.0)


def test_x_says_deleted_or_not_visible_and_the_adapter_says_post_gone(tmp_path: Path) -> None:
    with FakeX(limits="none") as fx:
        [gone] = admin_post(fx.url, "mentions", [mention("shopeeid", COMPLAINT, "rina")])["ids"]
        admin_post(fx.url, "delete", {"ids": [gone]})
        settings = x_settings(fx.url, tmp_path)
        x = XPlatform(settings.account("ID"), settings, retry=RetryPolicy(1, 0, 0), sleep=lambda s: None)
        with pytest.raises(PostGone):
            x.post_reply(gone, "@rina maaf")


def test_a_read_only_token_stops_its_account_at_start_with_what_to_do(tmp_path: Path) -> None:
    with FakeX(limits="none", access_level="read") as fx:
        admin_post(fx.url, "mentions", [mention("shopeeid", COMPLAINT, "rina")])
        settings = x_settings(fx.url, tmp_path)
        settings = dataclasses.replace(settings, accounts=(settings.account("ID"),))
        app = build(settings, dry_run=False)
        with pytest.raises(AccountStopped, match=r"x-access-level: read.*Read and Write"):
            app.service.poll(settings.account("ID"))
        assert issubclass(ReadOnlyToken, Exception)
        app.store.close()
