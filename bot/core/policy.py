"""The policy: given a mention, the classifier's verdict and what the bot remembers, what to do. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.core.models import Action, Decision, Mention, Verdict

# A reply to the bot that is only one of these words opts the author out, forever.
OPT_OUT_WORDS = frozenset({"stop", "unsubscribe", "berhenti", "หยุด", "tigil", "dừng", "dung", "停止", "stop bot"})
_STRIP = re.compile(r"(@\w+|https?://\S+|[\s.!。！,，]+)")


@dataclass(frozen=True)
class History:
    """What the store knows that matters for one decision."""

    own_user_id: str
    brand_handles: frozenset[str]
    """Lower-case handles of every configured brand account (no bot-to-bot loops)."""
    now: datetime
    max_age_s: float
    thread_answered: bool = False
    author_recently_answered: bool = False
    author_opted_out: bool = False


def is_opt_out(mention: Mention, own_user_id: str) -> bool:
    """True when the mention is a reply to the bot whose whole text is a stop word."""
    if mention.in_reply_to_user_id != own_user_id:
        return False
    words = _STRIP.sub(" ", mention.text).strip().lower()
    return words in OPT_OUT_WORDS


def skip_reason(mention: Mention, history: History) -> str | None:
    """Why this mention must not be handled at all, whatever it says; None when it may be."""
    if mention.author_id == history.own_user_id:
        return "skip:own_post"
    if mention.author_handle.lower() in history.brand_handles:
        return "skip:brand_account"
    if mention.is_retweet:
        return "skip:retweet"
    if mention.created_at and (history.now - mention.created_at).total_seconds() > history.max_age_s:
        return "skip:too_old"
    if is_opt_out(mention, history.own_user_id):
        return "skip:opt_out_request"
    if history.author_opted_out:
        return "skip:opted_out"
    return None


def decide(mention: Mention, verdict: Verdict, history: History) -> Decision:
    """Turn a verdict into a decision: skips first, then escalations, then at most one reply per thread/author."""
    skip = skip_reason(mention, history)
    if skip:
        return Decision(Action.IGNORE, skip, verdict)
    if verdict.action is Action.IGNORE:
        return Decision(Action.IGNORE, verdict.reason, verdict)
    if verdict.action in (Action.ESCALATE, Action.REVIEW):
        return Decision(verdict.action, verdict.reason, verdict)
    if history.thread_answered:
        return Decision(Action.IGNORE, "skip:thread_answered", verdict)
    if history.author_recently_answered:
        return Decision(Action.IGNORE, "skip:author_cooldown", verdict)
    return Decision(Action.REPLY, verdict.reason, verdict)
