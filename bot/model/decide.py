"""The operating point and the rule that turns the model's probabilities into an action. Pure.

Order of the rule (the lexicon can only move a decision toward caution, never toward an auto-reply):

1. the lexicon's spam rule: ignore (a scam report quoting a "prize" is not spam: the lexicon checks that);
2. the lexicon's escalation (money at risk, account takeover, scam, legal): escalate;
3. the model's escalate probability at or above ``escalate_threshold``: escalate;
4. the model's reply probability at or above ``reply_threshold``: reply, unless a caution signal of the lexicon
   (money, account safety) is in the post: then a human reviews it;
5. the model's complaint probability (reply + escalate) at or above ``review_threshold``: a human reviews it
   (``unsure = "review"``) or it is left alone (``unsure = "ignore"``);
6. otherwise: ignore.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.models import Action, Verdict


class Unsure(StrEnum):
    """What happens to a post the model finds possibly a complaint, below the reply threshold."""

    REVIEW = "review"
    IGNORE = "ignore"


CAUTION_SIGNALS = frozenset(
    {
        "money",
        "money_weak",
        "refund",
        "unauthorized",
        "twice",
        "disown",
        "takeover",
        "account_locked",
        "legal",
        "scam",
        "changed",
    }
)
"""Lexicon signals of money or account safety at stake: with any of them a model reply becomes a human review.

Chosen on source-held-out readings: ``money_weak`` keeps two escalations a round from being auto-replied; ``secret``
(an OTP or password named) and ``not_credited`` ("never came") are left out: they only sent plain login and outage
complaints ("the OTP never arrives") to review, and caught no escalation."""


@dataclass(frozen=True)
class OperatingPoint:
    """Thresholds on calibrated probabilities; one per account (``[accounts.X] reply_threshold`` ...)."""

    reply_threshold: float = 0.8
    escalate_threshold: float = 0.15
    review_threshold: float = 0.5
    unsure: Unsure = Unsure.REVIEW

    def __post_init__(self) -> None:
        for name in ("reply_threshold", "escalate_threshold", "review_threshold"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")


@dataclass(frozen=True)
class Probabilities:
    reply: float
    escalate: float
    ignore: float

    @property
    def complaint(self) -> float:
        return self.reply + self.escalate


@dataclass(frozen=True)
class Categories:
    """The category heads' choices for a post: the failing area if it is a reply, and if it is an escalation
    (``none``: no area applies, e.g. a scam report)."""

    reply: str
    escalate: str

    def of(self, action: Action) -> str:
        """The area for ``action``: an escalation's head for an escalation, the reply head otherwise."""
        return self.escalate if action is Action.ESCALATE else self.reply


def caution_signals(tags: frozenset[str]) -> list[str]:
    """The caution signals among a post's lexicon tags, sorted."""
    return sorted(t.split(":", 1)[1] for t in tags if t.startswith("signal:") and t[7:] in CAUTION_SIGNALS)


def choose(
    p: Probabilities, lexicon: Verdict, tags: frozenset[str], point: OperatingPoint
) -> tuple[Action, str, float]:
    """(action, reason, confidence) for one post. ``reason`` says what decided."""
    if lexicon.reason == "spam":
        return Action.IGNORE, "guardrail:spam", lexicon.score
    if lexicon.action is Action.ESCALATE:
        return Action.ESCALATE, f"guardrail:{lexicon.reason}", lexicon.score
    if p.escalate >= point.escalate_threshold:
        return Action.ESCALATE, f"model:escalate p={p.escalate:.2f}", p.escalate
    if p.reply >= point.reply_threshold:
        caution = caution_signals(tags)
        if caution:
            return Action.REVIEW, f"guardrail:caution({','.join(caution)}) p={p.reply:.2f}", p.reply
        return Action.REPLY, f"model:reply p={p.reply:.2f}", p.reply
    if p.complaint >= point.review_threshold:
        if point.unsure is Unsure.REVIEW:
            return Action.REVIEW, f"model:unsure p={p.reply:.2f}", p.complaint
        return Action.IGNORE, f"model:unsure p={p.reply:.2f}", 1.0 - p.complaint
    return Action.IGNORE, f"model:ignore p={p.ignore:.2f}", p.ignore
