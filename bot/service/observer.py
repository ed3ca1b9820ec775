"""What watches the service: the protocol every observer satisfies, and the plain logging one."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.core.lifecycle import Event, Handled
from bot.core.models import Decision, Mention
from bot.core.replies import ComposedReply
from bot.settings import Account

log = logging.getLogger("bot.service")


class Observer(Protocol):
    """Hears what the service does; the console printer in dry-run, logs and metrics in production."""

    def decided(self, account: Account, mention: Mention, decision: Decision, status: str) -> None: ...

    def posted(self, account: Account, row: Handled, reply: ComposedReply, post_id: str) -> None: ...

    def noted(self, account: Account, event: Event, count: int) -> None:
        """``count`` mentions lost to the window, expired, covered; or a status post made or proposed."""
        ...

    def poll_done(self, account: Account) -> None: ...


class LogObserver:
    def decided(self, account: Account, mention: Mention, decision: Decision, status: str) -> None:
        log.info(
            "decided %s",
            decision.action.value,
            extra={"account": account.code, "mention_id": mention.id, "reason": decision.reason},
        )

    def posted(self, account: Account, row: Handled, reply: ComposedReply, post_id: str) -> None:
        log.info(
            "replied with %s",
            reply.template,
            extra={"account": account.code, "mention_id": row.id, "post_id": post_id},
        )

    def noted(self, account: Account, event: Event, count: int) -> None:
        messages = {
            Event.WINDOW_OVERRUN: "%d mentions fell out of X's mention window before they were read: lost",
            Event.EXPIRED: "%d complaints too old to answer and no status post: left for a human",
            Event.COVERED: "%d complaints too old to answer one by one: covered by the status post",
            Event.STATUS_POSTED: "status post made (%d)",
            Event.STATUS_PROPOSED: "status post proposed for approval (%d): replybot incident status-posts",
            Event.CREDITS_EXHAUSTED: "X refused for billing (%d): paused; top up the account's credits",
            Event.QUARANTINED: "%d records from X could not be mentions: quarantined (replybot review list)",
            Event.BUDGET_SPENT: "budget_per_24h_usd spent on reads and posts (%d): reading paused; raise it or wait",
        }
        loud = (Event.WINDOW_OVERRUN, Event.EXPIRED, Event.CREDITS_EXHAUSTED, Event.BUDGET_SPENT, Event.QUARANTINED)
        level = logging.WARNING if event in loud else logging.INFO
        log.log(level, messages[event], count, extra={"account": account.code})

    def poll_done(self, account: Account) -> None:
        pass
