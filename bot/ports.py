"""Ports: what the service needs from the outside world, as structural protocols.

Adapters in ``bot.adapters`` satisfy them without inheriting: the X adapter (tweepy), the in-memory mock
client for tests, the scripted demo feed, and the dry-run publisher that prints instead of posting; the SQLite
store and its in-memory fake (``bot.adapters.memory_store``); the system clock and a hand-driven one.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from bot.core.incident import Incident
from bot.core.lifecycle import BOT_POSTER, Handled, Status
from bot.core.models import Decision, IncidentState, Me, Mention, MentionPage, Posted, Quarantined, Verdict
from bot.model.decide import OperatingPoint


class PlatformError(Exception):
    """A platform call failed for a reason that retrying now will not fix."""


class TransientPlatformError(PlatformError):
    """Network trouble, timeout or 5xx after the adapter's own retries: try again on the next poll."""


class RateLimited(TransientPlatformError):
    """429: wait until ``reset_at`` (epoch seconds) when known."""

    def __init__(self, message: str, reset_at: float | None = None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class PostOutcomeUnknown(TransientPlatformError):
    """A post may or may not have been created (timeout, reset, 5xx, lost answer): reconcile before reposting."""


class CreditsExhausted(PlatformError):
    """402 (pay-per-use credits used up) or a 429 of type ``usage-capped``: nothing will pass until an operator
    tops up or the plan's period turns; the account pauses instead of retrying every few seconds."""


class Unauthorized(PlatformError):
    """401: the account's credentials are wrong or revoked. Stop that account."""


class DuplicateContent(PlatformError):
    """403: X refused a text identical to a recent post of this account."""


class NotSummoned(PlatformError):
    """403: the post does not mention the account, so it may not reply to it."""


class PostGone(PlatformError):
    """403: the post to reply to was deleted by its author, or X removed it or hides it from this account."""


class ReadOnlyToken(Unauthorized):
    """X says the token may only read (``x-access-level: read``): the account could never post."""


class Platform(Protocol):
    """One support account on a social platform."""

    def me(self) -> Me:
        """Who this account is (id and handle)."""
        ...

    def fetch_mentions(self, since_id: str | None) -> MentionPage:
        """Every mention newer than ``since_id`` (all pages), oldest first.

        With ``since_id=None`` the platform's most recent page(s) are returned.
        """
        ...

    def post_reply(self, in_reply_to: str, text: str) -> Posted:
        """Post ``text`` as a reply to the post ``in_reply_to``. Raises a ``PlatformError`` subclass."""
        ...

    def post_status(self, text: str) -> Posted:
        """Post ``text`` as the account's own public post (an incident status post), in reply to nothing."""
        ...

    def own_replies(self, limit: int = 100) -> list[Posted]:
        """The account's own most recent replies, newest first (to reconcile claims after a crash)."""
        ...


class TextClassifier(Protocol):
    """Decides what a post is: the learned model with the lexicon as guardrail, or the lexicon alone."""

    def classify(self, text: str, lang: str | None = None, point: OperatingPoint | None = None) -> Verdict:
        """The verdict for one post at an account's operating point (None: the default). Never raises."""
        ...


class Clock(Protocol):
    """The one source of "now" for the service, its observers, health and metrics (a drill injects its own)."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class MentionStore(Protocol):
    """The bot's memory as the service uses it. ``bot.adapters.store.Store`` (SQLite) is the real one;
    ``bot.adapters.memory_store.MemoryStore`` the fake for unit tests. Both pass ``tests/test_store_contract.py``."""

    def transaction(self) -> AbstractContextManager[None]:
        """Writes inside land together or not at all."""
        ...

    # mentions
    def has_mention(self, mention_id: str) -> bool: ...

    def record_decision(self, mention: Mention, decision: Decision, status: Status, now: datetime) -> bool: ...

    def handled(self, mention_id: str) -> Handled | None: ...

    def set_status(self, mention_id: str, status: Status, now: datetime, **fields: Any) -> bool:
        """Move a mention along the lifecycle; ``InvalidStatusTransition`` for a move it does not allow."""
        ...

    def claim(self, mention_id: str, now: datetime, template: str | None = None, by: str = BOT_POSTER) -> bool: ...

    def claimed(self, account: str) -> list[Handled]: ...

    def pending(self, account: str, limit: int = 1000, born_after: datetime | None = None) -> list[Handled]: ...

    def waiting_count(self, account: str) -> int:
        """Replies waiting to go out: pending, or awaiting a human's approval."""
        ...

    def stale_pending(self, account: str, born_before: datetime) -> list[Handled]: ...

    def history_flags(
        self, account: str, conversation_id: str, author_id: str, since: datetime
    ) -> tuple[bool, bool, bool]: ...

    def author_replied_since(self, account: str, author_id: str, since: datetime, other_than: str) -> bool: ...

    def add_opt_out(self, account: str, author_id: str, now: datetime) -> None: ...

    def quarantine(self, account: str, record: Quarantined, now: datetime) -> bool:
        """Keep a record that cannot be a mention, for a human; False when kept before."""
        ...

    def quarantined(self, account: str | None = None) -> list[dict[str, Any]]: ...

    def settle_unposted(self, mention_id: str, now: datetime) -> bool:
        """A claim found not posted: True back to pending; False (the second time) failed, for a human."""
        ...

    # spending (what X bills: bot.core.pricing)
    def record_spend(self, account: str, kind: str, units: int, usd: float, now: datetime) -> None: ...

    def spent_since(self, account: str, since: datetime) -> float: ...

    def spend_by_kind(self, since: datetime) -> dict[tuple[str, str], tuple[int, float]]: ...

    # retention (X: erase content once the user deletes it; keep it no longer than needed)
    def erase(self, mention_id: str, now: datetime) -> bool: ...

    def purge(self, before: datetime, now: datetime) -> dict[str, int]: ...

    # posts
    def record_post(
        self, account: str, mention_id: str, post_id: str, text: str, template: str | None, now: datetime
    ) -> None: ...

    def adopt_reply(self, account: str, post: Posted, now: datetime) -> bool: ...

    def recent_post_texts(self, account: str, limit: int) -> list[str]: ...

    def recent_post_texts_elsewhere(self, account: str, limit: int) -> list[str]:
        """The newest posts of every *other* account, newest first (no two accounts may post alike)."""
        ...

    def posts_since(self, account: str, since: datetime) -> int: ...

    # checkpoints
    def checkpoint(self, account: str) -> str | None: ...

    def set_checkpoint(self, account: str, since_id: str, now: datetime) -> None: ...

    def reread_from(self, account: str, checkpoint: str | None, overlap_s: float) -> str | None: ...

    # incidents and status posts
    def incident(self, account: str) -> Incident: ...

    def save_incident(self, incident: Incident) -> None: ...

    def status_post(
        self, account: str, incident_started_at: datetime, state: IncidentState
    ) -> dict[str, Any] | None: ...

    def incident_has_status_post(self, account: str, incident_started_at: datetime) -> bool: ...

    def claim_status_post(
        self,
        account: str,
        incident_started_at: datetime,
        state: IncidentState,
        text: str,
        now: datetime,
        *,
        proposed: bool = False,
    ) -> bool: ...

    def release_status_post(self, account: str, incident_started_at: datetime, state: IncidentState) -> None: ...

    def finish_status_post(
        self,
        account: str,
        incident_started_at: datetime,
        state: IncidentState,
        now: datetime,
        *,
        post_id: str | None = None,
        text: str | None = None,
        error: str | None = None,
    ) -> None: ...
