"""``replybot review``: the human queue from the command line. Each decision is a function of
``review_actions``, the same the web console calls; replies go out through the bot's claim -> post -> record
path. The audit trail names the operator ``cli:<login name>``."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from bot.adapters.store import Store
from bot.core import redact
from bot.entrypoints import review_actions as act
from bot.entrypoints.common import common_options, fail, load
from bot.entrypoints.labels import ACTION_CHOICE, CATEGORY_CHOICE, record
from bot.entrypoints.ops import account_or_fail, mention_or_fail, open_store
from bot.settings import Account, Settings

category_option = click.option(
    "--category", type=CATEGORY_CHOICE, help="The failing area for the label (default: the recorded one)."
)


def operator() -> str:
    """Who is at the command line, for the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # a container's uid may have no name
        return "cli"


@click.group()
def review() -> None:
    """The human queue: escalations, failed replies and replies waiting for approval."""


@review.command("list")
@common_options
@click.option("--account", "code", help="Only this account.")
def review_list(config_path: Path | None, db_path: Path | None, code: str | None) -> None:
    """List what waits for a human, oldest first."""
    settings = load(config_path, db_path)
    store = open_store(settings, db_path)
    only = account_or_fail(settings, code).code if code else None
    rows = store.queue(only)
    unanswered = store.unanswered(only)
    kept = store.quarantined(only)
    if not rows and not unanswered and not kept:
        click.echo("the queue is empty")
        return
    if rows:
        click.echo(f"{'id':20} {'acct':4} {'status':17} {'category':8} {'reason':26} text")
    for r in rows:
        text = " ".join(r["text"].split())[:60]
        click.echo(
            f"{r['id']:20} {r['account']:4} {r['status']:17} {r['category'] or '-':8} {r['reason'][:26]:26} {text}"
        )
    if unanswered:
        click.echo("\ncomplaints not answered one by one (too old when their turn came):")
        for (account, category, status), n in unanswered.items():
            how = "covered by the status post" if status == "covered_by_status" else "expired, listed above"
            click.echo(f"  {account:4} {category or '-':8} {n:6}  {how}")
    if kept:
        click.echo("\nrecords from X that could not be mentions (quarantined; the rest of their page went on):")
        for q in kept:
            raw = " ".join(q["raw"].split())[:70]
            click.echo(f"  {q['account']:4} {q['record_id'] or '-':20} {q['reason'][:40]:40} {raw}")


@review.command("show")
@common_options
@click.argument("mention_id")
def review_show(config_path: Path | None, db_path: Path | None, mention_id: str) -> None:
    """Everything recorded about one mention."""
    settings = load(config_path, db_path)
    row = open_store(settings, db_path).mention(mention_id)
    if row is None:
        fail(f"no mention {mention_id} in {db_path or settings.db_path}", status=1)
    for key, value in row.items():  # scrubbed again: a row stored by an older version may hold a secret
        click.echo(f"{key:16} {redact.scrub(str(value)) if value is not None else '-'}")


@review.command("done")
@common_options
@click.argument("mention_id")
@click.option("--note", help="What was done, for the record.")
@click.option(
    "--label",
    "action",
    type=ACTION_CHOICE,
    help="What it really was, if handled by hand (default: ignore, or the label it already has).",
)
@category_option
def review_done(
    config_path: Path | None,
    db_path: Path | None,
    mention_id: str,
    note: str | None,
    action: str | None,
    category: str | None,
) -> None:
    """Take a mention off the queue; unless labelled otherwise, it was not a complaint (label ignore)."""
    if category and not action:
        raise click.UsageError("--category needs --label reply or --label escalate")
    settings = load(config_path, db_path)
    store = open_store(settings, db_path)
    row = mention_or_fail(store, mention_id)
    said = act.done(settings, store, row, action, category, note, operator(), datetime.now(UTC))
    click.echo(f"{mention_id} done ({said})")


def _send(settings: Settings, db_path: Path | None, store: Store, account: Account, mention_ids: list[str]) -> int:
    """Post through the same claim → post → record path as the bot. Returns how many were posted."""
    from bot.bootstrap import build

    if not account.enabled:
        fail(f"account {account.code} has no X credentials ({account.disabled_reason()}); nothing was posted")
    app = build(settings, dry_run=False, db_path=db_path, accounts=(account,), store=store, poster="cli")
    posted = 0
    for mention_id in mention_ids:
        outcome = app.service.send_mention(account, mention_id)
        row = store.mention(mention_id) or {}
        click.echo(f"{mention_id}: {outcome} {row.get('reply_id') or row.get('error') or ''}".rstrip())
        posted += outcome == "posted"
    return posted


def _now() -> datetime:
    return datetime.now(UTC)


def _decide_and_send(
    config_path: Path | None,
    db_path: Path | None,
    mention_id: str,
    decide: Callable[[Settings, Store, dict[str, Any]], str],
    said_line: str,
) -> None:
    """Take a decision that releases a reply (``review_actions``), then post it once; exit 1 if refused or not
    posted."""
    settings = load(config_path, db_path)
    store = open_store(settings, db_path)
    row = mention_or_fail(store, mention_id)
    account = account_or_fail(settings, row["account"])
    try:
        said = decide(settings, store, row)
    except act.Refused as exc:
        fail(str(exc), status=1)
    click.echo(f"{mention_id}: {said_line.format(said=said)}")
    sys.exit(0 if _send(settings, db_path, store, account, [mention_id]) == 1 else 1)


@review.command("reply")
@common_options
@click.argument("mention_id")
@click.argument("text")
@click.option(
    "--label",
    "action",
    type=click.Choice(["reply", "escalate"]),
    help="The label to store (default: escalate for an escalation, else reply).",
)
@category_option
def review_reply(
    config_path: Path | None,
    db_path: Path | None,
    mention_id: str,
    text: str,
    action: str | None,
    category: str | None,
) -> None:
    """Post a human-written reply (exactly once, like the bot's own) and label the mention."""
    _decide_and_send(
        config_path,
        db_path,
        mention_id,
        lambda settings, store, row: act.reply(settings, store, row, text, action, category, operator(), _now()),
        "{said}",
    )


@review.command("approve")
@common_options
@click.argument("mention_id", required=False)
@click.option("--all", "approve_all", is_flag=True, help="Approve every reply waiting for approval.")
@click.option("--account", "code", help="With --all: only this account.")
def review_approve(
    config_path: Path | None, db_path: Path | None, mention_id: str | None, approve_all: bool, code: str | None
) -> None:
    """Post replies that approval mode held back, or the template reply of one the model was unsure about.

    --all approves only what approval mode held back: an unsure mention is approved one at a time, after reading.
    """
    settings = load(config_path, db_path)
    store = open_store(settings, db_path)
    if bool(mention_id) == approve_all:
        fail("give one MENTION_ID or --all", status=2)
    queue = store.queue(code.upper() if code else None)
    waiting = [r for r in queue if r["status"] == "awaiting_approval"]
    if mention_id:
        waiting = [r for r in queue if r["id"] == mention_id and r["status"] in act.APPROVABLE]
        if not waiting:
            fail(f"{mention_id} is not waiting for approval", status=1)
    now, who = datetime.now(UTC), operator()
    by_account: dict[str, list[str]] = {}
    for r in waiting:
        if act.approve(settings, store, r, who, now):
            by_account.setdefault(r["account"], []).append(r["id"])
    posted = sum(
        _send(settings, db_path, store, account_or_fail(settings, acc), ids) for acc, ids in by_account.items()
    )
    click.echo(f"approved {sum(len(v) for v in by_account.values())}, posted {posted}")


@review.command("hand-back")
@common_options
@click.argument("mention_id")
def review_hand_back(config_path: Path | None, db_path: Path | None, mention_id: str) -> None:
    """Give a mention back to the bot: it is answered with the account's template (label reply), now.

    The bot's own rules still apply (author cooldown, maximum age, budget): the outcome says if it was posted."""
    _decide_and_send(
        config_path,
        db_path,
        mention_id,
        lambda settings, store, row: act.hand_back(settings, store, row, operator(), _now()),
        "handed back ({said})",
    )


@review.command("escalate")
@common_options
@click.argument("mention_id")
@category_option
@click.option("--note", help="Why it needs a human, for the record.")
def review_escalate(
    config_path: Path | None, db_path: Path | None, mention_id: str, category: str | None, note: str | None
) -> None:
    """Say a mention needs a human: label it escalate and keep it on the queue (never auto-replied)."""
    settings = load(config_path, db_path)
    store = open_store(settings, db_path)
    row = mention_or_fail(store, mention_id)
    said = act.escalate(settings, store, row, category, note, operator(), datetime.now(UTC))
    click.echo(f"{mention_id} escalated ({said}); it waits in the queue")


@review.command("label")
@common_options
@click.argument("mention_id")
@click.argument("action", type=ACTION_CHOICE)
@category_option
def review_label(
    config_path: Path | None, db_path: Path | None, mention_id: str, action: str, category: str | None
) -> None:
    """Label any recorded mention (one the bot ignored wrongly, found with export); nothing else changes."""
    settings = load(config_path, db_path)
    store = open_store(settings, db_path)
    click.echo(f"{mention_id} {record(settings, store, mention_or_fail(store, mention_id), action, category, 'label')}")
