"""Snowflake-like ids: numeric strings that increase with time, plus stable user ids derived from handles."""

from __future__ import annotations

import hashlib
import re

from bot.core.ids import TWITTER_EPOCH_MS

HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")


class IdGenerator:
    """``(ms since the Twitter epoch) << 22`` plus a sequence, strictly increasing. Not thread-safe alone:
    the server calls it under its own lock."""

    def __init__(self) -> None:
        self._last = 0

    def next(self, now: float) -> str:
        candidate = max(0, int(now * 1000) - TWITTER_EPOCH_MS) << 22
        self._last = max(candidate, self._last + 1)
        return str(self._last)

    def observe(self, tweet_id: str) -> None:
        """An id chosen by the caller (admin API): later generated ids stay above it."""
        self._last = max(self._last, int(tweet_id))


def user_id_for(handle: str) -> str:
    """The same handle always gets the same numeric user id, across restarts and resets."""
    digest = hashlib.sha256(handle.lower().encode()).digest()
    return str(10**17 + int.from_bytes(digest[:8], "big") % (9 * 10**17))


def is_numeric_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and 0 < len(value) <= 19
