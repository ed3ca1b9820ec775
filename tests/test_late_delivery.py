"""X sometimes shows a mention after newer ones: the bot still answers it, once (fake X late delivery)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fakex_clients import admin_post, mention
from test_retention import x_settings

from bot.bootstrap import build
from bot.fakex import Clock, FakeX


def test_a_mention_x_delivers_late_is_still_answered_once(tmp_path: Path) -> None:
    """Even on a first burst, when nothing older than the overlap is recorded, the re-read catches it."""
    with FakeX(limits="none", clock=Clock(speed=0)) as fx:
        settings = x_settings(fx.url, tmp_path)
        settings = dataclasses.replace(settings, accounts=(settings.account("ID"),))
        texts = ["gabisa login dari tadi", "aplikasinya error terus", "ga bisa checkout, error"]
        first = admin_post(fx.url, "mentions", [mention("shopeeid", texts[0], "rina")])["ids"]
        fx.app.late_rate, fx.app.late_seconds = 1.0, 5.0
        late = admin_post(fx.url, "mentions", [mention("shopeeid", texts[1], "budi")])["ids"]
        fx.app.late_rate = 0.0
        third = admin_post(fx.url, "mentions", [mention("shopeeid", texts[2], "sari")])["ids"]
        app = build(settings, dry_run=False)
        account = settings.account("ID")
        app.service.poll(account)

        def replied() -> list[str]:
            return sorted(r[0] for r in app.store.db.execute("SELECT in_reply_to FROM posts"))

        assert replied() == sorted(first + third)  # the late one is not visible yet
        fx.clock.advance(6)
        app.service.poll(account)
        app.service.poll(account)
        assert replied() == sorted(first + late + third)  # answered, and nobody twice
        app.store.close()
