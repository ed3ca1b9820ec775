"""Mentions per second through the whole pipeline without network: classify → decide → render → SQLite.

A real SQLite file (``Store.open``: WAL, synchronous=NORMAL) behind the real ``Service.poll``: an in-memory
platform hands out pages of new mentions (60 % outage complaints, 10 % money/takeover cases, the rest
chatter) for four accounts, and every reply is composed from the templates and recorded as posted. The
post caps are lifted so that every complaint is rendered and recorded (the caps are the spike bench's
business). The cost is measured twice: with 10,000 handled mentions already in the database and with
1,000,000 (synthetic rows bulk-inserted in one transaction in between), to show whether it stays flat.

Usage: python bench/pipeline.py [--quick] [--mentions N] [--page N]. The last line is a JSON summary:

    {"bench": "pipeline", "per_second": ..., "per_second_at_1m": ..., ...}
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from _common import ACCOUNT_LANGS, CONFIG, CannotRun, Texts, fill_handled, kinds, labelled_rows, snowflake, summary

from bot.adapters.store import Store
from bot.bootstrap import build
from bot.core.models import Me, Mention, MentionPage, Posted
from bot.service import Service
from bot.settings import Engine, Settings, load_settings

AIM = 100
"""Mentions per second with the default (learned) engine: a 56,000-an-hour spike is 16/s."""


class SimClock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at


@dataclasses.dataclass
class Feed:
    """A platform in memory that hands out the mentions queued for it, one page per poll, and accepts posts."""

    handle: str
    user_id: str
    queue: list[Mention] = dataclasses.field(default_factory=list)
    page: int = 100
    posted: int = 0

    def me(self) -> Me:
        return Me(self.user_id, self.handle)

    def fetch_mentions(self, since_id: str | None) -> MentionPage:
        batch, self.queue = self.queue[: self.page], self.queue[self.page :]
        return MentionPage(tuple(batch), batch[-1].id if batch else None)

    def post_reply(self, in_reply_to: str, text: str) -> Posted:
        self.posted += 1
        return Posted(f"9{self.posted:018d}", text, in_reply_to)

    def post_status(self, text: str) -> Posted:
        return self.post_reply("", text)

    def own_replies(self, limit: int = 100) -> list[Posted]:
        return []


def settings_for(db: Path, engine: str = "learned") -> Settings:
    env: dict[str, str] = {}
    for code in ACCOUNT_LANGS:
        for name in ("API_KEY", "API_SECRET", "ACCESS_TOKEN_SECRET"):
            env[f"X_{code}_{name}"] = "bench"
        env[f"X_{code}_ACCESS_TOKEN"] = f"fake:shopee{code.lower()}"
    settings = load_settings(CONFIG, env, db_override=db)
    limits = dataclasses.replace(
        settings.limits, posts_per_15min=10**9, posts_per_24h=10**9, budget_per_24h_usd=10.0**9
    )
    model = dataclasses.replace(settings.model, engine=Engine(engine))
    return dataclasses.replace(settings, limits=limits, model=model)


def run_batch(
    service: Service, feeds: dict[str, Feed], clock: SimClock, texts: Texts, n: int, seq: itertools.count[int]
) -> tuple[float, dict[str, int]]:
    """Queue ``n`` new mentions across the accounts, poll until every one is handled; (seconds, outcomes)."""
    accounts = [a for a in service.settings.accounts if a.code in feeds]
    for k, kind in enumerate(kinds(n, seed=next(seq))):
        i = next(seq)
        account = accounts[k % len(accounts)]
        text, lang = texts.pick(account.code, kind, i)
        mid = snowflake(clock.at, i)
        feeds[account.code].queue.append(
            Mention(
                id=mid,
                text=f"@{account.handle} {text}",
                author_id=f"9{i}",
                author_handle=f"user{i}",
                account=account.code,
                created_at=clock.at - timedelta(seconds=5),
                conversation_id=mid,
                lang=lang,
            )
        )
    outcomes = {"polls": 0, "recorded": 0, "posted": 0}
    start = time.perf_counter()
    while any(f.queue for f in feeds.values()):
        for account in accounts:
            result = service.poll(account)
            outcomes["polls"] += 1
            outcomes["recorded"] += result.recorded
            outcomes["posted"] += result.posted
        clock.at += timedelta(seconds=1)
    return time.perf_counter() - start, outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 rows at the far end instead of 1,000,000")
    parser.add_argument("--mentions", type=int, default=None, help="mentions measured at each end")
    parser.add_argument("--page", type=int, default=100, help="mentions per poll and account (X pages hold 100)")
    parser.add_argument("--engine", choices=("learned", "lexicon"), default="learned", help="the classifier to run")
    args = parser.parse_args(argv)
    low, high = 10_000, (100_000 if args.quick else 1_000_000)
    n = args.mentions or (5_000 if args.quick else 20_000)
    try:
        texts = Texts(labelled_rows())
        with tempfile.TemporaryDirectory(prefix="replybot-bench-") as tmp:
            db = Path(tmp) / "pipeline.db"
            clock = SimClock(datetime(2023, 2, 6, 8, 0, tzinfo=UTC))
            store = Store.open(db)
            settings = settings_for(db, args.engine)
            feeds = {
                a.code: Feed(a.handle, str(10**17 + k), page=args.page)
                for k, a in enumerate(settings.accounts)
                if a.code in ACCOUNT_LANGS
            }
            app = build(settings, dry_run=False, platforms=feeds, store=store, clock=clock)
            seq = itertools.count(1)
            ends = {}
            for target in (low, high):
                handled = store.db.execute("SELECT COUNT(*) FROM mentions").fetchone()[0]
                fill_s = fill_handled(db, target, clock.at) if target > handled else 0.0
                at = store.db.execute("SELECT COUNT(*) FROM mentions").fetchone()[0]
                seconds, outcomes = run_batch(app.service, feeds, clock, texts, n, seq)
                ends[target] = n / seconds
                print(
                    f"{at:>9,} handled in the database (filled in {fill_s:.1f} s): {n:,} mentions in {seconds:.2f} s"
                    f" = {n / seconds:,.0f}/s, {seconds / n * 1e6:.0f} µs each; {outcomes}",
                    flush=True,
                )
            size_mb = db.stat().st_size / 2**20
            store.close()
    except CannotRun as exc:
        print(f"bench: cannot run: {exc}", file=sys.stderr)
        return 1
    first, last = ends[low], ends[high]
    print(f"database {size_mb:.0f} MB; cost at {high:,} / cost at {low:,} = {first / last:.2f}")
    summary(
        "pipeline",
        per_second=round(first),
        per_second_at_1m=round(last),
        far_end_handled=high,
        cost_ratio_far_vs_10k=round(first / last, 2),
        mentions_per_end=n,
        page=args.page,
        aim_per_second=AIM,
        engine=args.engine,
        quick=args.quick,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
