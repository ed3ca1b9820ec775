"""Ports: what the service needs from the outside world, as structural protocols.

Adapters in ``bot.adapters`` satisfy them without inheriting: the X adapter (tweepy), the in-memory mock
client for tests, the scripted demo feed, and the dry-run publisher that prints instead of posting.
"""

from __future__ import annotations

from typing import Protocol

from bot.core.models import Me, MentionPage, Posted, Verdict
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


class Unauthorized(PlatformError):
    """401: the account's credentials are wrong or revoked. Stop that account."""


class DuplicateContent(PlatformError):
    """403: X refused a text identical to a recent post of this account."""


class NotSummoned(PlatformError):
    """403: the post does not mention the account, so it may not reply to it."""


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

    def own_replies(self, limit: int = 100) -> list[Posted]:
        """The account's own most recent replies, newest first (to reconcile claims after a crash)."""
        ...


class TextClassifier(Protocol):
    """Decides what a post is: the learned model with the lexicon as guardrail, or the lexicon alone."""

    def classify(self, text: str, lang: str | None = None, point: OperatingPoint | None = None) -> Verdict:
        """The verdict for one post at an account's operating point (None: the default). Never raises."""
        ...
