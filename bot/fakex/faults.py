"""Fault injection: ``KIND=RATE`` pairs, drawn from a seeded RNG, for ``/2/`` endpoints only."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

FAULT_KINDS: tuple[str, ...] = ("500", "503", "429", "hang", "malformed", "reset", "lost", "402", "capped")
"""What each kind does:

``500``/``503``: an X-like error body with that status. ``429``: Too Many Requests with no rate-limit
headers (so a client cannot know the reset). ``hang``: no answer for ``hang_seconds``, then the connection
closes. ``malformed``: 200 with truncated JSON. ``reset``: the connection closes with no response. ``lost``
(``POST /2/tweets`` only): the post is stored, then the connection closes with no response. ``402``: the
pay-per-use credits are used up (``CreditsDepleted``). ``capped``: 429 of type ``usage-capped`` (a usage cap
of the plan reached; waiting for the rate-limit window does not help).
"""


def parse_faults(spec: str) -> dict[str, float]:
    """``"500=0.05,hang=0.01"`` → ``{"500": 0.05, "hang": 0.01}``. Raises ``ValueError`` on a bad spec."""
    rates: dict[str, float] = {}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        kind, sep, value = item.partition("=")
        kind, value = kind.strip().lower(), value.strip()
        if not sep or not value:
            raise ValueError(f"fault {item!r}: expected KIND=RATE, e.g. 500=0.05")
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault {item!r}: unknown kind {kind!r}; known kinds: {', '.join(FAULT_KINDS)}")
        if kind in rates:
            raise ValueError(f"fault {item!r}: {kind} is given twice")
        try:
            rate = float(value)
        except ValueError:
            raise ValueError(f"fault {item!r}: rate {value!r} is not a number between 0 and 1") from None
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault {item!r}: rate {rate} is outside 0..1")
        rates[kind] = rate
    total = sum(rates.values())
    if total > 1.0 + 1e-9:
        raise ValueError(f"fault rates add up to {total:g}; they are fractions of requests and must sum to <= 1")
    return rates


@dataclass
class FaultPlan:
    """One uniform draw per ``/2/`` request picks at most one fault, in :data:`FAULT_KINDS` order.

    ``lost`` only exists for ``POST /2/tweets``; elsewhere a draw in its band means no fault, so every
    endpoint sees the other kinds at the same rates. Not thread-safe alone: the app calls it under its lock.
    """

    rates: dict[str, float] = field(default_factory=dict)
    seed: int | None = None
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def pick(self, is_post: bool) -> str | None:
        if not self.rates:
            return None
        draw = self._rng.random()
        edge = 0.0
        for kind in FAULT_KINDS:
            edge += self.rates.get(kind, 0.0)
            if draw < edge:
                return None if kind == "lost" and not is_post else kind
        return None
