"""Operator commands: numbers (stats, export) and the helpers every operator command shares (the human queue
is ``bot.entrypoints.review``)."""

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
from bot.entrypoints.common import common_options, fail, load
from bot.entrypoints.labels import write_corpus
from bot.settings import Account, Settings

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
