"""Observers that compose others: a fan-out to several, and the glue from decisions to spike alerts.

Both satisfy the service's ``Observer`` protocol structurally (``decided``, ``posted``, ``poll_done``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.adapters.store import utcnow
from bot.adapters.webhook import Notifier
from bot.core.lifecycle import Event, Handled
from bot.core.models import Action, Decision, Mention
from bot.core.replies import ComposedReply
from bot.core.spike import SpikeDetector, SpikeKind
from bot.service import Observer
from bot.settings import Account

log = logging.getLogger(__name__)


class FanOut:
    """Forwards every call to each observer in turn; one that raises is logged and the others still hear it."""

    def __init__(self, *observers: Observer) -> None:
        self.observers = observers

    def _each(self, method: str, account: Account, *args: Any) -> None:
        for observer in self.observers:
            try:
                getattr(observer, method)(account, *args)
            except Exception:  # observability must never stop the service
                name = type(observer).__name__
                log.exception("observer %s failed in %s", name, method, extra={"account": account.code})

    def decided(self, account: Account, mention: Mention, decision: Decision, status: str) -> None:
        self._each("decided", account, mention, decision, status)

    def posted(self, account: Account, row: Handled, reply: ComposedReply, post_id: str) -> None:
        self._each("posted", account, row, reply, post_id)

    def noted(self, account: Account, event: Event, count: int) -> None:
        self._each("noted", account, event, count)

    def poll_done(self, account: Account) -> None:
        self._each("poll_done", account)


COMPLAINT_ACTIONS = frozenset({Action.REPLY, Action.ESCALATE})


class SpikeAlerts:
    """Feeds every complaint (a ``reply`` or ``escalate`` decision) to the detector and checks after each poll.

    A complaint counts at the mention's own ``created_at`` when known, so a backlog fetched after a pause lands in
    the minutes it was written in rather than looking like a burst. Escalations the service made because it could
    not decide (reason ``error:...``) are not complaints and are not counted.
    """

    def __init__(
        self,
        detector: SpikeDetector,
        notifier: Notifier | None = None,
        clock: Callable[[], datetime] = utcnow,
        on_start: Callable[[str, datetime], object] | None = None,
    ) -> None:
        self.detector = detector
        self.notifier = notifier
        self.clock = clock
        self.on_start = on_start
        """Called with (account code, time) when a spike starts: e.g. open an incident."""

    def decided(self, account: Account, mention: Mention, decision: Decision, status: str) -> None:
        if decision.action in COMPLAINT_ACTIONS and not decision.reason.startswith("error:"):
            self.detector.observe(account.code, mention.created_at or self.clock())

    def posted(self, account: Account, row: Handled, reply: ComposedReply, post_id: str) -> None:
        pass

    def noted(self, account: Account, event: Event, count: int) -> None:
        """Mentions lost to X's window are alerted like a spike: nobody will ever see them otherwise."""
        if self.notifier is None:
            return
        if event is Event.WINDOW_OVERRUN:
            self.notifier.notify_text(
                f":warning: replybot [{account.code}]: about {count} mentions fell out of X's mention window "
                "before they were read (lost); reads are not keeping up"
            )
        elif event is Event.CREDITS_EXHAUSTED:
            self.notifier.notify_text(
                f":money_with_wings: replybot [{account.code}]: X refused for billing (credits used up or a usage "
                "cap reached); the account is paused for 15 minutes at a time until its credits are topped up"
            )
        elif event is Event.BUDGET_SPENT:
            self.notifier.notify_text(
                f":money_with_wings: replybot [{account.code}]: budget_per_24h_usd is spent on reads and posts; "
                "mentions are not read until spending rolls off the 24 hours (or the budget is raised)"
            )

    def poll_done(self, account: Account) -> None:
        event = self.detector.check(account.code, self.clock())
        if event is None:
            return
        started = event.kind is SpikeKind.START
        log.log(
            logging.WARNING if started else logging.INFO,
            "complaint spike %s: %.1f/min, baseline %.1f/min",
            "started" if started else "ended",
            event.rate_per_minute,
            event.baseline_per_minute,
            extra={"account": account.code},
        )
        if self.notifier:
            self.notifier.notify(event)
        if started and self.on_start:
            self.on_start(account.code, event.at)
