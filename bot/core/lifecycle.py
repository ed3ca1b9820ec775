"""The life of a handled mention: its statuses, the moves allowed between them, and what a send attempt ends in.

Like ``core/incident.py``, a closed set with a transition table; the store refuses a move the table does not
allow, so a bug shows up as an error instead of a mention in a state nobody looks at. Pure.

::

    (new) ─┬─> pending ──> claimed ──> replied ──> escalated      (a holding reply for an escalation)
           │      │           ├──> pending      (not sent: transient error, reconciled and not found)
           │      │           ├──> failed / skipped
           │      ├──> expired            (too old to answer, no status post: a human sees it)
           │      ├──> covered_by_status  (too old to answer; the account's status post answers it)
           │      └──> skipped / failed
           ├─> awaiting_approval ──> pending (approved)
           ├─> unsure ──> pending (approved)
           ├─> escalated, ignored, skipped
           └─> replied   (adopted: the account had already answered it on X)

A human can escalate any mention not posted, or queue a hand-written reply for it (back to ``pending``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PENDING = "pending"
    """Decided ``reply`` (or an escalation's holding reply), waiting to be posted."""
    AWAITING_APPROVAL = "awaiting_approval"
    """The account is in approval mode: a human approves before anything is posted."""
    UNSURE = "unsure"
    """The model found it possibly a complaint, below the reply threshold: a human decides."""
    CLAIMED = "claimed"
    """A post is being attempted; after a crash it is reconciled with the account's own replies."""
    REPLIED = "replied"
    ESCALATED = "escalated"
    IGNORED = "ignored"
    SKIPPED = "skipped"
    """Nothing to post (cooldown, thread answered, too old when seen, opted out...); the reason says why."""
    FAILED = "failed"
    """A permanent error (template, X refused); waits for a human."""
    EXPIRED = "expired"
    """A complaint that could not be answered within the freshness window and no status post covered it."""
    COVERED = "covered_by_status"
    """A complaint that could not be answered in time; the account's public status post for the incident did."""


S = Status
HUMAN_CAN_REQUEUE = frozenset({S.ESCALATED, S.FAILED, S.IGNORED, S.SKIPPED, S.EXPIRED, S.COVERED})

TRANSITIONS: dict[Status | None, frozenset[Status]] = {
    None: frozenset({S.PENDING, S.AWAITING_APPROVAL, S.UNSURE, S.ESCALATED, S.IGNORED, S.SKIPPED, S.REPLIED}),
    S.PENDING: frozenset({S.CLAIMED, S.SKIPPED, S.FAILED, S.EXPIRED, S.COVERED, S.ESCALATED, S.REPLIED}),
    S.CLAIMED: frozenset({S.CLAIMED, S.REPLIED, S.PENDING, S.FAILED, S.SKIPPED}),
    S.REPLIED: frozenset({S.ESCALATED}),
    S.AWAITING_APPROVAL: frozenset({S.PENDING, S.ESCALATED, S.EXPIRED}),
    S.UNSURE: frozenset({S.PENDING, S.ESCALATED}),
    **{s: frozenset({S.PENDING, S.ESCALATED} - {s}) for s in HUMAN_CAN_REQUEUE},
}
"""Every move a mention may make. ``None`` is a mention not yet recorded."""

POSTED = frozenset({S.CLAIMED, S.REPLIED})
"""A reply is out, or may be: a human escalating such a mention keeps its status (the thread stays answered)."""

UNANSWERED = frozenset({S.EXPIRED, S.COVERED})
"""Complaints nobody answered one by one: counted per account and category in the human queue."""

BOT_POSTER = "bot"
"""Who claims a mention to post it: the bot's outbox (one bot per database: its lock), or another door that posts
beside it through the same outbox (``console``, ``cli``), any number of them at once."""

STALE, STALE_BY_BUDGET = "stale", "stale:budget"
"""The ``error`` of a complaint too old to answer one by one; ``stale:budget``: the post budget was spent then."""


class InvalidStatusTransition(ValueError):
    def __init__(self, mention_id: str, current: Status | None, new: Status) -> None:
        allowed = ", ".join(sorted(TRANSITIONS.get(current, frozenset()))) or "nothing"
        super().__init__(f"mention {mention_id}: cannot move from {current or 'new'} to {new} (allowed: {allowed})")


def predecessors(new: Status) -> frozenset[Status]:
    """The statuses a mention may be in to move to ``new``."""
    return frozenset(s for s, targets in TRANSITIONS.items() if s is not None and new in targets)


def allowed(current: Status | None, new: Status) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


class Event(StrEnum):
    """Things the service tells its observers about besides decisions and posts (counted in metrics)."""

    WINDOW_OVERRUN = "window_overrun"
    """Mentions fell out of X's 800-mention window before they were read: lost."""
    EXPIRED = "expired"
    COVERED = "covered_by_status"
    STATUS_POSTED = "status_posted"
    STATUS_PROPOSED = "status_proposed"
    CREDITS_EXHAUSTED = "credits_exhausted"
    """X refused for billing (402, usage cap): the account pauses reading or posting for a while."""
    QUARANTINED = "quarantined"
    """Records X sent that cannot be mentions (no id, no text...): kept for a human, the rest went on."""
    BUDGET_SPENT = "budget_spent"
    """``budget_per_24h_usd`` is spent on reads and posts: the account stops reading until money rolls off."""


class SendOutcome(StrEnum):
    """What one attempt to post a mention's reply ended in."""

    POSTED = "posted"
    SKIPPED = "skipped"
    """Nothing to post, or not any more (no longer pending, too old, cooldown, not summoned)."""
    TRANSIENT = "transient"
    """X is struggling: stop this round, try again later (the mention waits)."""
    ERROR = "error"
    """A permanent failure for this mention (it waits for a human); the others go on."""
    BUDGET = "budget"
    """The account's post budget is spent."""


@dataclass(frozen=True)
class Handled:
    """A recorded mention as the outbox reads it."""

    id: str
    account: str
    action: str
    status: Status
    author_id: str
    author_handle: str
    lang: str | None
    category: str | None
    created_at: datetime | None
    seen_at: datetime | None
    text: str = ""
    reason: str = ""
    template: str | None = None
    manual_text: str | None = None
    updated_at: datetime | None = None
    """When the status last changed: for a claim, when it was claimed (just before the post was sent)."""
    unknown_outcomes: int = 0
    """How often a post's outcome was unknown and then found not posted (a second time: a human decides)."""
    claimed_by: str | None = None
    """Who claimed it (``BOT_POSTER``, ``console``, ``cli``); None before this was recorded: the bot."""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Handled:
        return cls(
            id=row["id"],
            account=row["account"],
            action=row["action"],
            status=Status(row["status"]),
            author_id=row.get("author_id") or "",
            author_handle=row.get("author_handle") or "",
            lang=row.get("lang"),
            category=row.get("category"),
            created_at=_time(row.get("created_at")),
            seen_at=_time(row.get("seen_at")),
            text=row.get("text") or "",
            reason=row.get("reason") or "",
            template=row.get("template"),
            manual_text=row.get("manual_text"),
            updated_at=_time(row.get("updated_at")),
            unknown_outcomes=int(row.get("unknown_outcomes") or 0),
            claimed_by=row.get("claimed_by"),
        )

    @property
    def born(self) -> datetime | None:
        """When the mention was written (or, if X did not say, first seen): its age counts from here."""
        return self.created_at or self.seen_at


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
