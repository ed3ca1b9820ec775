"""A platform that records what each call costs (X's pay-per-use price list) in the store's spend ledger.

Wraps the real X adapter in the composition root, so every path that reads or posts (intake, outbox,
reconciliation, status posts, the review queue) is billed the same way and the budget sees it all. A call that
fails costs nothing here (X bills what it returns or creates).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.models import Me, MentionPage, Posted
from bot.core.pricing import Spend, post_kind, unit_price
from bot.ports import Clock, MentionStore, Platform
from bot.settings import Limits


@dataclass
class MeteredPlatform:
    inner: Platform
    account: str
    store: MentionStore
    limits: Limits
    clock: Clock

    def _spend(self, kind: Spend, units: int) -> None:
        if units > 0:
            usd = units * unit_price(kind, self.limits)
            self.store.record_spend(self.account, kind.value, units, usd, self.clock.now())

    def me(self) -> Me:
        return self.inner.me()

    def fetch_mentions(self, since_id: str | None) -> MentionPage:
        page = self.inner.fetch_mentions(since_id)
        self._spend(Spend.READ, len(page.mentions))
        return page

    def post_reply(self, in_reply_to: str, text: str) -> Posted:
        posted = self.inner.post_reply(in_reply_to, text)
        self._spend(post_kind(text, reply=True), 1)
        return posted

    def post_status(self, text: str) -> Posted:
        posted = self.inner.post_status(text)
        self._spend(post_kind(text, reply=False), 1)
        return posted

    def own_replies(self, limit: int = 100) -> list[Posted]:
        replies = self.inner.own_replies(limit)
        self._spend(Spend.READ, len(replies))
        return replies
