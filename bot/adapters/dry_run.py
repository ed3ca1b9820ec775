"""Dry-run is a wiring choice: this wrapper lets reads through and never sends a post."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.models import Me, MentionPage, Posted
from bot.ports import Platform


@dataclass
class DryRunPlatform:
    """Wraps a real platform: reads go through, posts are never sent (the observer prints them)."""

    inner: Platform
    sent: int = 0

    def me(self) -> Me:
        return self.inner.me()

    def fetch_mentions(self, since_id: str | None) -> MentionPage:
        return self.inner.fetch_mentions(since_id)

    def post_reply(self, in_reply_to: str, text: str) -> Posted:
        self.sent += 1
        return Posted(f"dry-run-{self.sent}", text, in_reply_to)

    def post_status(self, text: str) -> Posted:
        self.sent += 1
        return Posted(f"dry-run-{self.sent}", text, "")

    def own_replies(self, limit: int = 100) -> list[Posted]:
        return []
