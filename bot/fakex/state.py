"""In-memory world of the fake X: accounts, tweets, who mentions whom, what the bot posted.

Not thread-safe by itself: :class:`bot.fakex.app.App` holds one lock around every call.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from bot.fakex.ids import IdGenerator, user_id_for

MENTION_RE = re.compile(r"(?<![A-Za-z0-9_])@([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_])")
MENTION_WINDOW = 800
"""X serves only the 800 most recent mentions of a user."""
TIMELINE_WINDOW = 3200
"""X serves only the 3,200 most recent posts of a user's timeline."""


@dataclass(frozen=True)
class Account:
    id: str
    handle: str
    name: str
    created_at: float


@dataclass(frozen=True)
class MentionEntity:
    start: int
    end: int
    username: str
    id: str


@dataclass(frozen=True)
class Tweet:
    id: str
    text: str
    author_id: str
    conversation_id: str
    created_at: float
    lang: str
    referenced: tuple[tuple[str, str], ...] = ()
    in_reply_to_user_id: str | None = None
    mentions: tuple[MentionEntity, ...] = ()
    visible_at: float = 0.0
    """When the post shows in mention timelines: later than ``created_at`` for a late-delivered mention."""
    display_start: int = 0
    """Where the text the author typed begins: after the @handles X fills in for a reply (``display_text_range``)."""

    def mentions_handle(self, handle: str) -> bool:
        return any(m.username.lower() == handle.lower() for m in self.mentions)


@dataclass(frozen=True)
class Post:
    """Something the bot posted through ``POST /2/tweets``."""

    id: str
    account: str
    text: str
    in_reply_to_tweet_id: str | None
    created_at: float


REPLY_PREFIX_RE = re.compile(r"(?:@[A-Za-z0-9_]{1,15}\s+)+")
"""The leading @handles of a reply: X fills them in (and hides them as "Replying to"); the author did not type them."""


def find_mentions(text: str) -> tuple[MentionEntity, ...]:
    return tuple(
        MentionEntity(m.start(), m.end(), m.group(1), user_id_for(m.group(1))) for m in MENTION_RE.finditer(text)
    )


@dataclass
class Store:
    ids: IdGenerator = field(default_factory=IdGenerator)
    accounts: dict[str, Account] = field(default_factory=dict)
    tweets: dict[str, Tweet] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    _mentions: dict[str, list[int]] = field(default_factory=dict)
    _timelines: dict[str, list[int]] = field(default_factory=dict)

    def clear(self) -> None:
        """Forget everything except the id generator, so ids keep increasing after a reset."""
        self.accounts.clear()
        self.tweets.clear()
        self.posts.clear()
        self._mentions.clear()
        self._timelines.clear()

    def account(self, handle: str, now: float) -> Account:
        """The account for ``handle``, created on first use with a stable numeric id."""
        user_id = user_id_for(handle)
        found = self.accounts.get(user_id)
        if found is None:
            found = Account(user_id, handle, handle, now)
            self.accounts[user_id] = found
        return found

    def add_tweet(
        self,
        *,
        text: str,
        author: Account,
        now: float,
        lang: str = "und",
        tweet_id: str | None = None,
        created_at: float | None = None,
        conversation_id: str | None = None,
        in_reply_to: str | None = None,
        visible_at: float = 0.0,
    ) -> Tweet:
        """Store a tweet and index it under every handle it mentions and under its author's timeline."""
        if tweet_id is None:
            tweet_id = self.ids.next(now)
        else:
            self.ids.observe(tweet_id)
        parent = self.tweets.get(in_reply_to) if in_reply_to else None
        if conversation_id is None:
            conversation_id = (parent.conversation_id if parent else in_reply_to) or tweet_id
        tweet = Tweet(
            id=tweet_id,
            text=text,
            author_id=author.id,
            conversation_id=conversation_id,
            created_at=now if created_at is None else created_at,
            lang=lang,
            referenced=(("replied_to", in_reply_to),) if in_reply_to else (),
            in_reply_to_user_id=parent.author_id if parent else None,
            mentions=find_mentions(text),
            visible_at=visible_at,
            display_start=len(m.group(0)) if in_reply_to and (m := REPLY_PREFIX_RE.match(text)) else 0,
        )
        self.tweets[tweet_id] = tweet
        for handle in {m.username.lower() for m in tweet.mentions}:
            bisect.insort(self._mentions.setdefault(handle, []), int(tweet_id))
        bisect.insort(self._timelines.setdefault(author.id, []), int(tweet_id))
        return tweet

    def record_post(self, tweet: Tweet, account: Account) -> Post:
        reply_to = next((tid for kind, tid in tweet.referenced if kind == "replied_to"), None)
        post = Post(tweet.id, account.handle, tweet.text, reply_to, tweet.created_at)
        self.posts.append(post)
        return post

    def mentions_of(self, account: Account, now: float | None = None) -> list[Tweet]:
        """The reachable mentions of ``account``, newest first (at most :data:`MENTION_WINDOW`); at ``now``,
        a late-delivered one shows only from its ``visible_at``. Deleted posts are gone."""
        ids = [i for i in self._mentions.get(account.handle.lower(), []) if str(i) in self.tweets][-MENTION_WINDOW:]
        tweets = [self.tweets[str(i)] for i in reversed(ids)]
        return tweets if now is None else [t for t in tweets if t.visible_at <= now]

    def delete(self, tweet_id: str) -> bool:
        """The author deleted the post (or X removed it): it leaves every timeline; replies to it are refused."""
        return self.tweets.pop(tweet_id, None) is not None

    def timeline_of(self, account: Account, now: float | None = None, lag_s: float = 0.0) -> list[Tweet]:
        """The account's own posts, newest first (at most :data:`TIMELINE_WINDOW`); with ``lag_s``, the ones
        made in the last ``lag_s`` seconds before ``now`` do not show yet (X's timelines lag)."""
        ids = [i for i in self._timelines.get(account.id, []) if str(i) in self.tweets][-TIMELINE_WINDOW:]
        tweets = [self.tweets[str(i)] for i in reversed(ids)]
        return tweets if now is None or lag_s <= 0 else [t for t in tweets if t.created_at <= now - lag_s]

    def recent_texts(self, account: Account, since: float) -> set[str]:
        return {t.text.strip() for t in self.timeline_of(account) if t.created_at >= since}
