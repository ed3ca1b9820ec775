"""The pure policy: skips first, escalations always, then at most one reply per thread and author."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.models import Action, Category, Mention, Verdict
from bot.core.policy import History, decide

NOW = datetime(2023, 2, 6, 9, 0, tzinfo=UTC)
COMPLAINT = Verdict(Action.REPLY, Category.LOGIN, "id", "complaint:login")
MONEY = Verdict(Action.ESCALATE, Category.WALLET, "id", "escalate:money")


def mention(**kw: object) -> Mention:
    base: dict[str, object] = {
        "id": "100",
        "text": "@ShopeeID gabisa login",
        "author_id": "u1",
        "author_handle": "rina",
        "account": "ID",
        "created_at": NOW - timedelta(minutes=5),
    }
    base.update(kw)
    return Mention(**base)  # type: ignore[arg-type]


def history(**kw: object) -> History:
    base: dict[str, object] = {
        "own_user_id": "bot",
        "brand_handles": frozenset({"shopeeid", "shopeeth"}),
        "now": NOW,
        "max_age_s": 7200.0,
    }
    base.update(kw)
    return History(**base)  # type: ignore[arg-type]


def test_a_complaint_is_answered() -> None:
    assert decide(mention(), COMPLAINT, history()).action is Action.REPLY


def test_money_at_risk_escalates_even_in_an_answered_thread() -> None:
    decision = decide(mention(), MONEY, history(thread_answered=True))
    assert decision.action is Action.ESCALATE and decision.reason == "escalate:money"


def test_an_answered_thread_is_not_answered_again() -> None:
    assert decide(mention(), COMPLAINT, history(thread_answered=True)).reason == "skip:thread_answered"


def test_an_author_in_cooldown_is_not_answered_again() -> None:
    assert decide(mention(), COMPLAINT, history(author_recently_answered=True)).reason == "skip:author_cooldown"


def test_own_posts_and_other_brand_accounts_are_skipped() -> None:
    assert decide(mention(author_id="bot"), COMPLAINT, history()).reason == "skip:own_post"
    assert decide(mention(author_handle="ShopeeTH"), COMPLAINT, history()).reason == "skip:brand_account"


def test_retweets_and_old_mentions_are_skipped() -> None:
    rt = mention(referenced=(("retweeted", "9"),))
    assert decide(rt, COMPLAINT, history()).reason == "skip:retweet"
    old = mention(created_at=NOW - timedelta(hours=3))
    assert decide(old, MONEY, history()).reason == "skip:too_old"


def test_a_mention_that_asks_to_stop_is_an_opt_out_whatever_it_says_besides() -> None:
    assert decide(mention(), COMPLAINT, history(asks_to_stop=True)).reason == "skip:opt_out_request"
    # money at risk still reaches a person, in the queue, with nothing posted to them unasked
    escalation = decide(mention(), MONEY, history(asks_to_stop=True))
    assert escalation.action is Action.REVIEW and escalation.reason.startswith("skip:opt_out_request:")
    assert decide(mention(), MONEY, history(author_opted_out=True)).action is Action.REVIEW


def test_an_opted_out_author_is_skipped() -> None:
    assert decide(mention(), COMPLAINT, history(author_opted_out=True)).reason == "skip:opted_out"


def test_a_mention_only_in_the_reply_prefix_is_not_answered_unless_it_replies_to_the_bot() -> None:
    prefix_only = mention(typed_handle=False, in_reply_to_user_id="someone")
    assert decide(prefix_only, COMPLAINT, history()).reason == "skip:not_addressed"
    to_the_bot = mention(typed_handle=False, in_reply_to_user_id="bot")
    assert decide(to_the_bot, COMPLAINT, history()).action is Action.REPLY
