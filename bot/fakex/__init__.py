"""A fake X (Twitter) API v2 server for drills and tests: mentions, posting, rate limits and faults.

Public API: :class:`FakeX` (in-process, background thread), :func:`serve` (blocking, for the CLI),
:func:`parse_faults` and :class:`Clock`. See ``docs/FAKE_X.md``.
"""

from bot.fakex.clock import Clock
from bot.fakex.faults import FAULT_KINDS, parse_faults
from bot.fakex.rates import TIERS
from bot.fakex.server import FakeX, serve

LIMITS: tuple[str, ...] = tuple(TIERS)
"""Valid values of ``limits``/``--limits``."""

__all__ = ["FAULT_KINDS", "LIMITS", "Clock", "FakeX", "parse_faults", "serve"]
