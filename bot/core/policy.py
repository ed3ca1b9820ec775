"""The policy: given a mention, the classifier's verdict and what the bot remembers, what to do. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.models import Action, Decision, Mention, Verdict

OPTED_OUT = frozenset({"skip:opt_out_request", "skip:opted_out"})


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
    asks_to_stop: bool = False
    """The mention itself asks the bot to stop replying (:mod:`bot.core.opt_out`): the author opts out."""


def skip_reason(mention: Mention, history: History) -> str | None:
    """Why this mention must not be handled at all, whatever it says; None when it may be."""
    if mention.author_id == history.own_user_id:
        return "skip:own_post"
    if mention.author_handle.lower() in history.brand_handles:
        return "skip:brand_account"
    if mention.is_retweet:
        return "skip:retweet"
    if not mention.typed_handle and mention.in_reply_to_user_id != history.own_user_id:
        return "skip:not_addressed"  # only X's reply prefix names the account: nobody asked it
    if mention.created_at and (history.now - mention.created_at).total_seconds() > history.max_age_s:
        return "skip:too_old"
    if history.asks_to_stop:
        return "skip:opt_out_request"
    if history.author_opted_out:
        return "skip:opted_out"
    return None


def decide(mention: Mention, verdict: Verdict, history: History) -> Decision:
    """Turn a verdict into a decision: skips first, then escalations, then at most one reply per thread/author."""
    skip = skip_reason(mention, history)
    if skip in OPTED_OUT and verdict.action is Action.ESCALATE:
        # money at risk or a takeover still reaches a person, but nothing is posted to them unasked
        return Decision(Action.REVIEW, f"{skip}:{verdict.reason}", verdict)
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
