"""``replybot web``: serve the console (bound to 127.0.0.1 unless told otherwise)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import click

from bot.entrypoints.common import common_options, fail, load
from bot.entrypoints.ops import open_store


@click.command()
@common_options
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind; keep it on loopback behind a proxy."
)
@click.option("--port", default=8108, show_default=True, type=click.IntRange(1, 65535))
def web(config_path: Path | None, db_path: Path | None, host: str, port: int) -> None:
    """The support team's console: incident, queue and numbers; log in with REPLYBOT_WEB_TOKEN."""
    try:
        import uvicorn

        from bot.web.app import create_app
        from bot.web.auth import Auth
    except ImportError:
        fail("the console needs the web extra: pip install -e '.[web]'")
    settings = load(config_path, db_path)
    token = os.environ.get("REPLYBOT_WEB_TOKEN", "")
    if len(token) < 16:
        fail("set REPLYBOT_WEB_TOKEN (at least 16 characters) in the environment: agents log in with it")
    store = open_store(settings, db_path)

    def send(code: str, mention_id: str) -> str:
        from bot.bootstrap import build

        account = settings.account(code)
        if not account.enabled:
            return f"not posted: {account.disabled_reason()}"
        app = build(settings, dry_run=False, db_path=db_path, accounts=(account,), store=store)
        return str(app.service.send_mention(account, mention_id))

    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    app = create_app(settings, store, send, Auth(token), https_only=not loopback)
    click.echo(f"console on http://{host}:{port}/ (database {db_path or settings.db_path})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
