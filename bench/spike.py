"""Spike drill: the February 2023 volume against the fake X at pro limits, with X answering at real speed.

56,000 mentions in one hour (the real February 2023 volume) from 40,000 distinct authors on four accounts
(ID 35 %, PH 25 %, TH 20 %, MY 20 %), 60 % of them outage complaints and 10 % money/takeover cases. The
volume ramps up over ten minutes, holds for twenty, then decays. The bot runs as in production: the runner's
lanes (an intake thread and an outbox thread per account), real ``XPlatform`` (tweepy over loopback), a real
SQLite file, the shipped ``[limits]``, metrics and spike observers, JSON logs to a file.

Time: the fake X runs in its own process; its clock and the bot's run ``--speed`` times faster than real time
(10: the hour takes six minutes), and every X API call takes ``--latency`` fake seconds (the fake X sleeps
that long, scaled). The drill injects each 10-second slice of mentions when the clock reaches it, then lets
the bot drain for ``--drain`` fake minutes. A run is not bit-for-bit repeatable (threads), its figures are.

Figures (the last line is JSON): ``lost_to_window`` is exact (injected mentions the bot never recorded);
``budget_used_ratio`` is the posts made during the hour over what the limits allow in it (the bot's caps and
X's pro caps, whichever is lower); every complaint ends as ``posted``, ``escalated``, ``covered_by_status``,
``human_queued``, ``skipped_by_policy`` (cooldown, thread already answered) or ``silently_expired``
(anything else: the number that must be 0); ``answered_p50_s``/``p95_s``: from a mention's creation to its
reply, on the fake clock. ``--sustained`` instead measures the highest rate (mentions per minute) that one
account's intake reads without losing any, at the given latency: a ramp of two minutes, then three at the rate.

Usage: python bench/spike.py [--quick] [--latency S] [--speed F] [--sustained]. --quick injects a quarter of
the volume (14,000 from 10,000 authors) over the same hour, at 40 times real time (under two minutes).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import requests
from _common import CONFIG, CannotRun, Texts, kinds, labelled_rows, peak_rss_mb, summary

from bot.adapters.clock import FunctionClock
from bot.adapters.store import QUEUE_WHERE, Store
from bot.adapters.x_api import XPlatform
from bot.bootstrap import App, Watch, build
from bot.core.models import IncidentState, Me, MentionPage, Posted
from bot.entrypoints.runner import Lanes
from bot.fakex.rates import TIERS
from bot.logs import setup_logging
from bot.ports import Platform, PlatformError
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
    """The fake X process and its admin API, on a clock ``speed`` times faster than real time."""

    def __init__(self, limits: str, start: float, speed: float, latency: float) -> None:
        script = Path(__file__).resolve().parent / "_fake.py"
        self.epoch = time.time()
        self.start, self.speed = start, speed
        cmd = [sys.executable, str(script), "--limits", limits, "--start", str(start)]
        cmd += ["--speed", str(speed), "--epoch", str(self.epoch), "--latency", str(latency)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.close()
            raise CannotRun(f"the fake X did not start (said {self.url!r})")
        self.http = requests.Session()

    def now(self) -> float:
        """The fake clock, computed the same way in both processes."""
        return self.start + (time.time() - self.epoch) * self.speed

    def sleep_until(self, fake_at: float) -> None:
        wait = (fake_at - self.now()) / self.speed
        if wait > 0:
            time.sleep(wait)

    def admin(self, method: str, path: str, payload: Any = None) -> Any:
        response = self.http.request(method, f"{self.url}/_admin/{path}", json=payload, timeout=60)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


class Watched:
    """The real platform, counting what it fetched, window overruns and refusals (two lanes call it)."""

    def __init__(self, inner: Platform) -> None:
        self.inner = inner
        self.fetched = 0
        self.overruns = 0
        self.errors: Counter[str] = Counter()
        self.lock = threading.Lock()

    def me(self) -> Me:
        return self.inner.me()

    def fetch_mentions(self, since_id: str | None) -> MentionPage:
        page = self.inner.fetch_mentions(since_id)
        with self.lock:
            self.fetched += len(page.mentions)
            self.overruns += page.extras.get("window_overrun") == "1"
        return page

    def _counted(self, call: Any, *args: Any) -> Posted:
        try:
            posted: Posted = call(*args)
            return posted
        except PlatformError as exc:
            with self.lock:
                self.errors[type(exc).__name__] += 1
            raise

    def post_reply(self, in_reply_to: str, text: str) -> Posted:
        return self._counted(self.inner.post_reply, in_reply_to, text)

    def post_status(self, text: str) -> Posted:
        return self._counted(self.inner.post_status, text)

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


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def wire(fake: Fake, db: Path, codes: tuple[str, ...], stop: threading.Event) -> tuple[App, dict[str, Watched]]:
    settings = settings_for(fake.url, db)
    accounts = tuple(a for a in settings.accounts if a.code in codes)
    clock = FunctionClock(fake.now)
    speed = fake.speed

    def scaled_wait(seconds: float) -> None:  # X's pacing and retry waits, in fake seconds
        stop.wait(seconds / speed)

    watched = {
        a.code: Watched(XPlatform(a, settings, sleep=scaled_wait, now=lambda: clock.now().timestamp()))
        for a in accounts
    }
    app = build(
        settings,
        dry_run=False,
        platforms=watched,
        accounts=accounts,
        store=Store.open(db),
        clock=clock,
        should_stop=stop.is_set,
        watch=Watch(settings.poll_interval_s, notify=False),
    )
    return app, watched


def start_lanes(app: App, fake: Fake, stop: threading.Event) -> threading.Thread:
    lanes = Lanes(app, app.settings.poll_interval_s, stop, pause=lambda s: stop.wait(s / fake.speed))
    thread = threading.Thread(target=lanes.run, name="lanes", daemon=True)
    thread.start()
    return thread


def outcomes(app: App, since: float) -> Counter[str]:
    """How every complaint recorded since ``since`` (fake epoch seconds) ended."""
    at = datetime.fromtimestamp(since, UTC).isoformat(timespec="seconds")
    rows = app.store.db.execute(
        f"SELECT action, status, reason, COALESCE(error, ''), ({QUEUE_WHERE}) FROM mentions "
        "WHERE action IN ('reply', 'review', 'escalate') AND seen_at >= ?",
        [at],
    ).fetchall()
    ends: Counter[str] = Counter()
    for action, status, reason, error, queued in rows:
        if action == "escalate":
            ends["escalated"] += 1
        elif status == "replied":
            ends["posted"] += 1
        elif status == "covered_by_status":
            ends["covered_by_status"] += 1
        elif queued:
            ends["human_queued"] += 1
        elif status == "skipped" and (reason.startswith("skip:") or error in ("cooldown", "not_summoned")):
            ends["skipped_by_policy"] += 1
        else:
            ends["silently_expired"] += 1
    return ends


def drill(total: int, authors: int, tmp: Path, speed: float, latency: float, drain_min: float) -> dict[str, Any]:
    fake = Fake("pro", START - 120, speed, latency)
    stop = threading.Event()
    try:
        with (tmp / "bot.log").open("w", encoding="utf-8") as log_file:
            setup_logging("INFO", stream=log_file, json_lines=True)
            return run_drill(fake, stop, total, authors, tmp, drain_min)
    finally:
        stop.set()
        fake.close()


def run_drill(
    fake: Fake, stop: threading.Event, total: int, authors: int, tmp: Path, drain_min: float
) -> dict[str, Any]:
    app, watched = wire(fake, tmp / "spike.db", tuple(SHARE), stop)
    handles = {a.code: a.handle.lower() for a in app.accounts}
    texts = Texts(labelled_rows())
    for code in handles:  # before the spike: the bot has been running, opened the incident, has checkpoints
        fake.admin("POST", "mentions", [{"to": handles[code], "author": "early_bird", "text": "halo min"}])
        app.store.set_incident(code, IncidentState.INVESTIGATING, app.clock.now(), new=True)
    for account in app.accounts:
        app.service.poll(account)
    fetched_before = sum(w.fetched for w in watched.values())
    cpu_before = time.process_time()
    lanes = start_lanes(app, fake, stop)
    created: dict[str, float] = {}
    n = 0
    for k, batch in enumerate(schedule(total, authors)):
        fake.sleep_until(START + k * SLICE)
        items = []
        for code, author, kind in batch:
            text, lang = texts.pick(code, kind, n)
            items.append({"to": handles[code], "author": f"u{author}", "text": text, "lang": lang or "und"})
            n += 1
        if items:
            answer = fake.admin("POST", "mentions", items)
            at = fake.now()
            for mid in answer["ids"]:
                created[mid] = at
    fake.sleep_until(START + HOUR + drain_min * 60)
    stop.set()
    lanes.join(timeout=120)
    bot_cpu = time.process_time() - cpu_before
    fake_stats = fake.admin("GET", "stats")
    posts = fake.admin("GET", "posts")["posts"]
    replies = [p for p in posts if p.get("in_reply_to_tweet_id")]
    counts = Counter(p["in_reply_to_tweet_id"] for p in replies)
    stamp = {p["id"]: datetime.fromisoformat(p["created_at"].replace("Z", "+00:00")).timestamp() for p in posts}
    latencies = [
        stamp[p["id"]] - created[p["in_reply_to_tweet_id"]] for p in replies if p["in_reply_to_tweet_id"] in created
    ]
    in_hour = sum(1 for p in posts if START <= stamp[p["id"]] < START + HOUR)
    recorded = sum(1 for mid in created if app.store.has_mention(mid))
    ends = outcomes(app, START - 60)
    budget = budget_per_account(app.settings) * len(app.accounts)
    status_posts = app.store.status_posts()
    statuses: Counter[str] = Counter()
    for account in app.accounts:
        statuses.update(app.store.counts(account.code))
    app.store.close()
    return {
        "injected": len(created),
        "fetched": sum(w.fetched for w in watched.values()) - fetched_before,
        "recorded": recorded,
        "lost_to_window": len(created) - recorded,
        "window_overruns": sum(w.overruns for w in watched.values()),
        "duplicates": sum(c - 1 for c in counts.values() if c > 1),
        "http_429": int(fake_stats["rate_limited"]) + int(fake_stats["statuses"].get("429", 0)),
        "posts": len(posts),
        "posts_in_hour": in_hour,
        "budget": budget,
        "budget_used_ratio": round(in_hour / budget, 3) if budget else None,
        "posted": ends["posted"],
        "escalated": ends["escalated"],
        "covered_by_status": ends["covered_by_status"],
        "human_queued": ends["human_queued"],
        "skipped_by_policy": ends["skipped_by_policy"],
        "silently_expired": ends["silently_expired"],
        "status_posts": len([p for p in status_posts if p["status"] == "posted"]),
        "answered_p50_s": round(percentile(latencies, 0.5), 1),
        "answered_p95_s": round(percentile(latencies, 0.95), 1),
        "cpu_s": round(bot_cpu, 2),
        "peak_rss_mb": peak_rss_mb(),
        "x_requests": fake_stats["requests"],
        "statuses": dict(statuses),
        "post_errors": dict(sum((w.errors for w in watched.values()), Counter())),
    }


def sustained(
    tmp: Path, speed: float, latency: float, rates: tuple[int, ...], minutes: float, ramp: float = 2.0
) -> list[dict[str, Any]]:
    """For each rate (mentions per minute, one account): ramp up to it over ``ramp`` minutes, hold it for
    ``minutes``, and count what was lost."""
    out = []
    for rate in rates:
        fake = Fake("pro", START - 120, speed, latency)
        stop = threading.Event()
        try:
            app, _ = wire(fake, tmp / f"sustained-{rate}.db", ("ID",), stop)
            handle = app.accounts[0].handle.lower()
            fake.admin("POST", "mentions", [{"to": handle, "author": "early_bird", "text": "halo min"}])
            app.service.poll(app.accounts[0])
            lanes = start_lanes(app, fake, stop)
            texts, rng = Texts(labelled_rows()), random.Random(rate)
            ids: list[str] = []
            per_slice = rate * SLICE / 60
            carry = 0.0
            for k in range(int((ramp + minutes) * 60 / SLICE)):
                fake.sleep_until(START + k * SLICE)
                carry += per_slice * min(1.0, (k + 1) * SLICE / (ramp * 60)) if ramp else per_slice
                count, carry = int(carry), carry - int(carry)
                items = [
                    {"to": handle, "author": f"u{rng.randrange(10**6)}", "text": texts.pick("ID", kind, i)[0]}
                    for i, kind in zip(range(count), kinds(count, seed=k), strict=False)
                ]
                ids += fake.admin("POST", "mentions", items)["ids"] if items else []
            fake.sleep_until(START + (ramp + minutes) * 60 + 3 * app.settings.poll_interval_s)
            stop.set()
            lanes.join(timeout=120)
            recorded = sum(1 for mid in ids if app.store.has_mention(mid))
            out.append({"per_minute": rate, "injected": len(ids), "lost": len(ids) - int(recorded)})
            app.store.close()
        finally:
            stop.set()
            fake.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the volume over the same hour")
    parser.add_argument("--latency", type=float, default=0.0, help="fake seconds every X API call takes")
    parser.add_argument(
        "--speed", type=float, default=None, help="fake seconds per real second (10; --quick 40; --sustained 3)"
    )
    parser.add_argument("--drain", type=float, default=20.0, help="fake minutes the bot runs after the hour")
    parser.add_argument("--sustained", action="store_true", help="one account's intake ceiling instead")
    args = parser.parse_args(argv)
    total, authors = (14_000, 10_000) if args.quick else (56_000, 40_000)
    # the sustained rates reach 4,000 a minute: at 3x real time the bot's CPU is never what limits it here
    args.speed = args.speed or (3.0 if args.sustained else 40.0 if args.quick else 10.0)
    wall = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="replybot-spike-") as tmp:
            if args.sustained:
                rows = sustained(Path(tmp), args.speed, args.latency, (1000, 1500, 2000), 3.0)
                wall = time.perf_counter() - wall
                for row in rows:
                    print(f"{row['per_minute']:>6}/min: {row['injected']:,} injected, {row['lost']:,} lost")
                kept = [r["per_minute"] for r in rows if r["lost"] == 0]
                summary(
                    "spike-sustained",
                    latency_s=args.latency,
                    rates=rows,
                    keeps_up_per_minute=max(kept) if kept else 0,
                    wall_s=round(wall, 1),
                )
                return 0
            result = drill(total, authors, Path(tmp), args.speed, args.latency, args.drain)
    except (CannotRun, OSError, requests.RequestException) as exc:
        print(f"bench: cannot run: {exc}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - wall
    for key, value in result.items():
        print(f"{key:>28}: {value}")
    print(f"{'wall_s':>28}: {wall:.1f}  (pid {os.getpid()})")
    keys = ["injected", "fetched", "lost_to_window", "window_overruns", "duplicates", "http_429", "posts"]
    keys += ["budget_used_ratio", "posted", "escalated", "covered_by_status", "human_queued", "skipped_by_policy"]
    keys += ["silently_expired", "status_posts", "answered_p50_s", "answered_p95_s", "cpu_s", "peak_rss_mb"]
    figures = {k: result[k] for k in keys}
    summary("spike", **figures, latency_s=args.latency, speed=args.speed, wall_s=round(wall, 1), quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
