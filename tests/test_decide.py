"""The operating point and the decision rule: the lexicon only ever moves a decision toward caution."""

from __future__ import annotations

import pytest

from bot.core.models import Action, Category, Verdict
from bot.model.decide import OperatingPoint, Probabilities, Unsure, caution_signals, choose

POINT = OperatingPoint(reply_threshold=0.8, escalate_threshold=0.3, review_threshold=0.5)
QUIET = Verdict(Action.IGNORE, None, "id", "no_signal", 0.5)
LEX_REPLY = Verdict(Action.REPLY, Category.LOGIN, "id", "complaint:login", 0.9)
LEX_MONEY = Verdict(Action.ESCALATE, Category.WALLET, "id", "escalate:money", 0.9)
LEX_SPAM = Verdict(Action.IGNORE, None, "id", "spam", 0.9)
NO_TAGS: frozenset[str] = frozenset()


def p(reply: float, escalate: float) -> Probabilities:
    return Probabilities(reply, escalate, 1.0 - reply - escalate)


def test_a_confident_complaint_is_answered_and_the_reason_names_the_model() -> None:
    action, reason, score = choose(p(0.9, 0.05), QUIET, NO_TAGS, POINT)
    assert (action, reason, score) == (Action.REPLY, "model:reply p=0.90", 0.9)


def test_a_lexicon_escalation_is_never_overridden_by_a_confident_model() -> None:
    action, reason, _ = choose(p(0.99, 0.0), LEX_MONEY, NO_TAGS, POINT)
    assert (action, reason) == (Action.ESCALATE, "guardrail:escalate:money")


def test_spam_stays_ignored_whatever_the_model_says() -> None:
    assert choose(p(0.95, 0.0), LEX_SPAM, NO_TAGS, POINT)[:2] == (Action.IGNORE, "guardrail:spam")


def test_a_money_signal_turns_a_model_reply_into_a_human_review() -> None:
    tags = frozenset({"signal:money_weak", "area:wallet", "signal:fail"})
    action, reason, _ = choose(p(0.95, 0.02), QUIET, tags, POINT)
    assert action is Action.REVIEW
    assert reason == "guardrail:caution(money_weak) p=0.95"


def test_the_model_alone_can_escalate() -> None:
    assert choose(p(0.4, 0.35), LEX_REPLY, NO_TAGS, POINT)[0] is Action.ESCALATE


def test_below_the_reply_threshold_a_likely_complaint_goes_to_a_human() -> None:
    assert choose(p(0.6, 0.1), LEX_REPLY, NO_TAGS, POINT)[0] is Action.REVIEW


def test_below_the_reply_threshold_unsure_ignore_leaves_it_alone() -> None:
    point = OperatingPoint(reply_threshold=0.8, escalate_threshold=0.3, review_threshold=0.5, unsure=Unsure.IGNORE)
    action, reason, _ = choose(p(0.6, 0.1), LEX_REPLY, NO_TAGS, point)
    assert (action, reason) == (Action.IGNORE, "model:unsure p=0.60")


def test_an_unlikely_complaint_is_ignored() -> None:
    assert choose(p(0.2, 0.05), LEX_REPLY, NO_TAGS, POINT)[0] is Action.IGNORE


def test_the_lexicon_saying_reply_never_makes_the_model_reply() -> None:
    # the lexicon's own reply is only a feature: below the threshold nothing is posted
    for reply in (0.0, 0.3, 0.79):
        assert choose(p(reply, 0.0), LEX_REPLY, NO_TAGS, POINT)[0] is not Action.REPLY


def test_caution_signals_are_read_from_signal_tags_only() -> None:
    assert caution_signals(frozenset({"area:wallet", "signal:refund", "signal:fail", "complaint:login"})) == ["refund"]


@pytest.mark.parametrize("name", ["reply_threshold", "escalate_threshold", "review_threshold"])
def test_a_threshold_outside_zero_to_one_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match=name):
        OperatingPoint(**{name: 1.5})  # type: ignore[arg-type]


def test_the_category_comes_from_the_head_of_the_action_taken() -> None:
    from bot.model.decide import Categories
    from bot.model.learned import combine

    heads = Categories(reply="login", escalate="wallet")
    assert combine(p(0.9, 0.05), heads, QUIET, NO_TAGS, POINT).category is Category.LOGIN
    escalated = combine(p(0.1, 0.6), heads, QUIET, NO_TAGS, POINT)
    assert (escalated.action, escalated.category) == (Action.ESCALATE, Category.WALLET)
    guardrail = combine(p(0.99, 0.0), heads, LEX_MONEY, NO_TAGS, POINT)  # a lexicon escalation: the escalation head
    assert (guardrail.action, guardrail.category) == (Action.ESCALATE, Category.WALLET)
    no_area = combine(p(0.1, 0.6), Categories("login", "none"), LEX_MONEY, NO_TAGS, POINT)
    assert no_area.category is Category.WALLET  # the head names no area: the lexicon's category
