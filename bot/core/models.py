"""Value objects shared by every layer. Frozen, typed, no behaviour that does I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Action(StrEnum):
    """What the bot does with a mention."""

    REPLY = "reply"
    ESCALATE = "escalate"
    IGNORE = "ignore"
    REVIEW = "review"
    """The model thinks it may be a complaint but is not sure enough to post: a human decides."""


class Category(StrEnum):
    """The area that is failing (see LABELS: outage, login, wallet, checkout, cart, scan, chat)."""

    OUTAGE = "outage"
    LOGIN = "login"
    WALLET = "wallet"
    CHECKOUT = "checkout"
    CART = "cart"
    SCAN = "scan"
    CHAT = "chat"


class IncidentState(StrEnum):
    """Per-country incident state that picks the reply wording."""

    NONE = "none"
    INVESTIGATING = "investigating"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Mention:
    """A post that mentions one of our support accounts, as the project sees it."""

    id: str
    text: str
    author_id: str
    author_handle: str
    account: str
    """Code of the configured account the mention was fetched for (e.g. ``ID``)."""
    created_at: datetime | None = None
    conversation_id: str | None = None
    lang: str | None = None
    in_reply_to_user_id: str | None = None
    referenced: tuple[tuple[str, str], ...] = ()
    """(type, id) pairs: ``replied_to``, ``quoted``, ``retweeted``."""
    typed_handle: bool = True
    """The account's @handle is in the text the author typed, not only in the reply prefix X fills in
    (``display_text_range``). False: the author did not ask the account anything."""

    @property
    def thread_id(self) -> str:
        return self.conversation_id or self.id

    @property
    def is_retweet(self) -> bool:
        return any(kind == "retweeted" for kind, _ in self.referenced) or self.text.startswith("RT @")

    @property
    def replied_to_id(self) -> str | None:
        return next((tid for kind, tid in self.referenced if kind == "replied_to"), None)


@dataclass(frozen=True)
class Verdict:
    """What the classifier says about one text."""

    action: Action
    category: Category | None
    lang: str
    reason: str
    score: float = 0.0
    """Confidence in ``action``: the model's calibrated probability, or the lexicon's fixed weight."""


@dataclass(frozen=True)
class Decision:
    """What the policy decided to do with one mention, and why."""

    action: Action
    reason: str
    verdict: Verdict
    reply_text: str | None = None
    template: str | None = None


@dataclass(frozen=True)
class Posted:
    """A reply that the platform accepted."""

    id: str
    text: str
    in_reply_to: str


@dataclass(frozen=True)
class Me:
    """The authenticated account."""

    id: str
    handle: str


@dataclass(frozen=True)
class Quarantined:
    """A record X sent that cannot be a mention (no id, no text...): kept with its raw JSON for a human."""

    id: str
    """The record's id when it had a usable one, else ''."""
    reason: str
    raw: str


@dataclass(frozen=True)
class MentionPage:
    """All mentions newer than a checkpoint, oldest first, plus what the platform said about its window."""

    mentions: tuple[Mention, ...]
    newest_id: str | None = None
    extras: dict[str, str] = field(default_factory=dict)
    quarantined: tuple[Quarantined, ...] = ()
    """Records that failed the checks at the adapter's edge; the rest of the page went on."""
