"""Prometheus metrics on a private ``CollectorRegistry`` (never the global one, so tests can build several).

:class:`Metrics` owns the registry and every metric; :class:`MetricsObserver` satisfies the service's
``Observer`` protocol structurally and also takes what only the loop knows (poll outcome, queue gauges).
Label values are account codes and short machine words; decision reasons are cut to a safe alphabet and length
so a surprising reason can never blow up the number of series.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import UTC

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.core.lifecycle import Event, Handled
from bot.core.models import Decision, Mention
from bot.core.replies import ComposedReply
from bot.settings import Account

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 5400, 7200)
"""Seconds from a mention being posted to our reply: 1 s … 2 h (older mentions are skipped)."""

_UNSAFE = re.compile(r"[^a-z0-9_:.\-]+")


def label(value: object, limit: int = 48) -> str:
    """A bounded, predictable label value."""
    return _UNSAFE.sub("_", str(value).lower())[:limit] or "none"


class Metrics:
    """Every replybot metric, registered on ``registry`` (a fresh one unless given)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.mentions = Counter(
            "replybot_mentions", "Mentions decided, by action and reason.", ["account", "action", "reason"], registry=r
        )
        self.replies = Counter("replybot_replies", "Replies posted on X.", ["account"], registry=r)
        self.api_calls = Counter(
            "replybot_api_calls", "X API calls by endpoint and outcome.", ["account", "endpoint", "status"], registry=r
        )
        self.errors = Counter("replybot_errors", "Errors by kind.", ["account", "kind"], registry=r)
        self.queue_length = Gauge(
            "replybot_queue_length", "Mentions waiting for a human (escalated or failed).", ["account"], registry=r
        )
        self.pending_replies = Gauge(
            "replybot_pending_replies", "Replies decided but not yet posted.", ["account"], registry=r
        )
        self.budget_left = Gauge("replybot_budget_left", "Posts the budget still allows now.", ["account"], registry=r)
        self.last_poll = Gauge(
            "replybot_last_poll_timestamp_seconds", "Unix time of the last successful poll.", ["account"], registry=r
        )
        self.events = Counter(
            "replybot_events_total",
            "Mentions lost to X's window, complaints expired or covered by a status post, status posts made.",
            ["account", "event"],
            registry=r,
        )
        self.latency = Histogram(
            "replybot_mention_to_reply_seconds",
            "Seconds from a mention's creation to our reply.",
            ["account"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )

    def exposition(self) -> bytes:
        """The Prometheus text format of everything registered."""
        return generate_latest(self.registry)


class MetricsObserver:
    """Counts what the service decides and posts; the loop adds poll outcomes and gauges."""

    def __init__(self, metrics: Metrics, clock: Callable[[], float] = time.time) -> None:
        self.metrics = metrics
        self.clock = clock

    # --- Observer protocol ----------------------------------------------------------------------------

    def decided(self, account: Account, mention: Mention, decision: Decision, status: str) -> None:
        reason = label(decision.reason.split(" p=", 1)[0])  # no probability: it would multiply the series
        self.metrics.mentions.labels(account.code, decision.action.value, reason).inc()
        if decision.reason.startswith("error:"):
            self.metrics.errors.labels(account.code, "decide").inc()

    def posted(self, account: Account, row: Handled, reply: ComposedReply, post_id: str) -> None:
        self.metrics.replies.labels(account.code).inc()
        at = row.created_at
        if at is None:
            return
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        self.metrics.latency.labels(account.code).observe(max(0.0, self.clock() - at.timestamp()))

    def noted(self, account: Account, event: Event, count: int) -> None:
        self.metrics.events.labels(account.code, event.value).inc(count)

    def poll_done(self, account: Account) -> None:
        self.metrics.last_poll.labels(account.code).set(self.clock())

    # --- from the loop --------------------------------------------------------------------------------

    def polled(self, account_code: str, ok: bool, at: float) -> None:
        """One poll finished at ``at`` (Unix time): successful, or failed (counted as a ``poll`` error)."""
        if ok:
            self.metrics.last_poll.labels(account_code).set(at)
        else:
            self.metrics.errors.labels(account_code, "poll").inc()

    def error(self, account_code: str, kind: str, count: int = 1) -> None:
        """Count ``count`` errors of ``kind`` (``send``, ``account_stopped``...)."""
        if count > 0:
            self.metrics.errors.labels(account_code, label(kind)).inc(count)

    def api_call(self, account: str, endpoint: str, status: int | str) -> None:
        """One X API call: ``endpoint`` is a short name (``mentions``, ``post``...), ``status`` the HTTP code
        or a word such as ``timeout``."""
        self.metrics.api_calls.labels(account, label(endpoint), label(status)).inc()

    def set_gauges(self, account_code: str, queue: int, pending: int, budget: int) -> None:
        """The account's human queue, pending replies and remaining post budget, as of now."""
        self.metrics.queue_length.labels(account_code).set(queue)
        self.metrics.pending_replies.labels(account_code).set(pending)
        self.metrics.budget_left.labels(account_code).set(budget)
