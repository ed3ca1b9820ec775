"""Operator commands: the human queue (review, approval), numbers (stats, export) and eval."""

from __future__ import annotations

import contextlib
import csv
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any, TextIO

import click

from bot import bootstrap
from bot.adapters.store import Store, iso
from bot.core import redact
from bot.entrypoints.common import common_options, fail, load
from bot.entrypoints.labels import ACTION_CHOICE, CATEGORY_CHOICE, human_default, record, write_corpus
from bot.settings import HANDLE_RE, Account, Settings

EXPORT_FIELDS = (
    "id",
    "account",
    "author_handle",
    "created_at",
    "seen_at",
    "lang",
    "action",
    "category",
    "reason",
    "status",
    "reply_id",
    "reply_text",
    "template",
    "reviewed_at",
    "review_note",
)


AUDIT_FIELDS = ("at", "who", "action", "target", "detail")


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """``30m``, ``24h``, ``7d`` or an ISO date/time; None means everything."""
    if not value:
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([mhd])", value.strip())
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return now - timedelta(**{unit: float(match.group(1))})
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected 30m, 24h, 7d or an ISO date such as 2023-02-06") from None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def open_store(settings: Settings, db_path: Path | None, must_exist: bool = True) -> Store:
    """The live database (or the one named with --db).

    The queue, the numbers and the exports read what the bot recorded: a database that does not exist is a
    mistyped path, not an empty queue, so it is refused (exit 2) instead of created. Declaring an incident may
    come before the bot's first run and creates it (``must_exist=False``)."""
    path = db_path or settings.db_path
    if must_exist and not Path(path).is_file():
        fail(f"no database at {path}: check --db or [bot] database in {settings.config_path} (nothing was created)")
    return bootstrap.open_store(settings, dry_run=False, db_path=db_path)


def account_or_fail(settings: Settings, code: str) -> Account:
    try:
        return settings.account(code)
    except KeyError:
        fail(f"unknown account code {code!r}; configured: {', '.join(a.code for a in settings.accounts)}")


def mention_or_fail(store: Store, mention_id: str) -> dict[str, Any]:
    row = store.mention(mention_id)
    if row is None:
        fail(f"no mention {mention_id}", status=1)
    return row


category_option = click.option(
    "--category", type=CATEGORY_CHOICE, help="The failing area for the label (default: the recorded one)."
)


# --- the human queue -------------------------------------------------------------------------------------


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
    store.mark_reviewed(mention_id, datetime.now(UTC), note)
    existing = store.label(mention_id)
    if action is None and existing is not None:  # closing a mention already answered or escalated
        said = f"label {existing['action']} kept"
    else:
        said = record(settings, store, row, action or "ignore", category, "done")
    click.echo(f"{mention_id} done ({said})")


def _send(settings: Settings, db_path: Path | None, store: Store, account: Account, mention_ids: list[str]) -> int:
    """Post through the same claim → post → record path as the bot. Returns how many were posted."""
    from bot.bootstrap import build

    if not account.enabled:
        fail(f"account {account.code} has no X credentials ({account.disabled_reason()}); nothing was posted")
    app = build(settings, dry_run=False, db_path=db_path, accounts=(account,), store=store)
    posted = 0
    for mention_id in mention_ids:
        outcome = app.service.send_mention(account, mention_id)
        row = store.mention(mention_id) or {}
        click.echo(f"{mention_id}: {outcome} {row.get('reply_id') or row.get('error') or ''}".rstrip())
        posted += outcome == "posted"
    return posted


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
    from bot.core.replies import MAX_WEIGHT, clean_text, weighted_length

    settings = load(config_path, db_path)
    store = open_store(settings, db_path)
    row = mention_or_fail(store, mention_id)
    if row["status"] in ("replied", "claimed") or row["reply_id"]:
        fail(f"{mention_id} already has a reply ({row['reply_id'] or 'being posted'}); nothing was posted", status=1)
    body = clean_text(text)
    handle = row["author_handle"]
    if HANDLE_RE.match(handle) and not body.lower().startswith(f"@{handle.lower()}"):
        body = f"@{handle} {body}"
    if weighted_length(body) > MAX_WEIGHT:
        fail(f"the reply is {weighted_length(body)} characters as X counts them; the limit is {MAX_WEIGHT}", 1)
    account = account_or_fail(settings, row["account"])
    click.echo(f"{mention_id}: {record(settings, store, row, action or human_default(row), category, 'reply')}")
    store.release_for_posting(mention_id, datetime.now(UTC), manual_text=body)
    sys.exit(0 if _send(settings, db_path, store, account, [mention_id]) == 1 else 1)


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
        waiting = [r for r in queue if r["id"] == mention_id and r["status"] in ("awaiting_approval", "unsure")]
        if not waiting:
            fail(f"{mention_id} is not waiting for approval", status=1)
    now = datetime.now(UTC)
    by_account: dict[str, list[str]] = {}
    for r in waiting:
        if store.release_for_posting(r["id"], now):
            record(settings, store, r, human_default(r), None, "approve")
            by_account.setdefault(r["account"], []).append(r["id"])
    posted = sum(
        _send(settings, db_path, store, account_or_fail(settings, acc), ids) for acc, ids in by_account.items()
    )
    click.echo(f"approved {sum(len(v) for v in by_account.values())}, posted {posted}")


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
    said = record(settings, store, mention_or_fail(store, mention_id), "escalate", category, "escalate")
    store.escalate(mention_id, datetime.now(UTC), note)
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


# --- numbers ---------------------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def account_stats(store: Store, settings: Settings, account: Account, since: datetime | None) -> dict[str, Any]:
    from bot.core.pricing import has_url
    from bot.service import budget_left, incident_now, money_left

    now = datetime.now(UTC)
    clause, args = ("AND seen_at >= ?", [iso(since)]) if since else ("", [])
    rows = list(store.db.query(f"SELECT * FROM mentions WHERE account = ? {clause}", [account.code, *args]))
    ignored: dict[str, int] = {}
    latencies = []
    posted_at = {
        r["in_reply_to"]: r["posted_at"]
        for r in store.db.query("SELECT in_reply_to, posted_at FROM posts WHERE account = ?", [account.code])
    }
    for r in rows:
        if r["action"] == "ignore":
            ignored[r["reason"]] = ignored.get(r["reason"], 0) + 1
        if r["status"] == "replied" and r["created_at"] and r["id"] in posted_at:
            delta = datetime.fromisoformat(posted_at[r["id"]]) - datetime.fromisoformat(r["created_at"])
            latencies.append(max(0.0, delta.total_seconds()))
    return {
        "account": account.code,
        "seen": len(rows),
        "replied": sum(r["status"] == "replied" and r["action"] == "reply" for r in rows),
        "escalated": sum(r["action"] == "escalate" for r in rows),
        "ignored": sum(ignored.values()),
        "ignored_by_reason": dict(sorted(ignored.items(), key=lambda kv: -kv[1])),
        "pending": sum(r["status"] == "pending" for r in rows),
        "covered_by_status": sum(r["status"] == "covered_by_status" for r in rows),
        "expired": sum(r["status"] == "expired" for r in rows),
        "queue": store.queue_length(account.code),
        "budget_left": budget_left(
            store,
            settings.limits,
            account,
            now,
            with_url=has_url(incident_now(store, account.code, now, settings.limits.resolved_quiet_s).note),
        ),
        "spent_24h_usd": round(
            settings.limits.budget_per_24h_usd - money_left(store, settings.limits, account.code, now), 4
        ),
        "latency_p50_s": median(latencies) if latencies else None,
        "latency_p95_s": _percentile(latencies, 0.95),
    }


@click.command()
@common_options
@click.option("--since", help="Window: 30m, 24h, 7d or an ISO date (default: everything).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per account.")
def stats(config_path: Path | None, db_path: Path | None, since: str | None, as_json: bool) -> None:
    """Per account: seen, replied, escalated, ignored by reason, queue, budget left, time to reply."""
    settings = load(config_path, db_path)
    store = open_store(settings, db_path)
    start = parse_since(since, datetime.now(UTC))
    for account in settings.accounts:
        s = account_stats(store, settings, account, start)
        if as_json:
            click.echo(json.dumps(s, ensure_ascii=False))
            continue
        p50 = f"{s['latency_p50_s']:.0f}s" if s["latency_p50_s"] is not None else "-"
        p95 = f"{s['latency_p95_s']:.0f}s" if s["latency_p95_s"] is not None else "-"
        click.echo(
            f"{account.code:4} seen {s['seen']:6}  replied {s['replied']:5}  escalated {s['escalated']:4}  "
            f"ignored {s['ignored']:5}  queue {s['queue']:4}  pending {s['pending']:4}  budget {s['budget_left']:4}  "
            f"mention→reply p50 {p50} p95 {p95}  spent 24h ${s['spent_24h_usd']:.2f}"
        )
        if s["covered_by_status"] or s["expired"]:
            click.echo(f"       covered by the status post {s['covered_by_status']:5}  expired {s['expired']:5}")
        for reason, n in list(s["ignored_by_reason"].items())[:6]:
            click.echo(f"       ignored {n:5} {reason}")


@click.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="jsonl", show_default=True)
@click.option("--since", help="Window: 30m, 24h, 7d or an ISO date (default: everything).")
@click.option("--labelled", is_flag=True, help="The labels from the review queue instead, as training-corpus JSONL.")
@click.option("--audit", is_flag=True, help="The web console's audit trail instead: who did what, when.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout.")
def export(
    config_path: Path | None,
    db_path: Path | None,
    fmt: str,
    since: str | None,
    labelled: bool,
    audit: bool,
    out_path: Path | None,
) -> None:
    """Every handled mention with its decision and reply, or (--labelled) every human label, or (--audit) the
    console's audit trail, since --since."""
    settings = load(config_path, db_path)
    store = open_store(settings, db_path)
    start = parse_since(since, datetime.now(UTC))
    target: contextlib.AbstractContextManager[TextIO] = (
        out_path.open("w", encoding="utf-8", newline="") if out_path else contextlib.nullcontext(sys.stdout)
    )
    with target as out:
        if audit:
            entries = [r for r in reversed(store.audit_log(10**9)) if start is None or r["at"] >= iso(start)]
            if fmt == "csv":
                writer = csv.DictWriter(out, fieldnames=AUDIT_FIELDS, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(entries)
            else:
                for r in entries:
                    out.write(json.dumps({k: r.get(k) for k in AUDIT_FIELDS}, ensure_ascii=False) + "\n")
            return
        if labelled:
            n = write_corpus(store.labels(start), settings, out)
            if out_path:
                click.echo(f"wrote {n} labels to {out_path}", err=True)
            return
        rows = (r for r in store.mentions() if start is None or r["seen_at"] >= iso(start))
        if fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
            return
        for r in rows:
            out.write(json.dumps({k: r.get(k) for k in EXPORT_FIELDS}, ensure_ascii=False) + "\n")
