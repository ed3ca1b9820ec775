"""``replybot web``: serve the console (bound to 127.0.0.1 unless told otherwise); ``replybot web
hash-password``: the argon2 hash of an agent's password for ``[web.agents]``."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import click

from bot.entrypoints.common import common_options, fail, load
from bot.entrypoints.ops import open_store

WEB_EXTRA = "the console needs the web extra: pip install -e '.[web]'"
MIN_PASSWORD = 12


@click.group(invoke_without_command=True)
@common_options
@click.option("--host", default=None, help="Address to bind (default: [web] host: 127.0.0.1); keep it on loopback.")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="Port (default: [web] port, else 8108).")
@click.pass_context
def web(ctx: click.Context, config_path: Path | None, db_path: Path | None, host: str | None, port: int | None) -> None:
    """The support team's console: incident, queue and numbers; agents log in with their password
    ([web.agents]) or REPLYBOT_WEB_TOKEN."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        import uvicorn

        from bot.web.app import create_app
        from bot.web.auth import Auth
    except ImportError:
        fail(WEB_EXTRA)
    from bot.bootstrap import build

    settings = load(config_path, db_path)
    if problem := settings.web.login_problem():
        fail(f"{problem} ({settings.config_path}, docs/OPERATIONS.md)")
    store = open_store(settings, db_path)
    host = host or settings.web.host
    port = port or settings.web.port

    def send(code: str, mention_id: str) -> str:
        account = settings.account(code)
        if not account.enabled:
            return f"not posted: {account.disabled_reason()}"
        app = build(settings, dry_run=False, db_path=db_path, accounts=(account,), store=store, poster="console")
        return str(app.service.send_mention(account, mention_id))

    preview = build(settings, dry_run=False, db_path=db_path, store=store, platforms={})  # composes, never posts
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    app = create_app(settings, store, send, Auth(settings.web), preview.service.outbox, https_only=not loopback)
    click.echo(f"console on http://{host}:{port}/ (database {db_path or settings.db_path})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@web.command("hash-password")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from stdin's first line (scripts).")
def hash_password(from_stdin: bool) -> None:
    """Print the argon2 hash of a password, for a line `NAME = "HASH"` under [web.agents] in the config.

    The password is asked twice without echo (or read from stdin); it is never printed or stored."""
    try:
        from bot.web.auth import hash_password as make_hash
    except ImportError:
        fail(WEB_EXTRA)
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    if len(password) < MIN_PASSWORD:
        fail(f"a password of at least {MIN_PASSWORD} characters, please; nothing was printed")
    click.echo(make_hash(password))
    click.echo('add it to the config as NAME = "<the line above>" under [web.agents]', err=True)
