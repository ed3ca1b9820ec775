"""What the console must refuse whatever a human clicks (issue 15, found in review): a claim another poster holds
is never settled under it, the bot's template never goes to an author who opted out, to a brand's own post or
into a thread it already answered, a reply is never written over one already out, a refused click changes no
label; and the numbers count the bot's own decisions, the same on every page."""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from web_console import Desk

import bot.adapters.mock as mock
from bot.entrypoints import review_actions as act

COMPLAINT = "aplikasinya error terus, gabisa login dari tadi pagi"
MONEY = "saldo ShopeePay saya hilang setelah transfer!!"
_sequence = itertools.count()


def snowflake_now() -> str:
    """An X id that carries the wall-clock time, as X's do (the in-memory X's ids carry none)."""
    ms = int(time.time() * 1000) - 1288834974657
    return str((ms << 22) | (next(_sequence) % 4096))


def test_a_click_never_settles_a_claim_another_click_is_still_posting(
    agent_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Click A's post is slow; click B posts after A claimed; click C's reconcile sees B's post, newer than A's
    claim, on the timeline, but A's claim is younger than one X call can take: it stays claimed, and the bot's
    own round leaves it too (not its claim). Posted once."""
    monkeypatch.setattr(mock, "next_id", snowflake_now)
    x, app = agent_desk.x, agent_desk.app
    account = app.settings.account("ID")
    clicks = dataclasses.replace(app.service.outbox, poster="console")  # as `replybot web` posts
    slow, other, third = (agent_desk.decide(COMPLAINT, f"u{i}", status="awaiting_approval") for i in range(3))
    for m in (slow, other, third):
        assert app.store.release_for_posting(m.id, datetime.now(UTC))
    post_reply, started, release = x.post_reply, threading.Event(), threading.Event()

    def slow_post(in_reply_to: str, text: str) -> Any:
        if in_reply_to == slow.id:
            started.set()
            assert release.wait(10)
        return post_reply(in_reply_to, text)

    monkeypatch.setattr(x, "post_reply", slow_post)
    click_a = threading.Thread(target=clicks.send_mention, args=(account, slow.id))
    click_a.start()
    assert started.wait(10)
    time.sleep(1.1)  # the claim's time is kept to the second: B's post is now later than it
    assert str(clicks.send_mention(account, other.id)) == "posted"
    clicks.send_mention(account, third.id)  # its reconcile sees B's post
    assert app.store.mention(slow.id)["status"] == "claimed"  # type: ignore[index]
    assert app.store.mention(slow.id)["claimed_by"] == "console"  # type: ignore[index]
    app.service.send_pending(account)  # the bot's own round
    release.set()
    click_a.join(10)
    assert len(x.replies_to(slow.id)) == 1


def test_no_template_reaches_an_author_who_opted_out_by_hand_back_or_approve(agent_desk: Desk) -> None:
    store = agent_desk.app.store
    store.add_opt_out("ID", "u-rina", datetime.now(UTC))
    store.add_opt_out("ID", "u-budi", datetime.now(UTC))
    ignored = agent_desk.decide(COMPLAINT, "rina")
    assert agent_desk.row(ignored.id)["reason"] == "skip:opted_out"
    page = agent_desk.client.get(f"/mention/{ignored.id}").text
    assert "/hand-back" not in page and "opted out" in page and 'id="write-reply"' in page
    agent_desk.post(f"/mention/{ignored.id}/hand-back")
    money = agent_desk.decide(MONEY, "budi")  # money at risk from an opted-out author: unsure, for a person
    assert agent_desk.row(money.id)["status"] == "unsure"
    agent_desk.post("/queue/approve", id=[money.id])
    agent_desk.post(f"/queue/{money.id}/approve")
    assert agent_desk.x.replies_to(ignored.id) == [] and agent_desk.x.replies_to(money.id) == []
    assert agent_desk.row(ignored.id)["status"] == "skipped" and store.label(ignored.id) is None
    assert agent_desk.row(money.id)["status"] == "unsure" and store.label(money.id) is None


def test_a_selection_approves_only_what_approval_mode_held_back(agent_desk: Desk) -> None:
    held = agent_desk.decide(COMPLAINT, "a", status="awaiting_approval")
    unsure = agent_desk.decide(COMPLAINT, "b", status="unsure")
    page = agent_desk.client.get("/queue").text
    assert f'value="{held.id}" form="approve-selected"' in page
    assert f'value="{unsure.id}" form="approve-selected"' not in page
    agent_desk.post("/queue/approve", id=[held.id, unsure.id])
    assert len(agent_desk.x.replies_to(held.id)) == 1 and agent_desk.x.replies_to(unsure.id) == []
    assert "1 refused" in agent_desk.client.get("/queue").text
    agent_desk.post(f"/mention/{unsure.id}/approve")  # alone, after reading: yes
    assert len(agent_desk.x.replies_to(unsure.id)) == 1


def test_hand_back_never_answers_a_thread_twice(agent_desk: Desk) -> None:
    first = agent_desk.decide(COMPLAINT, "rina", conversation_id="c1")
    agent_desk.app.service.send_pending(agent_desk.app.settings.account("ID"))
    second = agent_desk.decide(COMPLAINT, "tono", conversation_id="c1")
    assert agent_desk.row(second.id)["reason"] == "skip:thread_answered"
    agent_desk.post(f"/mention/{second.id}/hand-back")
    assert len(agent_desk.x.replies_to(first.id)) == 1 and agent_desk.x.replies_to(second.id) == []
    assert "one reply per thread" in agent_desk.client.get(f"/mention/{second.id}").text


def test_a_reply_from_an_old_copy_of_the_mention_is_refused_and_keeps_the_label(agent_desk: Desk) -> None:
    settings, store = agent_desk.app.settings, agent_desk.app.store
    money = agent_desk.decide(MONEY, "budi")
    old_copy = agent_desk.row(money.id)  # a second click read the mention before the first was sent
    agent_desk.post(f"/mention/{money.id}/reply", text="Kami sudah kirim DM ya.", label="escalate")
    assert agent_desk.row(money.id)["reply_id"] and store.label(money.id)["action"] == "escalate"  # type: ignore[index]
    with pytest.raises(act.Refused):
        act.reply(settings, store, old_copy, "a second text", "reply", None, "Bob", datetime.now(UTC))
    agent_desk.app.service.send_mention(settings.account("ID"), money.id)
    assert [p.text for p in agent_desk.x.replies_to(money.id)] == ["@budi Kami sudah kirim DM ya."]
    assert store.label(money.id)["action"] == "escalate"  # type: ignore[index]


def test_a_losing_approve_click_does_not_relabel(agent_desk: Desk) -> None:
    settings, store = agent_desk.app.settings, agent_desk.app.store
    mention = agent_desk.decide(COMPLAINT, status="unsure")
    old_copy = agent_desk.row(mention.id)  # Bob's page, read before Ayu answered
    agent_desk.post(f"/mention/{mention.id}/reply", text="Sudah kami cek, mohon DM ya.", label="escalate")
    assert not act.approve(settings, store, old_copy, "Bob", datetime.now(UTC))  # already answered
    assert (store.label(mention.id) or {})["action"] == "escalate" and len(agent_desk.x.replies_to(mention.id)) == 1


def test_the_chart_counts_what_the_bot_decided_not_what_a_human_did_later(agent_desk: Desk) -> None:
    complaint = agent_desk.decide(COMPLAINT, "a", status="unsure")
    agent_desk.post(f"/mention/{complaint.id}/escalate")
    assert agent_desk.row(complaint.id)["action"] == "escalate"
    counts = agent_desk.client.get("/api/series?hours=1").json()["accounts"]["ID"]
    assert sum(counts["escalations"]) == 0 and sum(counts["complaints"]) == 1
    label = agent_desk.app.store.label(complaint.id)
    assert label is not None and label["model_action"] == "reply"


def test_the_overview_and_the_queue_count_unanswered_by_budget_alike(agent_desk: Desk) -> None:
    store = agent_desk.app.store
    store.record_spend("ID", "read", 1, 10_000.0, datetime.now(UTC))  # the money is spent
    agent_desk.decide(COMPLAINT, "b")  # decided: reply, pending, waiting for budget
    assert "unanswered by budget <strong>1</strong>" in agent_desk.client.get("/queue").text
    assert "unanswered by budget 1" in agent_desk.client.get("/overview/numbers").text


def test_failed_logins_from_one_address_are_refused_for_a_while_then_allowed() -> None:
    from bot.web.auth import FAILURE_WINDOW_S, FAILURES_ALLOWED, LoginThrottle

    now = [1000.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for _ in range(FAILURES_ALLOWED - 1):
        throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 0
    throttle.failed("10.0.0.1")
    assert 0 < throttle.retry_after("10.0.0.1") <= FAILURE_WINDOW_S + 1 and throttle.retry_after("10.0.0.2") == 0
    now[0] += FAILURE_WINDOW_S + 1
    assert throttle.retry_after("10.0.0.1") == 0


def test_the_login_page_answers_429_after_repeated_failures_even_to_the_right_token(desk: Desk) -> None:
    from web_console import TOKEN, login

    from bot.web.auth import FAILURES_ALLOWED

    for _ in range(FAILURES_ALLOWED):
        assert login(desk.client, secret="wrong-token-guess-123").status_code == 401
    refused = login(desk.client)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "too many failed logins" in refused.text and TOKEN not in refused.text
