"""The store port's contract, run on the SQLite store and on its in-memory fake alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.memory_store import MemoryStore
from bot.adapters.store import Store
from bot.core.lifecycle import InvalidStatusTransition, Status
from bot.core.models import Action, Category, Decision, IncidentState, Mention, Posted, Verdict
from bot.ports import MentionStore

NOW = datetime(2023, 2, 6, 8, 0, tzinfo=UTC)
_ids = iter(range(1_622_000_000_000_000_000, 1_623_000_000_000_000_000, 1000))


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MentionStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    real = Store.open(tmp_path / "contract.db")
    yield real
    real.close()


def mention(minutes_ago: float = 1, author: str = "u1", thread: str | None = None) -> Mention:
    mid = str(next(_ids))
    return Mention(mid, "@ShopeeID error", author, author, "ID", NOW - timedelta(minutes=minutes_ago), thread or mid)


def decision(action: Action = Action.REPLY) -> Decision:
    return Decision(action, "complaint:outage", Verdict(action, Category.OUTAGE, "id", "complaint:outage", 0.9))


def recorded(store: MentionStore, status: Status = Status.PENDING, **kw: object) -> Mention:
    m = mention(**kw)  # type: ignore[arg-type]
    action = Action.ESCALATE if status is Status.ESCALATED else Action.REPLY
    assert store.record_decision(m, decision(action), status, NOW)
    return m


def test_a_mention_is_recorded_once(store: MentionStore) -> None:
    m = recorded(store)
    assert store.has_mention(m.id) and not store.record_decision(m, decision(), Status.PENDING, NOW)
    handled = store.handled(m.id)
    assert handled is not None and handled.status is Status.PENDING and handled.born == m.created_at


def test_moves_follow_the_lifecycle_table(store: MentionStore) -> None:
    m = recorded(store)
    assert store.claim(m.id, NOW) and not store.claim(m.id, NOW)
    store.record_post("ID", m.id, "900", "@u1 maaf", "t.j2", NOW)
    with pytest.raises(InvalidStatusTransition):
        store.set_status(m.id, Status.PENDING, NOW)
    assert not store.set_status("nope", Status.EXPIRED, NOW)


def test_pending_is_escalations_first_then_newest_first_and_fresh_only_when_asked(store: MentionStore) -> None:
    old, mid, new = recorded(store, minutes_ago=30), recorded(store, minutes_ago=10), recorded(store, minutes_ago=2)
    holding = mention(minutes_ago=40)
    store.record_decision(holding, decision(Action.ESCALATE), Status.PENDING, NOW)
    assert [h.id for h in store.pending("ID")] == [holding.id, new.id, mid.id, old.id]
    fresh = store.pending("ID", born_after=NOW - timedelta(minutes=15))
    assert [h.id for h in fresh] == [new.id, mid.id]
    assert {h.id for h in store.stale_pending("ID", NOW - timedelta(minutes=15))} == {old.id, holding.id}
    assert store.waiting_count("ID") == 4
    recorded(store, Status.AWAITING_APPROVAL)
    assert store.waiting_count("ID") == 5


def test_the_author_cooldown_counts_posted_replies_not_waiting_ones(store: MentionStore) -> None:
    first = recorded(store, author="rina")
    since = NOW - timedelta(hours=24)
    assert store.history_flags("ID", "other-thread", "rina", since)[1] is False  # waiting is not answered
    store.claim(first.id, NOW)
    store.record_post("ID", first.id, "900", "@rina maaf", "t.j2", NOW)
    assert store.history_flags("ID", "other-thread", "rina", since)[1] is True
    assert store.author_replied_since("ID", "rina", since, other_than="x")
    assert not store.author_replied_since("ID", "rina", since, other_than=first.id)
    assert store.posts_since("ID", NOW - timedelta(minutes=1)) == 1 and store.recent_post_texts("ID", 5) == [
        "@rina maaf"
    ]
    assert store.recent_post_texts_elsewhere("TH", 5) == ["@rina maaf"]
    assert store.recent_post_texts_elsewhere("ID", 5) == []


def test_an_unknown_author_is_nobody_for_the_cooldown(store: MentionStore) -> None:
    first = recorded(store, author="")
    store.claim(first.id, NOW)
    store.record_post("ID", first.id, "900", "maaf", "t.j2", NOW)
    since = NOW - timedelta(hours=24)
    assert store.history_flags("ID", "other-thread", "", since)[1] is False
    assert not store.author_replied_since("ID", "", since, other_than="x")


def test_an_open_thread_is_answered(store: MentionStore) -> None:
    recorded(store, thread="T1")
    assert store.history_flags("ID", "T1", "someone", NOW)[0] is True
    assert store.history_flags("ID", "T2", "someone", NOW)[0] is False


def test_rereading_starts_before_the_checkpoint_by_the_overlap(store: MentionStore) -> None:
    early, before, last = (
        recorded(store, minutes_ago=3),
        recorded(store, minutes_ago=1.5),
        recorded(store, minutes_ago=1),
    )
    store.set_checkpoint("ID", last.id, NOW)
    assert store.checkpoint("ID") == last.id
    assert store.reread_from("ID", last.id, 0) == last.id
    assert store.reread_from("ID", last.id, 20) == before.id
    assert store.reread_from("ID", last.id, 100) == early.id
    # nothing recorded that long before the checkpoint: from the oldest one there is (a burst's first reads)
    assert store.reread_from("ID", last.id, 1000) == early.id
    assert store.reread_from("ID", early.id, 20) == early.id
    assert store.reread_from("ID", None, 20) is None


def test_a_transaction_that_fails_leaves_nothing(store: MentionStore) -> None:
    m = mention()
    with pytest.raises(RuntimeError), store.transaction():
        store.record_decision(m, decision(), Status.PENDING, NOW)
        raise RuntimeError("disk full")
    assert not store.has_mention(m.id)


def test_a_status_post_is_reserved_once_per_incident_and_state(store: MentionStore) -> None:
    started = NOW - timedelta(minutes=30)
    args = ("ID", started, IncidentState.INVESTIGATING)
    assert store.status_post(*args) is None and not store.incident_has_status_post("ID", started)
    assert store.claim_status_post(*args, "We know", NOW) and not store.claim_status_post(*args, "again", NOW)
    store.release_status_post(*args)  # X refused before posting: may be tried again
    assert store.claim_status_post(*args, "We know", NOW)
    store.finish_status_post(*args, NOW, post_id="777", text="We know")
    post = store.status_post(*args)
    assert post is not None and post["status"] == "posted" and post["post_id"] == "777"
    assert store.incident_has_status_post("ID", started) and store.posts_since("ID", NOW) == 1
    assert not store.incident_has_status_post("ID", NOW)  # another incident


def test_an_adopted_reply_counts_as_answered(store: MentionStore) -> None:
    assert store.adopt_reply("ID", Posted("901", "@x done", "1234"), NOW)
    assert not store.adopt_reply("ID", Posted("901", "@x done", "1234"), NOW)
    handled = store.handled("1234")
    assert handled is not None and handled.status is Status.REPLIED


def test_incidents_round_trip(store: MentionStore) -> None:
    assert store.incident("ID").state is IncidentState.NONE
    incident = store.incident("ID")
    from dataclasses import replace

    store.save_incident(replace(incident, state=IncidentState.MONITORING, started_at=NOW, updated_at=NOW))
    assert store.incident("ID").state is IncidentState.MONITORING


def test_erase_and_purge_drop_what_was_said_and_keep_the_decision(store: MentionStore) -> None:
    old, kept, gone = recorded(store), recorded(store), recorded(store)
    store.claim(old.id, NOW)
    store.record_post("ID", old.id, "901", f"@{old.author_handle} maaf", "t.j2", NOW)
    assert store.erase(gone.id, NOW) and not store.erase(gone.id, NOW)  # once
    handled = store.handled(gone.id)
    assert handled is not None and (handled.text, handled.author_handle) == ("", "")
    later = NOW + timedelta(days=31)
    store.claim(kept.id, NOW)  # a claim still being settled keeps its text
    erased = store.purge(NOW + timedelta(seconds=1), later)
    assert (erased["mentions"], erased["posts"]) == (1, 1)
    for mention_id, text in ((old.id, ""), (kept.id, "@ShopeeID error")):
        row = store.handled(mention_id)
        assert row is not None and row.text == text and row.action == "reply"
    assert store.recent_post_texts("ID", 5) == [""] and store.purge(later, later)["posts"] == 0
