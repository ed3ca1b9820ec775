"""What the benchmarks share: machine facts, peak RSS, the JSON summary line, synthetic mentions and rows.

Not a benchmark itself (the leading underscore keeps ``make bench`` from running it). Imports nothing from
``bot`` at module level, so a script can time the bot's own imports.
"""

from __future__ import annotations

import json
import os
import platform
import random
import resource
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config" / "replybot.toml"
LEXICON = REPO / "config" / "lexicon"
TEMPLATES = REPO / "templates"
LABELLED = REPO / "tests" / "data" / "labelled_mentions.jsonl"
ACCOUNT_LANGS = {"ID": ("id", "en"), "TH": ("th", "en"), "PH": ("en", "tl"), "MY": ("ms", "en")}
"""The four accounts the pipeline, spike and memory benches run, with the languages their customers write in."""
X_TAGS = {"id": "in", "tl": "tl", "en": "en", "th": "th", "ms": "ms", "vi": "vi", "zh": "zh"}
TWITTER_EPOCH_MS = 1288834974657


class CannotRun(Exception):
    """The benchmark could not run (missing file, server did not start, ...): exit non-zero."""


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model or platform.processor(), "python": platform.python_version()}


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size in MB (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def summary(bench: str, **figures: Any) -> None:
    """Print the one JSON line that closes every benchmark's output."""
    line = {"bench": bench, **figures, "machine": machine(), "date": datetime.now(UTC).strftime("%Y-%m-%d")}
    print(json.dumps(line, ensure_ascii=False), flush=True)


def snowflake(at: datetime, seq: int) -> str:
    """A snowflake-like id for a moment: grows with time, unique per ``seq`` within a millisecond."""
    ms = int(at.timestamp() * 1000) - TWITTER_EPOCH_MS
    return str((ms << 22) + (seq & 0x3FFFFF))


def labelled_rows() -> list[dict[str, str]]:
    try:
        rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise CannotRun(f"cannot read {LABELLED}: {exc}") from exc
    if not rows:
        raise CannotRun(f"{LABELLED} has no rows")
    return rows


class Texts:
    """Mention texts for an account by kind (``reply`` = outage complaint, ``ignore``, ``escalate``), drawn
    from the team's labelled mentions in the account's languages and re-addressed to the account."""

    def __init__(self, rows: list[dict[str, str]], seed: int = 2023) -> None:
        self.rng = random.Random(seed)
        self.by: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for row in rows:
            text = row["text"].replace(f"@{row['handle']}", "").strip()
            self.by.setdefault((row["lang"], row["action"]), []).append((text, row["lang"]))

    def pick(self, code: str, kind: str, n: int) -> tuple[str, str | None]:
        """(text without the @handle, X language tag) for the n-th mention of this kind to account ``code``."""
        langs = [lang for lang in ACCOUNT_LANGS[code] if (lang, kind) in self.by]
        pool = self.by[(langs[n % len(langs)], kind)]
        text, lang = pool[self.rng.randrange(len(pool))]
        if n % 4 == 1:
            text = f"{text} #{n % 89}"
        elif n % 4 == 2:
            text = text.upper()
        return text, X_TAGS[lang] if n % 5 else None


def kinds(n: int, complaints: float = 0.6, escalations: float = 0.1, seed: int = 7) -> Iterator[str]:
    """``n`` mention kinds: ``complaints`` outage complaints, ``escalations`` money/takeover cases, the rest
    chatter that needs no answer."""
    rng = random.Random(seed)
    for _ in range(n):
        draw = rng.random()
        yield "reply" if draw < complaints else "escalate" if draw < complaints + escalations else "ignore"


def fill_handled(db_path: Path, total: int, now: datetime, codes: tuple[str, ...] = tuple(ACCOUNT_LANGS)) -> float:
    """Bring the mentions table of ``db_path`` (already migrated) up to ``total`` handled rows, spread over
    30 days ending two days before ``now``: about 35 % replied (with their posts), 10 % escalated, the rest
    ignored or skipped.

    One transaction, ``executemany`` in chunks. Returns the seconds it took. Ids stay below anything at ``now``.
    """
    import sqlite3

    start = time.perf_counter()
    conn = sqlite3.connect(db_path)
    have = conn.execute("SELECT COUNT(*) FROM mentions").fetchone()[0]
    span = timedelta(days=30).total_seconds()
    first = now - timedelta(days=32)  # the newest is two days old: no 24 h cap is spent
    rng = random.Random(have)
    columns = (
        "id, account, author_id, author_handle, conversation_id, created_at, lang, tweet_lang, text, action, "
        "category, reason, status, seen_at, updated_at, attempts, reply_id, reply_text, template"
    )
    mention_sql = f"INSERT OR IGNORE INTO mentions ({columns}) VALUES ({', '.join('?' * 19)})"
    post_sql = "INSERT OR IGNORE INTO posts (id, account, in_reply_to, text, template, posted_at) VALUES (?,?,?,?,?,?)"
    chunk = 20_000
    with conn:
        for lo in range(have, total, chunk):
            mentions, posts = [], []
            for i in range(lo, min(total, lo + chunk)):
                at = first + timedelta(seconds=span * i / max(total, 1))
                stamp = at.isoformat(timespec="seconds")
                code = codes[i % len(codes)]
                mid = snowflake(at, i)
                author = f"a{rng.randrange(max(total // 3, 1))}"
                draw = rng.random()
                if draw < 0.35:
                    action, status, reason, category = "reply", "replied", "complaint:outage", "outage"
                elif draw < 0.45:
                    action, status, reason, category = "escalate", "escalated", "escalate:wallet", "wallet"
                elif draw < 0.55:
                    action, status, reason, category = "ignore", "skipped", "skip:author_cooldown", None
                else:
                    action, status, reason, category = "ignore", "ignored", "no_complaint", None
                reply_id = reply_text = template = None
                if status == "replied":
                    reply_id = snowflake(at + timedelta(seconds=30), i)
                    reply_text = f"@{author} Sorry for the trouble, we are on it. Ref {i:08d} -Team"
                    template = f"{code}/en/investigating/outage.j2"
                    posts.append((reply_id, code, mid, reply_text, template, stamp))
                text = f"@Shopee{code} app down again, cannot log in since this morning {i}"
                head = (mid, code, author, author, mid, stamp, "en", "en", text, action, category, reason, status)
                mentions.append((*head, stamp, stamp, 1 if reply_id else 0, reply_id, reply_text, template))
            conn.executemany(mention_sql, mentions)
            conn.executemany(post_sql, posts)
    conn.close()
    return time.perf_counter() - start
