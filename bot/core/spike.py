"""Complaint spike detection per account: pure, clock-free, bounded memory.

Complaints are counted in per-minute buckets. The *current rate* is the count over the last ``window_minutes``
minutes, read as a sliding window (the oldest bucket is weighted by how much of it still lies in the window), so
the rate neither drops to zero at each minute boundary nor waits for a minute to finish. The *baseline* is the
mean per-minute count over the ``baseline_minutes`` whole minutes before the window; minutes without complaints
count as zero, so during the first hour ``min_per_minute`` is the effective threshold.

A spike starts when ``rate >= max(threshold_ratio * baseline, min_per_minute)``. While it lasts the baseline is
frozen at its value when the spike started (a long outage must not become the new normal), and it ends only when
the rate falls below ``end_fraction`` of that start threshold: the gap between the two is the hysteresis that
keeps a rate hovering near the threshold from flapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SpikeKind(StrEnum):
    START = "start"
    END = "end"


@dataclass(frozen=True)
class SpikeEvent:
    """A spike started or ended on one account. Rates are complaints per minute."""

    account: str
    kind: SpikeKind
    rate_per_minute: float
    baseline_per_minute: float
    at: datetime


@dataclass
class _AccountState:
    buckets: dict[int, int] = field(default_factory=dict)
    """Epoch minute → complaints in that minute."""
    frozen_baseline: float | None = None
    """Set while a spike is active."""


def _minute(at: datetime) -> tuple[int, float]:
    """The epoch minute of ``at`` and how far into that minute it is (0 ≤ fraction < 1)."""
    seconds = at.timestamp()
    minute = int(seconds // 60)
    return minute, (seconds - minute * 60) / 60


class SpikeDetector:
    """Feed it every outage complaint with :meth:`observe`; ask :meth:`check` (e.g. once per poll) for events.

    Use timezone-aware datetimes. Each account keeps at most ``baseline_minutes + window_minutes + 1`` buckets.
    """

    def __init__(
        self,
        threshold_ratio: float = 5.0,
        min_per_minute: int = 30,
        baseline_minutes: int = 60,
        window_minutes: int = 1,
        end_fraction: float = 0.5,
    ) -> None:
        if threshold_ratio <= 0 or min_per_minute < 0 or baseline_minutes < 1 or window_minutes < 1:
            raise ValueError("threshold_ratio > 0, min_per_minute >= 0, baseline and window minutes >= 1")
        if not 0 < end_fraction <= 1:
            raise ValueError("end_fraction must be in (0, 1]")
        self.threshold_ratio = threshold_ratio
        self.min_per_minute = min_per_minute
        self.baseline_minutes = baseline_minutes
        self.window_minutes = window_minutes
        self.end_fraction = end_fraction
        self._accounts: dict[str, _AccountState] = {}

    def observe(self, account: str, at: datetime, count: int = 1) -> None:
        """Count ``count`` complaints at ``at``. Complaints older than the kept history are ignored."""
        state = self._accounts.setdefault(account, _AccountState())
        minute, _ = _minute(at)
        newest = max(state.buckets, default=minute)
        if minute < newest - self._span():
            return
        state.buckets[minute] = state.buckets.get(minute, 0) + count
        self._prune(state, max(newest, minute))

    def active(self, account: str) -> bool:
        """True while a spike is going on for ``account``."""
        state = self._accounts.get(account)
        return state is not None and state.frozen_baseline is not None

    def rate(self, account: str, now: datetime) -> float:
        """Complaints per minute over the window that ends at ``now``."""
        state = self._accounts.get(account)
        return self._rate(state, now) if state else 0.0

    def baseline(self, account: str, now: datetime) -> float:
        """Mean complaints per minute over the baseline minutes before the window (frozen during a spike)."""
        state = self._accounts.get(account)
        if state is None:
            return 0.0
        if state.frozen_baseline is not None:
            return state.frozen_baseline
        return self._baseline(state, now)

    def threshold(self, baseline: float) -> float:
        return max(self.threshold_ratio * baseline, float(self.min_per_minute))

    def check(self, account: str, now: datetime) -> SpikeEvent | None:
        """An event when a spike starts or ends at ``now``; None when nothing changed."""
        state = self._accounts.get(account)
        if state is None:
            return None
        self._prune(state, _minute(now)[0])
        rate = self._rate(state, now)
        if state.frozen_baseline is None:
            baseline = self._baseline(state, now)
            if rate > 0 and rate >= self.threshold(baseline):
                state.frozen_baseline = baseline
                return SpikeEvent(account, SpikeKind.START, rate, baseline, now)
            return None
        baseline = state.frozen_baseline
        if rate < self.end_fraction * self.threshold(baseline):
            state.frozen_baseline = None
            return SpikeEvent(account, SpikeKind.END, rate, baseline, now)
        return None

    # --- internals ------------------------------------------------------------------------------------

    def _span(self) -> int:
        return self.baseline_minutes + self.window_minutes

    def _prune(self, state: _AccountState, current: int) -> None:
        oldest = current - self._span()
        for minute in [m for m in state.buckets if m < oldest]:
            del state.buckets[minute]

    def _rate(self, state: _AccountState, now: datetime) -> float:
        current, fraction = _minute(now)
        b = state.buckets
        whole = sum(b.get(current - i, 0) for i in range(self.window_minutes))
        partial = b.get(current - self.window_minutes, 0) * (1.0 - fraction)
        return (whole + partial) / self.window_minutes

    def _baseline(self, state: _AccountState, now: datetime) -> float:
        current, _ = _minute(now)
        first = current - self.window_minutes - self.baseline_minutes
        last = current - self.window_minutes - 1
        total = sum(n for m, n in state.buckets.items() if first <= m <= last)
        return total / self.baseline_minutes
