"""The demo feed doubles as an end-to-end check: every scripted mention gets what a careful agent would do."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.adapters.demo import SCENARIO, demo_platforms
from bot.bootstrap import build
from bot.settings import Settings


def test_every_demo_mention_gets_the_expected_decision(settings: Settings) -> None:
    platforms = demo_platforms(settings, datetime.now(UTC))
    app = build(settings, dry_run=True, platforms=platforms)
    for account in app.accounts:
        app.service.poll(account)
    rows = {(r["account"], r["author_handle"]): r for r in app.store.mentions()}
    wrong = []
    for item in SCENARIO:
        row = rows[(item.account, item.author)]
        if (row["action"], row["category"]) != (item.expect, item.category):
            wrong.append((item.text, row["action"], row["category"], row["reason"]))
    assert wrong == []
    replied = [r for r in rows.values() if r["action"] == "reply"]
    assert replied and all(r["status"] == "replied" and r["reply_text"] for r in replied)
