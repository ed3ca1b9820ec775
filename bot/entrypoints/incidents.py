"""``replybot incident``: declare, update and resolve per-country incidents from the command line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from bot.adapters.store import Store
from bot.entrypoints.common import common_options, fail, load
from bot.entrypoints.ops import account_or_fail, open_store
from bot.settings import Settings


@click.group()
def incident() -> None:
    """Declare, update and resolve per-country incidents (a running bot picks changes up on its next poll)."""


def _incident_store(
    config_path: Path | None, db_path: Path | None, code: str | None, must_exist: bool = False
) -> tuple[Settings, Store]:
    settings = load(config_path, db_path)
    if code is not None:
        account_or_fail(settings, code)
    return settings, open_store(settings, db_path, must_exist=must_exist)


def _print_incident(settings: Settings, store: Store, code: str) -> None:
    from bot.core.incident import effective_state

    inc = store.incident(code)
    state = effective_state(inc, datetime.now(UTC), settings.limits.resolved_quiet_s)
    since = inc.started_at.isoformat(timespec="minutes") if inc.started_at else "-"
    click.echo(f"{code:4} {state.value:14} since {since:25} {inc.note or ''}".rstrip())


def _move_incident(
    config_path: Path | None, db_path: Path | None, code: str, state: str, note: str | None, fresh: bool = False
) -> None:
    from bot.core.incident import InvalidTransition
    from bot.core.models import IncidentState
    from bot.core.replies import note_problem
    from bot.service import move_incident

    if note and (problem := note_problem(note)):
        fail(f"--note {note!r}: {problem}")
    settings, store = _incident_store(config_path, db_path, code)
    try:
        move_incident(
            store,
            code.upper(),
            IncidentState(state),
            datetime.now(UTC),
            settings.limits.resolved_quiet_s,
            note,
            fresh=fresh,
        )
    except InvalidTransition as exc:
        fail(str(exc))
    _print_incident(settings, store, code.upper())


@incident.command("open")
@common_options
@click.argument("code")
@click.option("--note", help="Public note shown in replies, e.g. a status-page URL.")
def incident_open(config_path: Path | None, db_path: Path | None, code: str, note: str | None) -> None:
    """Declare an incident (state: investigating); over a resolved one, a new incident with only this note."""
    _move_incident(config_path, db_path, code, "investigating", note, fresh=True)


@incident.command("update")
@common_options
@click.argument("code")
@click.option("--state", required=True, type=click.Choice(["none", "investigating", "monitoring", "resolved"]))
@click.option("--note", help="Replace the public note.")
def incident_update(config_path: Path | None, db_path: Path | None, code: str, state: str, note: str | None) -> None:
    """Move an incident to another state (none → investigating → monitoring → resolved; none stands down)."""
    _move_incident(config_path, db_path, code, state, note)


@incident.command("resolve")
@common_options
@click.argument("code")
def incident_resolve(config_path: Path | None, db_path: Path | None, code: str) -> None:
    """Mark an incident resolved (replies say "we're back"; falls back to none after the quiet period)."""
    _move_incident(config_path, db_path, code, "resolved", None)


@incident.command("status")
@common_options
def incident_status(config_path: Path | None, db_path: Path | None) -> None:
    """Show every account's incident state."""
    settings, store = _incident_store(config_path, db_path, None, must_exist=True)
    for account in settings.accounts:
        _print_incident(settings, store, account.code)


@incident.command("status-posts")
@common_options
@click.option("--post", "post_code", metavar="CODE", help="Post this account's proposed status post now.")
def incident_status_posts(config_path: Path | None, db_path: Path | None, post_code: str | None) -> None:
    """List the status posts made or proposed (approval mode); --post CODE posts the proposed one of CODE."""
    settings, store = _incident_store(config_path, db_path, post_code, must_exist=True)
    if post_code:
        _post_proposed(settings, store, db_path, post_code.upper())
        return
    posts = store.status_posts()
    if not posts:
        click.echo("no status posts")
        return
    for p in posts:
        text = " ".join(p["text"].split())[:70]
        click.echo(f"{p['account']:4} {p['state']:14} {p['status']:9} {p['post_id'] or '-':20} {text}")


def _post_proposed(settings: Settings, store: Store, db_path: Path | None, code: str) -> None:
    from bot.bootstrap import build
    from bot.service import AccountStopped
    from bot.service.incidents import incident_now

    account = settings.account(code)
    if not account.enabled:
        fail(f"account {code} has no X credentials ({account.disabled_reason()}); nothing was posted")
    now = datetime.now(UTC)
    current = incident_now(store, code, now, settings.limits.resolved_quiet_s)
    if current.started_at is None or not store.take_proposed_status_post(code, current.started_at, current.state):
        fail(f"account {code} has no proposed status post for its current incident state ({current.state.value})")
    proposal = store.status_post(code, current.started_at, current.state) or {}
    app = build(settings, dry_run=False, db_path=db_path, accounts=(account,), store=store)
    try:
        posted = app.service.outbox.announcer.post(account, current, str(proposal.get("text", "")))
    except AccountStopped as exc:
        fail(str(exc))
    after = store.status_post(code, current.started_at, current.state) or {}
    if not posted:
        fail(f"{code}: the status post was not posted ({after.get('error') or 'X refused for now; try again'})")
    click.echo(f"{code}: status post {after.get('status')} {after.get('post_id') or ''}".rstrip())
