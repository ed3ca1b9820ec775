"""Spike drill: the February 2023 volume against the fake X server with pro limits, one simulated hour.

56,000 mentions in one hour (the real February 2023 volume) from 40,000 distinct authors on four accounts
(ID 35 %, PH 25 %, TH 20 %, MY 20 %), 60 % of them outage complaints and 10 % money/takeover cases. The
volume ramps up over ten minutes, holds for twenty, then decays. Time is driven step by step, so a run is
deterministic: the fake X runs in its own process with a frozen clock; every 10 simulated seconds the drill
injects the mentions of that slice and advances the clock; every ``poll_interval`` (60 s in the shipped
config) the bot runs its loop body once over the four accounts: real ``XPlatform`` (tweepy over loopback),
real SQLite file, the shipped ``[limits]``, metrics and spike observers, JSON logs to a file.

Budget: what the limits allow over the hour per account, the lower of the bot's own caps (posts_per_15min
sliding, posts_per_24h, the money budget) and X's pro caps (100 posts / 15 min / user, 10,000 / 24 h / app).
Latency: from a mention's creation to the reply's creation, both on the fake clock, for the replies made.
CPU: process time spent in the bot's polls. Peak RSS: this process (bot plus a small driver).

Usage: python bench/spike.py [--quick]. --quick injects a quarter of the volume (14,000 from 10,000 authors)
over the same hour. The last line is a JSON summary (see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import requests
from _common import CONFIG, CannotRun, Texts, kinds, labelled_rows, peak_rss_mb, summary

from bot.adapters.store import Store
from bot.adapters.x_api import XPlatform
from bot.bootstrap import App, build, observability
from bot.core.models import IncidentState, Me, MentionPage, Posted
from bot.entrypoints.runner import update_gauges
from bot.fakex.rates import TIERS
from bot.logs import setup_logging
from bot.ports import Platform, PlatformError
from bot.service import AccountStopped, LogObserver
from bot.settings import Settings, load_settings

SHARE = {"ID": 0.35, "PH": 0.25, "TH": 0.20, "MY": 0.20}
HOUR = 3600
SLICE = 10
START = datetime(2023, 2, 6, 7, 0, tzinfo=UTC).timestamp()
log = logging.getLogger("bench.spike")


def shape(minute: int) -> float:
    """Relative volume of a minute: ramp 0-10, plateau 10-30, decay 30-60."""
    if minute < 10:
        return 0.3 + 1.3 * minute / 10
    if minute < 30:
        return 1.6
    return 1.6 - 1.3 * (minute - 30) / 30


class Fake:
    """The fake X process and its admin API; keeps the bot's clock in step with the fake's."""

    def __init__(self, limits: str, start: float) -> None:
        script = Path(__file__).resolve().parent / "_fake.py"
        cmd = [sys.executable, str(script), "--limits", limits, "--start", str(start)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.close()
            raise CannotRun(f"the fake X did not start (said {self.url!r})")
        self.now = start
        self.http = requests.Session()

    def admin(self, method: str, path: str, payload: Any = None) -> Any:
        response = self.http.request(method, f"{self.url}/_admin/{path}", json=payload, timeout=30)
        response.raise_for_status()
        return response.json()

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            self.now = self.admin("POST", "clock", {"advance": seconds})["now"]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


@dataclasses.dataclass
class Watched:
    """The real platform, counting what it fetched and every window overrun it reported."""

    inner: Platform
    fetched: int = 0
    overruns: int = 0
    errors: Counter[str] = dataclasses.field(default_factory=Counter)

    def me(self) -> Me:
        return self.inner.me()

    def fetch_mentions(self, since_id: str | None) -> MentionPage:
        page = self.inner.fetch_mentions(since_id)
        self.fetched += len(page.mentions)
        self.overruns += page.extras.get("window_overrun") == "1"
        return page

    def post_reply(self, in_reply_to: str, text: str) -> Posted:
        try:
            return self.inner.post_reply(in_reply_to, text)
        except PlatformError as exc:
            self.errors[type(exc).__name__] += 1
            raise

    def own_replies(self, limit: int = 100) -> list[Posted]:
        return self.inner.own_replies(limit)


def settings_for(url: str, db: Path) -> Settings:
    env = {"X_API_BASE_URL": url}
    for code in SHARE:
        for name in ("API_KEY", "API_SECRET", "ACCESS_TOKEN_SECRET"):
            env[f"X_{code}_{name}"] = "bench"
        env[f"X_{code}_ACCESS_TOKEN"] = f"fake:shopee{code.lower()}"
    return load_settings(CONFIG, env, db_override=db)


def budget_per_account(settings: Settings, hours: float = HOUR / 3600) -> int:
    """Posts the limits allow one account over the drill: bot caps and X's pro caps, whichever is lower."""
    limits = settings.limits
    windows = math.ceil(hours * 4)
    x_user = next(r.limit for r in TIERS["pro"]["create_tweet"] if r.scope == "user")
    x_app = next(r.limit for r in TIERS["pro"]["create_tweet"] if r.scope == "app") // len(SHARE)
    by_money = int(limits.budget_per_24h_usd / limits.cost_per_reply_usd) if limits.cost_per_reply_usd else 10**9
    return min(min(limits.posts_per_15min, x_user) * windows, limits.posts_per_24h, by_money, x_app)


def schedule(total: int, authors: int, seed: int = 20230206) -> list[list[tuple[str, int, str]]]:
    """For each 10 s slice of the hour, the (account, author, kind) of the mentions created in it."""
    rng = random.Random(seed)
    weights = [shape(m) for m in range(HOUR // 60)]
    per_minute = [total * w / sum(weights) for w in weights]
    counts, carry = [], 0.0
    for n in per_minute:
        for _ in range(60 // SLICE):
            carry += n / (60 // SLICE)
            counts.append(int(carry))
            carry -= int(carry)
    counts[-1] += total - sum(counts)
    who = list(range(authors)) + [rng.randrange(authors) for _ in range(total - authors)]
    rng.shuffle(who)
    codes = rng.choices(list(SHARE), weights=list(SHARE.values()), k=total)
    mix = list(kinds(total))
    out, i = [], 0
    for n in counts:
        out.append([(codes[j], who[j], mix[j]) for j in range(i, i + n)])
        i += n
    return out


def poll_all(app: App, stats: Counter[str]) -> None:
    """The bot's loop body (``run_loop`` once): poll every account, then its gauges."""
    for account in app.accounts:
        ok = False
        try:
            result = app.service.poll(account)
            ok = True
            stats["posted"] += result.posted
            stats["poll_errors"] += result.errors
        except (AccountStopped, PlatformError) as exc:
            stats[f"poll_failed:{type(exc).__name__}"] += 1
            log.warning("poll failed: %s", exc)
        update_gauges(app, account, ok)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def drill(total: int, authors: int, tmp: Path) -> dict[str, Any]:
    fake = Fake("pro", START)
    try:
        return run_drill(fake, total, authors, tmp)
    finally:
        fake.close()


def run_drill(fake: Fake, total: int, authors: int, tmp: Path) -> dict[str, Any]:
    db = tmp / "spike.db"
    settings = settings_for(fake.url, db)
    with (tmp / "bot.log").open("w", encoding="utf-8") as log_file:
        setup_logging("INFO", stream=log_file, json_lines=True)
        accounts = tuple(a for a in settings.accounts if a.code in SHARE)
        watched = {a.code: Watched(XPlatform(a, settings, now=lambda: fake.now, sleep=fake.advance)) for a in accounts}
        app = build(settings, dry_run=False, platforms=watched, accounts=accounts, store=Store.open(db))
        watch = observability(settings, app.accounts, settings.poll_interval_s, LogObserver(), None, notify=False)
        app.service.observer, app.metrics, app.health = watch.observer, watch.metrics, watch.health
        app.service.clock = lambda: datetime.fromtimestamp(fake.now, UTC)
        handles = {a.code: a.handle.lower() for a in accounts}
        texts = Texts(labelled_rows())
        stats: Counter[str] = Counter()
        created: dict[str, float] = {}
        per_poll: Counter[str] = Counter()
        max_between_polls = 0
        bot_cpu = 0.0

        def polls() -> None:
            nonlocal bot_cpu
            started = time.process_time()
            poll_all(app, stats)
            bot_cpu += time.process_time() - started

        for code in handles:  # before the spike: the bot has been running, opened the incident, has checkpoints
            fake.admin("POST", "mentions", [{"to": handles[code], "author": "early_bird", "text": "halo min"}])
            app.store.set_incident(code, IncidentState.INVESTIGATING, app.service.clock(), new=True)
        polls()
        stats.clear()
        fetched_before = sum(w.fetched for w in watched.values())
        interval = int(settings.poll_interval_s)
        n = 0
        for k, batch in enumerate(schedule(total, authors)):
            items = []
            for code, author, kind in batch:
                text, lang = texts.pick(code, kind, n)
                items.append({"to": handles[code], "author": f"u{author}", "text": text, "lang": lang or "und"})
                per_poll[code] += 1
                n += 1
            if items:
                for mid in fake.admin("POST", "mentions", items)["ids"]:
                    created[mid] = fake.now
            fake.advance(SLICE)
            if ((k + 1) * SLICE) % interval == 0:
                max_between_polls = max(max_between_polls, *per_poll.values(), 0)
                per_poll.clear()
                polls()
        elapsed_fake = fake.now - START
        fake_stats = fake.admin("GET", "stats")
        posts = fake.admin("GET", "posts")["posts"]
        counts = Counter(p["in_reply_to_tweet_id"] for p in posts)
        latencies = [
            datetime.fromisoformat(p["created_at"].replace("Z", "+00:00")).timestamp()
            - created[p["in_reply_to_tweet_id"]]
            for p in posts
            if p["in_reply_to_tweet_id"] in created
        ]
        recorded = sum(1 for mid in created if app.store.has_mention(mid))
        store_counts = Counter[str]()
        for account in accounts:
            store_counts.update(app.store.counts(account.code))
        escalations = app.store.db.execute("SELECT COUNT(*) FROM mentions WHERE action = 'escalate'").fetchone()[0]
        queued = sum(app.store.queue_length(a.code) for a in accounts)
        budget = budget_per_account(settings) * len(accounts)
        app.store.close()
    return {
        "injected": len(created),
        "fetched": sum(w.fetched for w in watched.values()) - fetched_before,
        "recorded": recorded,
        "window_overruns": sum(w.overruns for w in watched.values()),
        "max_mentions_between_polls": max_between_polls,
        "duplicates": sum(c - 1 for c in counts.values() if c > 1),
        "http_429": int(fake_stats["rate_limited"]) + int(fake_stats["statuses"].get("429", 0)),
        "posts": len(posts),
        "budget": budget,
        "budget_used_ratio": round(len(posts) / budget, 3) if budget else None,
        "pending_at_end": store_counts.get("pending", 0),
        "escalations": escalations,
        "escalations_queued": queued,
        "latency_p50_s": round(percentile(latencies, 0.5), 1),
        "latency_p95_s": round(percentile(latencies, 0.95), 1),
        "cpu_s": round(bot_cpu, 2),
        "peak_rss_mb": peak_rss_mb(),
        "simulated_s": round(elapsed_fake),
        "x_requests": fake_stats["requests"],
        "statuses": dict(store_counts),
        "post_errors": dict(sum((w.errors for w in watched.values()), Counter())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the volume over the same hour")
    args = parser.parse_args(argv)
    total, authors = (14_000, 10_000) if args.quick else (56_000, 40_000)
    wall = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="replybot-spike-") as tmp:
            result = drill(total, authors, Path(tmp))
    except (CannotRun, OSError, requests.RequestException) as exc:
        print(f"bench: cannot run: {exc}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - wall
    for key, value in result.items():
        print(f"{key:>28}: {value}")
    print(f"{'wall_s':>28}: {wall:.1f}  (pid {os.getpid()})")
    keys = ["injected", "fetched", "recorded", "duplicates", "http_429", "window_overruns"]
    keys += ["max_mentions_between_polls", "posts", "budget", "budget_used_ratio", "pending_at_end"]
    keys += ["escalations", "escalations_queued", "latency_p50_s", "latency_p95_s", "cpu_s", "peak_rss_mb"]
    keys += ["simulated_s"]
    summary("spike", **{k: result[k] for k in keys}, authors=authors, wall_s=round(wall, 1), quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
