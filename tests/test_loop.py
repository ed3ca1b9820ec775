"""The loop with in-memory platforms and a real SQLite file: poll → classify → reply → remember."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.adapters.clock import ManualClock
from bot.adapters.mock import MockPlatform
from bot.bootstrap import App
from bot.ports import NotSummoned, TransientPlatformError
from bot.settings import Settings

COMPLAINT_ID = "aplikasinya error terus, gabisa login dari tadi pagi"
COMPLAINT_TH = "แอปล่มหรือเปล่าคะ เข้าแอปไม่ได้เลย"
PRAISE_ID = "makasih min, paketnya udah sampai cepet banget"
MONEY_ID = "saldo ShopeePay saya hilang 300rb setelah ke-logout sendiri, tolong!"


def poll_all(app: App) -> None:
    for account in app.accounts:
        app.service.poll(account)


def test_a_complaint_gets_exactly_one_reply_in_its_language(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    th = platforms["TH"]
    mention = th.add_mention(COMPLAINT_TH, "ploy_sk", lang="th")
    app = make_app()
    poll_all(app)
    replies = th.replies_to(mention.id)
    assert len(replies) == 1
    assert replies[0].text.startswith("@ploy_sk ")
    row = app.store.mention(mention.id)
    assert row is not None and row["status"] == "replied" and row["reply_id"] == replies[0].id
    assert row["template"].startswith("TH/th/")


def test_the_same_mention_seen_again_gets_nothing(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    mention = platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    app = make_app()
    poll_all(app)
    app.store.set_checkpoint("ID", "1", datetime.now(UTC))  # as if X served the same mention again
    poll_all(app)
    assert len(platforms["ID"].replies_to(mention.id)) == 1


def test_a_restart_with_the_same_database_neither_re_answers_nor_skips(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    first = platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    poll_all(make_app())
    second = platforms["ID"].add_mention("app nya error, ga bisa dibuka sama sekali", "bagas")
    restarted = make_app()
    poll_all(restarted)
    assert len(platforms["ID"].replies_to(first.id)) == 1
    assert len(platforms["ID"].replies_to(second.id)) == 1
    assert restarted.store.checkpoint("ID") == second.id


def test_a_praise_tweet_gets_nothing(make_app: Callable[..., App], platforms: dict[str, MockPlatform]) -> None:
    mention = platforms["ID"].add_mention(PRAISE_ID, "andika")
    app = make_app()
    poll_all(app)
    assert platforms["ID"].posts == []
    row = app.store.mention(mention.id)
    assert row is not None and row["action"] == "ignore" and row["status"] == "ignored"


def test_money_at_risk_gets_no_reply_and_waits_for_a_human(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    mention = platforms["ID"].add_mention(MONEY_ID, "mas_tono")
    app = make_app()
    poll_all(app)
    assert platforms["ID"].posts == []
    row = app.store.mention(mention.id)
    assert row is not None and row["action"] == "escalate" and row["status"] == "escalated"


def test_an_escalation_gets_only_a_holding_reply_where_the_account_wants_one(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    sg = platforms["SG"]  # holding_reply = true in the shipped config
    mention = sg.add_mention("my ShopeePay balance dropped by $200 and I did not buy anything. hacked?", "kumar")
    app = make_app()
    poll_all(app)
    row = app.store.mention(mention.id)
    assert row is not None and row["action"] == "escalate" and row["status"] == "escalated"
    (holding,) = sg.replies_to(mention.id)
    assert holding.text.startswith("@kumar ") and row["reply_id"] == holding.id
    assert "escalate" in row["template"]


def test_only_one_reply_per_conversation(make_app: Callable[..., App], platforms: dict[str, MockPlatform]) -> None:
    first = platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    platforms["ID"].add_mention("masih error min, gabisa login", "budi", conversation_id=first.id)
    poll_all(make_app())
    assert len(platforms["ID"].posts) == 1


def test_at_most_one_reply_per_author_within_the_cooldown(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    platforms["ID"].add_mention("masih error min, gabisa login", "rina")
    poll_all(make_app())
    assert len(platforms["ID"].posts) == 1


def test_old_mentions_retweets_and_brand_accounts_are_skipped(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    ph = platforms["PH"]
    ph.add_mention("app is down, can't log in", "old_timer", created_at=datetime.now(UTC) - timedelta(hours=5))
    ph.add_mention("RT @someone: @ShopeePH app is down, can't log in", "retweeter")
    ph.add_mention("app is down, can't log in", "ShopeeID")
    app = make_app()
    poll_all(app)
    assert ph.posts == []
    reasons = sorted(r["reason"] for r in app.store.mentions("PH"))
    assert reasons == ["skip:brand_account", "skip:retweet", "skip:too_old"]


def test_an_author_who_says_stop_is_never_answered_again(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    ph = platforms["PH"]
    ph.add_mention("stop", "annoyed", in_reply_to_user_id=ph.user_id)
    app = make_app()
    poll_all(app)
    ph.add_mention("app is down, can't log in", "annoyed")
    poll_all(app)
    assert ph.posts == []
    assert app.store.opted_out("u-annoyed")


def test_a_transient_error_keeps_the_reply_waiting_until_the_next_poll(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    mention = platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    app = make_app()
    platforms["ID"].fetch_mentions(None)  # consume nothing; next failure hits the post
    platforms["ID"].fail_next.append(TransientPlatformError("503"))
    account = app.settings.account("ID")
    app.service.intake.handle(account, app.service.me(account), mention)
    app.service.send_pending(account)
    assert platforms["ID"].posts == []
    assert app.store.mention(mention.id)["status"] == "pending"  # type: ignore[index]
    app.service.send_pending(account)
    assert len(platforms["ID"].replies_to(mention.id)) == 1


def test_a_not_summoned_refusal_is_recorded_and_not_retried(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    mention = platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    app = make_app()
    account = app.settings.account("ID")
    app.service.intake.handle(account, app.service.me(account), mention)
    platforms["ID"].fail_next.append(NotSummoned("You can only reply to or quote posts where you are mentioned"))
    app.service.send_pending(account)
    app.service.send_pending(account)
    assert platforms["ID"].posts == []
    assert app.store.mention(mention.id)["error"] == "not_summoned"  # type: ignore[index]


def test_a_mention_that_breaks_the_classifier_goes_to_a_human_and_the_loop_goes_on(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    bad = platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    good = platforms["ID"].add_mention("app nya error, ga bisa dibuka sama sekali", "bagas")
    app = make_app()
    original = app.service.classifier.classify

    def explode_once(text: str, lang: str | None = None, point=None):  # type: ignore[no-untyped-def]
        if bad.id in text or text == bad.text:
            raise RuntimeError("boom")
        return original(text, lang, point)

    app.service.classifier.classify = explode_once  # type: ignore[method-assign]
    poll_all(app)
    assert app.store.mention(bad.id)["reason"] == "error:RuntimeError"  # type: ignore[index]
    assert len(platforms["ID"].replies_to(good.id)) == 1


def test_dry_run_posts_nothing_and_leaves_the_live_database_alone(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform], settings: Settings
) -> None:
    from bot.bootstrap import build

    platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    app = build(settings, dry_run=True, platforms=platforms)
    poll_all(app)
    assert platforms["ID"].posts == []
    assert [r["status"] for r in app.store.mentions("ID")] == ["replied"]
    assert not settings.db_path.exists()


def test_switching_the_incident_state_changes_the_next_reply(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    from bot.core.models import IncidentState
    from bot.service import move_incident

    app = make_app()
    ph, account = platforms["PH"], app.settings.account("PH")
    first = ph.add_mention("app is down, can't log in", "ana")
    app.service.poll(account)
    move_incident(app.store, "PH", IncidentState.INVESTIGATING, datetime.now(UTC), 3600)
    second = ph.add_mention("app is down, can't log in", "ben")
    app.service.poll(account)
    templates = [app.store.mention(m.id)["template"] for m in (first, second)]  # type: ignore[index]
    assert "/none/" in templates[0] and "/investigating/" in templates[1]


def test_when_the_budget_is_spent_the_freshest_replies_go_first_and_escalations_never_wait(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform], settings: Settings
) -> None:
    tight = dataclasses.replace(settings, limits=dataclasses.replace(settings.limits, posts_per_15min=2))
    now = datetime.now(UTC)
    clock = ManualClock(now)
    app = make_app(settings=tight, clock=clock)
    account = tight.account("ID")
    mentions = [
        platforms["ID"].add_mention(COMPLAINT_ID, f"user{i}", created_at=now - timedelta(minutes=10 - i))
        for i in range(5)
    ]
    money = platforms["ID"].add_mention(MONEY_ID, "mas_tono")
    app.service.poll(account)
    assert [p.in_reply_to for p in platforms["ID"].posts] == [mentions[4].id, mentions[3].id]
    assert app.store.mention(money.id)["status"] == "escalated"  # type: ignore[index]  # never waits
    assert [r.id for r in app.store.pending("ID")] == [m.id for m in reversed(mentions[:3])]
    clock.advance(16 * 60)  # the 15-minute window refills, but the rest are now too old to answer one by one
    app.service.poll(account)
    assert len(platforms["ID"].posts) == 2
    assert {app.store.mention(m.id)["status"] for m in mentions[:3]} == {"expired"}  # type: ignore[index]
    assert {r["id"] for r in app.store.queue("ID")} >= {m.id for m in mentions[:3]}  # a human sees them


def test_a_duplicate_content_refusal_is_retried_once_with_another_wording(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    from bot.ports import DuplicateContent

    mention = platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    app = make_app()
    account = app.settings.account("ID")
    app.service.intake.handle(account, app.service.me(account), mention)
    handled = app.store.handled(mention.id)
    assert handled is not None
    first_choice = app.service.outbox.compose(account, handled, app.service.outbox.incident(account), exclude=())
    platforms["ID"].fail_next.append(DuplicateContent("You are not allowed to create a Tweet with duplicate content."))
    app.service.send_pending(account)
    (posted,) = platforms["ID"].replies_to(mention.id)
    row = app.store.mention(mention.id)
    assert row is not None and row["status"] == "replied" and row["reply_text"] == posted.text
    assert first_choice is not None and posted.text != first_choice.text


def test_a_spike_declares_an_incident_once(make_app: Callable[..., App]) -> None:
    from bot.core.models import IncidentState
    from bot.service import declare_on_spike

    app = make_app()
    now = datetime.now(UTC)
    declare_on_spike(app.store, "TH", now, 3600)
    started = app.store.incident("TH").started_at
    declare_on_spike(app.store, "TH", now + timedelta(minutes=5), 3600)
    incident = app.store.incident("TH")
    assert incident.state is IncidentState.INVESTIGATING and incident.started_at == started


def test_a_new_database_never_answers_again_what_the_account_already_answered(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    from bot.core.models import Posted

    answered = platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    platforms["ID"].posts.append(Posted("9001", "@rina kami sedang menanganinya", answered.id))  # the lost DB's reply
    fresh = platforms["ID"].add_mention("app nya error, ga bisa dibuka sama sekali", "bagas")
    app = make_app()  # a database that never saw either mention
    poll_all(app)
    assert len(platforms["ID"].replies_to(answered.id)) == 1  # still only the old reply
    assert len(platforms["ID"].replies_to(fresh.id)) == 1
    row = app.store.mention(answered.id)
    assert row is not None and (row["status"], row["reason"], row["reply_id"]) == (
        "replied",
        "adopted:own_reply",
        "9001",
    )


def test_a_first_start_answers_nothing_while_its_own_replies_cannot_be_read(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    mention = platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    app = make_app()
    account = app.service.settings.account("ID")
    original = platforms["ID"].own_replies

    def unreadable(limit: int = 100) -> list:  # type: ignore[type-arg]
        raise TransientPlatformError("timeline timed out")

    platforms["ID"].own_replies = unreadable  # type: ignore[method-assign]
    app.service.poll(account)
    assert platforms["ID"].replies_to(mention.id) == [] and app.store.mention(mention.id) is None
    platforms["ID"].own_replies = original  # type: ignore[method-assign]
    app.service.poll(account)
    assert len(platforms["ID"].replies_to(mention.id)) == 1


def test_credentials_of_another_user_stop_that_account_with_both_handles_named(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    import pytest

    from bot.service import AccountStopped

    impostor = MockPlatform(handle="SomeoneElse", account="ID")
    impostor.add_mention(COMPLAINT_ID, "rina")
    app = make_app(platforms={**platforms, "ID": impostor})
    with pytest.raises(AccountStopped, match=r"@SomeoneElse, not of the configured @ShopeeID"):
        app.service.poll(app.settings.account("ID"))
    assert impostor.posts == [] and app.store.checkpoint("ID") is None
    app.service.poll(app.settings.account("TH"))  # the other accounts go on
