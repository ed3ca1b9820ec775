"""The pause after X refuses for billing (402 credits used up, a usage cap): one per lane and account.

Neither passes by trying again a few seconds later, so the lane that met it (reading or posting) waits
``BILLING_PAUSE_S`` and says so once: an error line, ``replybot_events_total{event="credits_exhausted"}`` and
the alert webhook (through the observer).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.lifecycle import Event
from bot.ports import Clock, CreditsExhausted
from bot.service.observer import Observer
from bot.settings import Account

log = logging.getLogger("bot.service")

BILLING_PAUSE_S = 15 * 60
"""After X refuses for billing, the lane waits this long before it asks again (a top-up is a human's job)."""


@dataclass
class BillingPause:
    doing: str
    """What pauses, for the log: ``reading`` or ``posting``."""
    clock: Clock
    observer: Observer
    _until: dict[str, datetime] = field(default_factory=dict)

    def active(self, account: Account) -> bool:
        until = self._until.get(account.code)
        return until is not None and self.clock.now() < until

    def start(self, account: Account, exc: CreditsExhausted) -> None:
        self._until[account.code] = self.clock.now() + timedelta(seconds=BILLING_PAUSE_S)
        log.error(
            "X refused %s for billing (%s): paused for %d minutes; top up the account's credits",
            self.doing,
            exc,
            BILLING_PAUSE_S // 60,
            extra={"account": account.code},
        )
        self.observer.noted(account, Event.CREDITS_EXHAUSTED, 1)
