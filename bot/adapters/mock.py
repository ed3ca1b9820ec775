"""In-memory platform for tests and the demo: mentions are added by hand, posts are recorded."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.models import Me, Mention, MentionPage, Posted
from bot.ports import DuplicateContent, PlatformError

_ids: Iterator[int] = itertools.count(1_620_000_000_000_000_000)


def next_id() -> str:
    """Snowflake-like ids: numeric strings that grow with time, shared by every mock account."""
    return str(next(_ids))


@dataclass
class MockPlatform:
    """A support account in memory. ``fail_next`` holds exceptions that the next calls raise, in order."""

    handle: str
    account: str
    user_id: str = field(default_factory=next_id)
    mentions: list[Mention] = field(default_factory=list)
    posts: list[Posted] = field(default_factory=list)
    fail_next: list[PlatformError] = field(default_factory=list)
    fetch_calls: int = 0

    def add_mention(
        self,
        text: str,
        author: str = "someone",
        *,
        lang: str | None = None,
        created_at: datetime | None = None,
        conversation_id: str | None = None,
        in_reply_to_user_id: str | None = None,
        author_id: str | None = None,
        referenced: tuple[tuple[str, str], ...] = (),
    ) -> Mention:
        mention_id = next_id()
        mention = Mention(
            id=mention_id,
            text=text if f"@{self.handle}".lower() in text.lower() else f"@{self.handle} {text}",
            author_id=author_id or f"u-{author.lower()}",
            author_handle=author,
            account=self.account,
            created_at=created_at or datetime.now(UTC),
            conversation_id=conversation_id or mention_id,
            lang=lang,
            in_reply_to_user_id=in_reply_to_user_id,
            referenced=referenced,
        )
        self.mentions.append(mention)
        return mention

    def me(self) -> Me:
        return Me(self.user_id, self.handle)

    def fetch_mentions(self, since_id: str | None) -> MentionPage:
        self.fetch_calls += 1
        self._maybe_fail()
        newer = [m for m in self.mentions if since_id is None or int(m.id) > int(since_id)]
        newer.sort(key=lambda m: int(m.id))
        return MentionPage(tuple(newer), newer[-1].id if newer else None)

    def post_reply(self, in_reply_to: str, text: str) -> Posted:
        self._maybe_fail()
        if any(p.text == text for p in self.posts[-50:]):
            raise DuplicateContent("You are not allowed to create a Tweet with duplicate content.")
        posted = Posted(next_id(), text, in_reply_to)
        self.posts.append(posted)
        return posted

    def post_status(self, text: str) -> Posted:
        return self.post_reply("", text)

    def own_replies(self, limit: int = 100) -> list[Posted]:
        return [p for p in reversed(self.posts[-limit:]) if p.in_reply_to]

    def replies_to(self, mention_id: str) -> list[Posted]:
        return [p for p in self.posts if p.in_reply_to == mention_id]

    def _maybe_fail(self) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)
