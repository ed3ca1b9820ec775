"""X post ids: snowflakes, ``(milliseconds since X's epoch) << 22`` plus a sequence, so they tell when."""

from __future__ import annotations

from datetime import UTC, datetime

TWITTER_EPOCH_MS = 1288834974657


def snowflake_ms(tweet_id: str) -> int | None:
    """Milliseconds since the Unix epoch encoded in a snowflake id, or None for a non-snowflake id."""
    try:
        value = int(tweet_id)
    except (TypeError, ValueError):
        return None
    return (value >> 22) + TWITTER_EPOCH_MS if value > (1 << 22) else None


def snowflake_time(tweet_id: str) -> datetime | None:
    ms = snowflake_ms(tweet_id)
    return datetime.fromtimestamp(ms / 1000, UTC) if ms is not None else None
