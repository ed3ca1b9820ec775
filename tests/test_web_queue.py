"""The console's queue and mention page (issue 15): counts, filters, approving one or a selection, edit and send,
a written reply, hand back, escalate, done: each posts at most once whatever the clicks, stores the label the
CLI stores and is audited; hostile posts render harmless."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from conftest import CONFIG
from web_console import HOSTILE, Desk, login

from bot.adapters.store import Store
from bot.cli import main
from bot.core.lifecycle import STALE_BY_BUDGET, Status
from bot.core.models import Action, Category, Decision, Mention, Verdict

COMPLAINT = "aplikasinya error terus, gabisa login dari tadi pagi"
MONEY = "saldo ShopeePay saya hilang setelah transfer!!"


def label(desk: Desk, mention_id: str) -> tuple[object, ...] | None:
    found = desk.app.store.label(mention_id)
    return (found["action"], found["category"], found["labelled_by"]) if found else None


def test_an_approval_posts_once_whatever_the_clicks(agent_desk: Desk) -> None:
    mention = agent_desk.decide(COMPLAINT, status="unsure")
    assert mention.id in agent_desk.client.get("/queue").text
    first = agent_desk.post(f"/queue/{mention.id}/approve")
    assert first.status_code == 303 and "approved 1, posted 1" in agent_desk.client.get("/queue").text
    second = agent_desk.post(f"/queue/{mention.id}/approve")
    assert "no longer waiting" in agent_desk.client.get(second.headers["location"]).text
    assert len(agent_desk.x.replies_to(mention.id)) == 1
    assert agent_desk.app.store.handled(mention.id).status is Status.REPLIED  # type: ignore[union-attr]
    assert label(agent_desk, mention.id) == ("reply", "login", "approve")
    audit = agent_desk.client.get("/audit").text
    assert "approve" in audit and "approve-refused" in audit and "Ayu" in audit


def test_a_selection_is_approved_in_one_form_and_a_repeat_posts_nothing(agent_desk: Desk) -> None:
    ids = [agent_desk.decide(COMPLAINT, f"user{i}", status="awaiting_approval").id for i in range(3)]
    chosen = ids[:2]
    page = agent_desk.client.get("/queue").text
    assert page.count('form="approve-selected"') == 3
    for _ in range(2):  # a double submit
        agent_desk.post("/queue/approve", id=chosen)
    assert [len(agent_desk.x.replies_to(i)) for i in ids] == [1, 1, 0]
    assert agent_desk.row(ids[2])["status"] == "awaiting_approval"
    assert "no longer waiting" in agent_desk.client.get("/queue").text


def test_the_queue_counts_each_kind_and_filters_by_account_category_and_language(agent_desk: Desk) -> None:
    login_id = agent_desk.decide(COMPLAINT, "a", status="unsure").id
    money_id = agent_desk.decide(MONEY, "b").id
    english = agent_desk.decide("the app keeps crashing, cannot checkout my cart", "c", lang="en", status="failed").id
    assert agent_desk.row(money_id)["action"] == "escalate"
    counts = agent_desk.app.store.queue_counts("ID")
    assert (counts["unsure"], counts["escalations"], counts["failed"]) == (1, 1, 1)
    page = agent_desk.client.get("/queue").text
    assert "escalations <strong>1</strong>" in page and "unsure <strong>1</strong>" in page
    by_category = agent_desk.client.get("/queue?category=login").text
    assert login_id in by_category and money_id not in by_category
    by_lang = agent_desk.client.get("/queue?lang=en").text
    assert english in by_lang and login_id not in by_lang
    assert "nothing waits" in agent_desk.client.get("/queue?account=TH").text
    assert login_id in agent_desk.client.get("/queue?account=ID&category=nonsense").text  # unknown: ignored


def test_complaints_that_went_stale_while_the_budget_was_spent_count_as_unanswered_by_budget(desk: Desk) -> None:
    store, account = desk.app.store, desk.app.settings.account("ID")
    old = datetime.now(UTC) - timedelta(minutes=30)
    starved = desk.decide(COMPLAINT, "a", created_at=old)
    store.record_spend("ID", "read", 1, 10_000.0, datetime.now(UTC))  # the 24-hour money is spent
    desk.app.service.send_pending(account)
    assert desk.row(starved.id)["status"] == "expired" and desk.row(starved.id)["error"] == STALE_BY_BUDGET
    assert store.unanswered_by_cause("ID") == {"budget": 1, "other": 0}
    login(desk.client)
    waiting = desk.decide(COMPLAINT, "b")  # fresh, pending, and no budget to post it
    page = desk.client.get("/queue").text
    assert "unanswered by budget <strong>2</strong>" in page and "1 waiting now" in page
    assert desk.row(waiting.id)["status"] == "pending"


def test_the_mention_page_shows_the_thread_the_reason_and_the_confidence(agent_desk: Desk) -> None:
    first = agent_desk.decide("aplikasi error dari pagi", "sari")
    agent_desk.app.service.send_pending(agent_desk.app.settings.account("ID"))
    (ours,) = agent_desk.x.replies_to(first.id)
    follow = agent_desk.decide(COMPLAINT, "sari", conversation_id=first.id, referenced=(("replied_to", ours.id),))
    row = agent_desk.row(follow.id)
    assert row["parent_id"] == ours.id and row["confidence"] is not None
    page = agent_desk.client.get(f"/mention/{follow.id}").text
    assert (
        f"our post {ours.id}" in page and f'href="/mention/{first.id}"' in page and "aplikasi error dari pagi" in page
    )
    assert row["reason"] in page and f"{row['confidence']:.2f}" in page
    assert agent_desk.client.get("/mention/999").status_code == 404


def test_a_hostile_post_renders_harmless_on_the_queue_and_the_mention_page(agent_desk: Desk) -> None:
    mention = agent_desk.decide(HOSTILE, "mallory", status="unsure")
    for path in ("/queue", f"/mention/{mention.id}", "/audit"):
        html = agent_desk.client.get(path).text
        assert "<script>alert(1)</script>" not in html, path
        assert len(html) < 20_000, path  # a 10,000-character post is cut on the page
    html = agent_desk.client.get(f"/mention/{mention.id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and 'class="text" dir="auto"' in html


def test_edit_and_send_prefills_the_template_and_posts_the_edited_text_once(agent_desk: Desk) -> None:
    mention = agent_desk.decide(COMPLAINT, status="unsure")
    page = agent_desk.client.get(f"/mention/{mention.id}").text
    assert "ID/id/none/login.j2" in page and "Ref: " in page.split('id="edit-and-send"')[1]
    edited = "@rina Maaf ya kak, tim kami sedang cek login-nya. Coba lagi 10 menit lagi."
    for _ in range(2):  # a double submit
        agent_desk.post(f"/mention/{mention.id}/reply", text=edited)
    assert [p.text for p in agent_desk.x.replies_to(mention.id)] == [edited]
    assert label(agent_desk, mention.id) == ("reply", "login", "reply")
    after = agent_desk.client.get(f"/mention/{mention.id}").text
    assert 'id="edit-and-send"' not in after and "Ayu" in after and ">reply<" in after


def test_a_written_reply_is_addressed_to_the_author_and_a_too_long_one_posts_nothing(agent_desk: Desk) -> None:
    mention = agent_desk.decide(MONEY, "budi")
    agent_desk.post(f"/mention/{mention.id}/reply", text="x" * 400)
    assert agent_desk.x.replies_to(mention.id) == [] and label(agent_desk, mention.id) is None
    assert "limit is 280" in agent_desk.client.get(f"/mention/{mention.id}").text
    agent_desk.post(f"/mention/{mention.id}/reply", text="Kami sudah kirim DM ya.", category="wallet")
    assert [p.text for p in agent_desk.x.replies_to(mention.id)] == ["@budi Kami sudah kirim DM ya."]
    assert label(agent_desk, mention.id) == ("escalate", "wallet", "reply")  # a human answered what needed one


def test_hand_back_posts_the_bots_template_once_and_labels_it_a_reply(agent_desk: Desk) -> None:
    mention = agent_desk.decide(COMPLAINT, status="failed")
    agent_desk.post(f"/mention/{mention.id}/hand-back")
    agent_desk.post(f"/mention/{mention.id}/hand-back")
    (posted,) = agent_desk.x.replies_to(mention.id)
    row = agent_desk.row(mention.id)
    assert row["status"] == "replied" and row["template"] == "ID/id/none/login.j2" and posted.text == row["reply_text"]
    assert label(agent_desk, mention.id) == ("reply", "login", "hand-back")
    assert "already has a reply" in agent_desk.client.get(f"/mention/{mention.id}").text


def test_escalate_done_and_not_a_complaint_store_the_labels_the_cli_stores(agent_desk: Desk, tmp_path: object) -> None:
    store = agent_desk.app.store
    one, two, three = (agent_desk.decide(COMPLAINT, f"u{i}", status="unsure").id for i in range(3))
    agent_desk.post(f"/mention/{one}/escalate", category="wallet", note="money gone")
    assert agent_desk.row(one)["status"] == "escalated" and label(agent_desk, one) == ("escalate", "wallet", "escalate")
    agent_desk.post(f"/mention/{one}/done")  # closing an escalation keeps its label
    assert label(agent_desk, one) == ("escalate", "wallet", "escalate") and agent_desk.row(one)["reviewed_at"]
    agent_desk.post(f"/mention/{two}/done", label="", verdict="ignore")  # "Not a complaint"
    assert label(agent_desk, two) == ("ignore", None, "done")
    agent_desk.post(f"/mention/{three}/done", label="reply", category="checkout", note="answered by phone")
    assert label(agent_desk, three) == ("reply", "checkout", "done")
    assert {r["id"] for r in store.queue("ID")} == set() and agent_desk.x.posts == []
    history = agent_desk.client.get(f"/mention/{one}").text
    assert "escalate" in history and "done" in history and "label escalate kept" in history


def test_the_cli_and_the_console_store_the_same_label_and_audit_line(agent_desk: Desk) -> None:
    by_web = agent_desk.decide(COMPLAINT, "a", status="unsure").id
    by_cli = agent_desk.decide(COMPLAINT, "b", status="unsure").id
    agent_desk.post(f"/mention/{by_web}/escalate", category="cart")
    db = str(agent_desk.app.settings.db_path)
    done = CliRunner().invoke(main, ["review", "escalate", by_cli, "--category", "cart", "--config", str(CONFIG),
                                     "--db", db])  # fmt: skip
    assert done.exit_code == 0, done.output
    fresh = Store.open(db)
    try:
        web_label, cli_label = fresh.label(by_web), fresh.label(by_cli)
        assert web_label and cli_label
        same = ("action", "category", "labelled_by", "model_action", "model_category")
        assert [web_label[k] for k in same] == [cli_label[k] for k in same]
        whom = {r["target"]: (r["who"], r["action"]) for r in fresh.audit_log()}
        assert (
            whom[by_web] == ("Ayu", "escalate") and whom[by_cli][0].startswith("cli") and whom[by_cli][1] == "escalate"
        )
    finally:
        fresh.close()


def test_approving_an_unsure_mention_keeps_what_the_model_said_in_the_label(agent_desk: Desk) -> None:
    store = agent_desk.app.store
    mention = Mention("777", "@ShopeeID gabisa login", "u-x", "x", "ID", created_at=datetime.now(UTC))
    verdict = Verdict(Action.REVIEW, Category.LOGIN, "id", "model:unsure p=0.55", 0.55)
    store.record_decision(mention, Decision(Action.REVIEW, verdict.reason, verdict), "unsure", datetime.now(UTC))
    agent_desk.post("/mention/777/approve")
    found = store.label("777")
    assert found and (found["action"], found["model_action"]) == ("reply", "review")
    assert agent_desk.x.replies_to("777")
