"""Per-endpoint rate limits with X's fixed windows, headers and 429 semantics.

A rule is either per user (the authenticated account) or per app (one app: the whole fake server). User
rules show in ``x-rate-limit-*``; a 24-hour user rule also shows in ``x-user-limit-24hour-*``; the app's
24-hour cap shows in ``x-app-limit-24hour-*``. As on X, a request refused by the app cap still carries the
user window's ``x-rate-limit-reset``, so clients must read the app headers too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Scope = Literal["user", "app"]
MINUTES_15 = 15 * 60
HOURS_24 = 24 * 3600


@dataclass(frozen=True)
class Rule:
    scope: Scope
    limit: int
    window: int


TIERS: dict[str, dict[str, tuple[Rule, ...]]] = {
    # pay-per-use (since Feb 2026): X's per-endpoint limits, the same for every customer (docs.x.com
    # "Rate limits", 2026); spending is billed apart (bot/adapters/x_api.py counts it, docs/COMPLIANCE.md)
    "payg": {
        "me": (Rule("user", 75, MINUTES_15),),
        "mentions": (Rule("user", 300, MINUTES_15), Rule("app", 450, MINUTES_15)),
        "user_tweets": (Rule("user", 900, MINUTES_15), Rule("app", 10_000, MINUTES_15)),
        "create_tweet": (Rule("user", 100, MINUTES_15), Rule("app", 10_000, HOURS_24)),
    },
    "pro": {
        "me": (Rule("user", 75, MINUTES_15),),
        "mentions": (Rule("user", 300, MINUTES_15),),
        "user_tweets": (Rule("user", 900, MINUTES_15),),
        "create_tweet": (Rule("user", 100, MINUTES_15), Rule("app", 10_000, HOURS_24)),
    },
    # the legacy monthly plans (developer.x.com "Rate limits", Basic and Free tables)
    "basic": {
        "me": (Rule("user", 100, HOURS_24),),
        "mentions": (Rule("user", 10, MINUTES_15), Rule("app", 15, MINUTES_15)),
        "user_tweets": (Rule("user", 5, MINUTES_15), Rule("app", 10, MINUTES_15)),
        "create_tweet": (Rule("user", 100, HOURS_24), Rule("app", 1_667, HOURS_24)),
    },
    "free": {
        "me": (Rule("user", 25, HOURS_24),),
        "create_tweet": (Rule("user", 17, HOURS_24), Rule("app", 17, HOURS_24)),
    },
    "none": {},
}


NOT_IN_PLAN: dict[str, frozenset[str]] = {"free": frozenset({"mentions", "user_tweets"})}
"""Endpoints a plan cannot call at all: X answers 403 (code 453, "a subset of X API V2 endpoints")."""


@dataclass
class _Window:
    start: float
    count: int = 0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    headers: dict[str, str]


@dataclass
class RateLimiter:
    """Fixed windows that open on the first request and close ``window`` seconds later."""

    tier: str
    _windows: dict[tuple[str, Scope, str, int], _Window] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.tier not in TIERS:
            raise ValueError(f"unknown limits {self.tier!r}: expected one of {', '.join(TIERS)}")

    def clear(self) -> None:
        self._windows.clear()

    def limited(self, endpoint: str) -> bool:
        return bool(TIERS[self.tier].get(endpoint))

    def hit(self, endpoint: str, user_id: str, now: float) -> Verdict:
        """Count one request unless a rule is exhausted; return the headers either way."""
        rules = TIERS[self.tier].get(endpoint, ())
        windows = [(rule, self._window(endpoint, rule, user_id, now)) for rule in rules]
        allowed = all(w.count < rule.limit for rule, w in windows)
        if allowed:
            for _, w in windows:
                w.count += 1
        headers: dict[str, str] = {}
        for rule, w in windows:
            values = (str(rule.limit), str(max(0, rule.limit - w.count)), str(int(w.start + rule.window)))
            prefixes = ["x-app-limit-24hour"] if rule.scope == "app" else ["x-rate-limit"]
            if rule.scope == "user" and rule.window == HOURS_24:
                prefixes.append("x-user-limit-24hour")
            for prefix in prefixes:
                headers.update(zip((f"{prefix}-limit", f"{prefix}-remaining", f"{prefix}-reset"), values, strict=True))
        return Verdict(allowed, headers)

    def _window(self, endpoint: str, rule: Rule, user_id: str, now: float) -> _Window:
        key = (endpoint, rule.scope, user_id if rule.scope == "user" else "app", rule.window)
        window = self._windows.get(key)
        if window is None or now >= window.start + rule.window:
            window = self._windows[key] = _Window(start=now)
        return window
