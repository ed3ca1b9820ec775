"""Peak RSS of a running bot with 1,000,000 handled mentions in its database.

Builds the database (the real schema via ``Store.open``, then synthetic handled rows bulk-inserted in one
transaction), queues 400 new mentions (60 % complaints) on the fake X server (in this process, pro limits),
then runs ``replybot run --once --db that.db`` as a child process against it and reads the child's peak RSS
(``ru_maxrss`` of RUSAGE_CHILDREN after it exits; this process starts no other child).

Usage: python bench/memory.py [--quick] [--handled N]. --quick: 100,000 handled mentions.
The last line is a JSON summary: {"bench": "memory", "handled": ..., "peak_rss_mb": ...}.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import requests
from _common import ACCOUNT_LANGS, CONFIG, REPO, CannotRun, Texts, fill_handled, kinds, labelled_rows, summary

from bot.adapters.store import Store
from bot.fakex import FakeX

AIM_MB = 150


def bot_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("X_")}
    for code in ACCOUNT_LANGS:
        for name in ("API_KEY", "API_SECRET", "ACCESS_TOKEN_SECRET"):
            env[f"X_{code}_{name}"] = "bench"
        env[f"X_{code}_ACCESS_TOKEN"] = f"fake:shopee{code.lower()}"
    env["X_API_BASE_URL"] = url
    env["PYTHONPATH"] = str(REPO)
    return env


def queue_new(url: str, n: int) -> None:
    texts = Texts(labelled_rows())
    codes = list(ACCOUNT_LANGS)
    items = []
    for i, kind in enumerate(kinds(n)):
        code = codes[i % len(codes)]
        text, lang = texts.pick(code, kind, i)
        items.append({"to": f"shopee{code.lower()}", "author": f"m{i}", "text": text, "lang": lang or "und"})
    requests.post(f"{url}/_admin/mentions", json=items, timeout=30).raise_for_status()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 handled mentions instead of 1,000,000")
    parser.add_argument("--handled", type=int, default=None)
    args = parser.parse_args(argv)
    handled = args.handled or (100_000 if args.quick else 1_000_000)
    try:
        with tempfile.TemporaryDirectory(prefix="replybot-memory-") as tmp, FakeX(limits="pro") as fx:
            db = Path(tmp) / "big.db"
            Store.open(db).close()
            fill_s = fill_handled(db, handled, datetime.now(UTC))
            size_mb = db.stat().st_size / 2**20
            print(f"filled {handled:,} handled mentions in {fill_s:.1f} s ({size_mb:.0f} MB)", flush=True)
            queue_new(fx.url, 400)
            cmd = [sys.executable, "-m", "bot", "run", "--once", "--config", str(CONFIG), "--db", str(db)]
            cmd += ["--metrics-port", "0", "--accounts", ",".join(ACCOUNT_LANGS)]
            start = time.perf_counter()
            done = subprocess.run(cmd, env=bot_env(fx.url), cwd=tmp, capture_output=True, text=True, timeout=300)
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                raise CannotRun(f"replybot run --once exited {done.returncode}: {done.stderr[-2000:]}")
            rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            posts = len(requests.get(f"{fx.url}/_admin/posts", timeout=10).json()["posts"])
    except (CannotRun, OSError, subprocess.TimeoutExpired, requests.RequestException) as exc:
        print(f"bench: cannot run: {exc}", file=sys.stderr)
        return 1
    print(f"replybot run --once over {handled:,} handled mentions: {seconds:.1f} s, peak RSS {rss_mb:.1f} MB")
    print(f"it handled 400 new mentions and posted {posts} replies (the shipped caps: 50 per account per 15 min)")
    summary(
        "memory",
        handled=handled,
        peak_rss_mb=round(rss_mb, 1),
        run_once_s=round(seconds, 2),
        posts=posts,
        db_mb=round(size_mb),
        aim_mb=AIM_MB,
        quick=args.quick,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
