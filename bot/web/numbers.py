"""The overview's numbers, from what the store recorded: mentions per minute for the chart, the spike state
(the bot's own :class:`SpikeDetector` replayed over the recorded complaints) and, per account, what
``replybot stats`` computes (the same function: latency p50/p95, budget left, money spent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.adapters.store import Store
from bot.core.lifecycle import Status
from bot.core.spike import SpikeDetector, SpikeKind
from bot.entrypoints.ops import account_stats
from bot.service.outbox import Outbox
from bot.settings import Account, Alerts, Settings

SERIES = (("complaints", "reply"), ("unsure", "review"), ("escalations", "escalate"), ("ignored", "ignore"))
"""Chart series and the bot's decision each counts."""
MAX_HOURS = 24


def _minute(at: datetime) -> int:
    return int(at.timestamp() // 60)


def _at(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def series(store: Store, accounts: tuple[Account, ...], now: datetime, hours: int) -> dict[str, Any]:
    """Per account, mentions per minute by kind over the last ``hours``: counts and minute starts (Unix
    seconds), nothing else (no text, no handle)."""
    hours = max(1, min(hours, MAX_HOURS))
    last = _minute(now)
    minutes = list(range(last - hours * 60 + 1, last + 1))
    out: dict[str, Any] = {"step": 60, "hours": hours, "minutes": [m * 60 for m in minutes], "accounts": {}}
    for account in accounts:
        counts = store.per_minute(account.code, _at(minutes[0]))
        out["accounts"][account.code] = {name: [counts.get((m, action), 0) for m in minutes] for name, action in SERIES}
    return out


@dataclass(frozen=True)
class Spike:
    active: bool
    rate: float
    """Complaints per minute over the last minute."""
    baseline: float
    threshold: float
    since: datetime | None
    """When the spike under way started (by the replay), if one is."""


def spike_now(counts: dict[int, int], alerts: Alerts, now: datetime) -> Spike:
    """The detector's state now, replayed minute by minute over ``counts`` (epoch minute -> complaints), as the
    running bot's detector checks after each poll; the hysteresis and frozen baseline come out the same."""
    detector = SpikeDetector(alerts.spike_ratio, alerts.spike_min_per_minute, alerts.baseline_minutes)
    last = _minute(now)
    started: datetime | None = None
    for minute in range(min(counts, default=last), last + 1):
        if counts.get(minute):
            detector.observe("-", _at(minute), counts[minute])
        event = detector.check("-", min(_at(minute + 1) - timedelta(milliseconds=1), now))
        if event is not None:
            started = event.at if event.kind is SpikeKind.START else None
    baseline = detector.baseline("-", now)
    return Spike(detector.active("-"), detector.rate("-", now), baseline, detector.threshold(baseline), started)


def unanswered_by_budget(
    store: Store, outbox: Outbox, accounts: tuple[Account, ...], account: str | None
) -> dict[str, int]:
    """Complaints the bot decided to answer but could not for the post budget: waiting now while the budget is
    spent (at the price of the next reply, a link in the incident note included, as the outbox reckons it), and
    those that went stale while it was (the outbox records ``stale:budget``); the other stale ones apart."""
    waiting = sum(
        store.counts(a.code).get(Status.PENDING.value, 0)
        for a in accounts
        if account in (None, a.code) and outbox.budget_left(a) <= 0
    )
    stale = store.unanswered_by_cause(account)
    return {"total": waiting + stale["budget"], "waiting": waiting, "stale": stale["budget"], "other": stale["other"]}


def account_numbers(
    settings: Settings, store: Store, outbox: Outbox, account: Account, now: datetime, hours: int
) -> dict[str, Any]:
    """One account's row of the overview."""
    stats = account_stats(store, settings, account, now - timedelta(hours=24))
    replay_from = now - timedelta(hours=max(1, min(hours, MAX_HOURS)), minutes=settings.alerts.baseline_minutes + 2)
    return {
        "account": account,
        "incident": outbox.incident(account),
        "note": store.incident(account.code).note,
        "spike": spike_now(store.complaints_per_minute(account.code, replay_from), settings.alerts, now),
        "queue": store.queue_counts(account.code),
        "unanswered": unanswered_by_budget(store, outbox, (account,), account.code),
        "posts_24h": store.posts_since(account.code, now - timedelta(hours=24)),
        "last_hour": store.decisions_since(account.code, now - timedelta(hours=1)),
        "stats": stats,
    }
