"""``replybot drill``: the demo outage against the fake X, through tweepy and a real SQLite file.

The whole live path with nothing leaving the machine and no credentials to type: a fake X on a free loopback
port, fake credentials for every configured account, the demo scenario's mentions posted to it, the demo's
incident states declared, then one read and one round of posting per account exactly as ``replybot run --once``
does. What the fake X received is printed at the end.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import requests

from bot.adapters.demo import INCIDENTS, SCENARIO
from bot.adapters.store import Store
from bot.bootstrap import build
from bot.entrypoints.console import ConsoleObserver
from bot.fakex import FakeX
from bot.settings import Settings, load_settings

X_LANG = {"id": "in", "tl": "tl", "en": "en", "th": "th", "ms": "ms", "vi": "vi", "zh": "zh"}


def drill_env(settings: Settings, url: str) -> dict[str, str]:
    """The environment of the drill: the fake X's URL and a fake token per configured account."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("X_")}
    env["X_API_BASE_URL"] = url
    for account in settings.accounts:
        for name in ("API_KEY", "API_SECRET", "ACCESS_TOKEN_SECRET"):
            env[f"X_{account.code}_{name}"] = "drill"
        env[f"X_{account.code}_ACCESS_TOKEN"] = f"fake:{account.handle.lower()}"
    return env


def run_drill(config: Path, db_path: Path, limits: str, keep: bool = False) -> int:
    """Returns how many posts the fake X received."""
    base = load_settings(config, {}, db_override=db_path)
    now = datetime.now(UTC)
    with FakeX(limits=limits) as fake:
        settings = load_settings(config, drill_env(base, fake.url), db_override=db_path)
        http = requests.Session()
        mentions = [
            {
                "to": a.handle.lower(),
                "author": item.author,
                "text": item.text,
                "lang": X_LANG.get(item.lang or "", "und"),
                "created_at": (now - timedelta(minutes=item.minutes_ago)).isoformat(),
            }
            for item in SCENARIO
            for a in settings.accounts
            if a.code == item.account
        ]
        http.post(f"{fake.url}/_admin/mentions", json=mentions, timeout=30).raise_for_status()
        store = Store.open(settings.db_path)
        try:
            for account in settings.accounts:
                state, note = INCIDENTS.get(account.code, (None, ""))
                if state is not None:
                    store.set_incident(account.code, state, now, note=note, new=True)
            app = build(settings, dry_run=False, store=store, observer=ConsoleObserver(verb="posted"))
            click.secho(f"replybot drill: the demo outage against the fake X at {fake.url} ({limits})\n", bold=True)
            for account in app.accounts:
                click.secho(f"== {account.code}: incident {store.incident(account.code).state.value}\n", fg="yellow")
                app.service.poll(account)
        finally:
            store.close()
        posts = http.get(f"{fake.url}/_admin/posts", timeout=30).json()["posts"]
    by_account = Counter(str(p["account"]) for p in posts)
    kept = f"the database is {settings.db_path}" if keep else "the database was temporary (--db PATH keeps it)"
    click.secho(f"The fake X received {len(posts)} posts; {kept}", bold=True)
    for who, n in sorted(by_account.items()):
        click.echo(f"  {who}: {n}")
    return len(posts)
