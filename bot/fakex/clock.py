"""The fake server's time source: real time shifted by an offset and scaled by a speed factor.

Rate-limit windows, ``created_at`` stamps, snowflake ids and ``x-rate-limit-reset`` headers all read this
clock, so a drill or a test can jump past a 15-minute window without waiting for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime


class Clock:
    """``now() = start + (real elapsed) * speed + advances``. Thread-safe; never goes backwards."""

    def __init__(
        self,
        start: float | None = None,
        speed: float = 1.0,
        source: Callable[[], float] = time.time,
    ) -> None:
        if speed < 0:
            raise ValueError(f"clock speed must be >= 0, got {speed}")
        self._source = source
        self._lock = threading.Lock()
        self._real_base = source()
        self._fake_base = self._real_base if start is None else float(start)
        self._speed = float(speed)

    def now(self) -> float:
        """Fake epoch seconds."""
        with self._lock:
            return self._now_locked()

    @property
    def speed(self) -> float:
        with self._lock:
            return self._speed

    def advance(self, seconds: float) -> float:
        """Jump forward by ``seconds`` (>= 0) and return the new time."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward, got advance={seconds}")
        with self._lock:
            self._rebase()
            self._fake_base += seconds
            return self._fake_base

    def set_speed(self, factor: float) -> None:
        """From now on, one real second is ``factor`` fake seconds (0 freezes the clock)."""
        if factor < 0:
            raise ValueError(f"clock speed must be >= 0, got {factor}")
        with self._lock:
            self._rebase()
            self._speed = float(factor)

    def _now_locked(self) -> float:
        return self._fake_base + (self._source() - self._real_base) * self._speed

    def _rebase(self) -> None:
        now = self._now_locked()
        self._real_base = self._source()
        self._fake_base = now


def iso_z(epoch: float) -> str:
    """X's timestamp format: ISO 8601 in UTC with milliseconds and ``Z``."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """Epoch seconds from an ISO 8601 string (``Z`` or an offset; a naive value is taken as UTC)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
