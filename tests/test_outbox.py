"""The freshness-aware outbox and the status post, on the in-memory store, a mock X and a hand-driven clock."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from conftest import LEXICON_DIR

from bot.adapters.clock import ManualClock
from bot.adapters.memory_store import MemoryStore
from bot.adapters.mock import MockPlatform
from bot.core.classifier import Classifier
from bot.core.incident import Incident
from bot.core.lifecycle import Event, Status
from bot.core.models import IncidentState
from bot.core.replies import ReplyComposer
from bot.model.learned import LexiconEngine
from bot.ports import TransientPlatformError
from bot.service import Service
from bot.service.announce import Announcer
from bot.service.intake import Intake
from bot.service.outbox import Outbox
from bot.settings import Settings

NOW = datetime(2023, 2, 6, 8, 0, tzinfo=UTC)
COMPLAINT = "aplikasinya error terus, ga bisa dibuka sama sekali"
MONEY = "saldo ShopeePay aku hilang 500rb habis ke-logout sendiri!! tolong dicek"


class Heard:
    def __init__(self) -> None:
        self.events: list[tuple[str, Event, int]] = []

    def decided(self, *args: object) -> None:
        pass

    def posted(self, *args: object) -> None:
        pass

    def noted(self, account: object, event: Event, count: int) -> None:
        self.events.append((getattr(account, "code", ""), event, count))

    def poll_done(self, *args: object) -> None:
        pass


@dataclasses.dataclass
class Rig:
    service: Service
    store: MemoryStore
    x: MockPlatform
    clock: ManualClock
    heard: Heard
    settings: Settings

    def incident(self, state: IncidentState, started: datetime) -> None:
        self.store.save_incident(Incident("ID", state, started, started, ""))

    def complaints(self, n: int, minutes_ago: float, text: str = COMPLAINT) -> list[str]:
        born = self.clock.now() - timedelta(minutes=minutes_ago)
        return [self.x.add_mention(text, f"user{len(self.x.mentions)}", created_at=born).id for _ in range(n)]

    def status(self, mention_id: str) -> Status:
        handled = self.store.handled(mention_id)
        assert handled is not None
        return handled.status


def rig(settings: Settings, per_15min: int = 50, approval: bool = False) -> Rig:
    limits = dataclasses.replace(settings.limits, posts_per_15min=per_15min, reread_overlap_s=0)
    accounts = tuple(dataclasses.replace(a, approval=approval) if a.code == "ID" else a for a in settings.accounts)
    settings = dataclasses.replace(settings, limits=limits, accounts=accounts)
    store, clock, heard = MemoryStore(), ManualClock(NOW), Heard()
    x = MockPlatform(handle="ShopeeID", account="ID")
    platforms = {"ID": x}
    composer = ReplyComposer(settings.templates_dir)
    classifier = LexiconEngine(Classifier.load(LEXICON_DIR))
    intake = Intake(settings, store, classifier, platforms, heard, clock)  # type: ignore[arg-type]
    announcer = Announcer(settings, store, composer, platforms, heard, clock)  # type: ignore[arg-type]
    outbox = Outbox(settings, store, composer, platforms, heard, clock, announcer)  # type: ignore[arg-type]
    return Rig(Service(intake, outbox, heard), store, x, clock, heard, settings)


def test_the_freshest_complaints_are_answered_first(settings: Settings) -> None:
    r = rig(settings, per_15min=3)
    old, newer = r.complaints(2, minutes_ago=12), r.complaints(3, minutes_ago=1)
    r.service.poll(r.settings.account("ID"))
    assert [p.in_reply_to for p in r.x.posts] == list(reversed(newer))
    assert {r.status(m) for m in old} == {Status.PENDING}


def test_an_escalation_never_waits_behind_replies(settings: Settings) -> None:
    r = rig(settings, per_15min=1)
    replies = r.complaints(3, minutes_ago=1)
    (money,) = r.complaints(1, minutes_ago=5, text=MONEY)
    r.service.poll(r.settings.account("ID"))
    assert r.status(money) is Status.ESCALATED and r.store.handled(money) is not None
    assert len(r.x.posts) == 1 and r.x.posts[0].in_reply_to == replies[-1]


def test_stale_complaints_are_covered_by_one_status_post_when_the_budget_cannot_serve_them(
    settings: Settings,
) -> None:
    r = rig(settings, per_15min=5)
    r.incident(IncidentState.INVESTIGATING, NOW - timedelta(minutes=30))
    account = r.settings.account("ID")
    backlog = r.complaints(12, minutes_ago=3)
    r.service.poll(account)
    status_posts = [p for p in r.x.posts if not p.in_reply_to]
    assert len(status_posts) == 1 and "kendala" in status_posts[0].text  # the Indonesian investigating post
    assert len(r.x.posts) == 5  # the status post is one of the five the budget allows
    r.clock.advance(20 * 60)  # the rest go stale
    r.service.poll(account)
    ends = {r.status(m) for m in backlog}
    assert ends <= {Status.REPLIED, Status.COVERED} and Status.COVERED in ends
    assert ("ID", Event.COVERED, 8) in r.heard.events
    assert len([p for p in r.x.posts if not p.in_reply_to]) == 1  # never a second for the same state


def test_each_state_change_after_a_status_post_gets_its_own(settings: Settings) -> None:
    r = rig(settings, per_15min=2)
    started = NOW - timedelta(minutes=30)
    r.incident(IncidentState.INVESTIGATING, started)
    account = r.settings.account("ID")
    r.complaints(5, minutes_ago=1)
    r.service.poll(account)
    r.incident(IncidentState.RESOLVED, started)
    r.clock.advance(16 * 60)
    r.service.poll(account)
    texts = [p.text for p in r.x.posts if not p.in_reply_to]
    assert len(texts) == 2 and "normal" in texts[1]


def test_without_an_incident_stale_complaints_wait_for_a_human_never_silently(settings: Settings) -> None:
    r = rig(settings, per_15min=1)
    account = r.settings.account("ID")
    backlog = r.complaints(3, minutes_ago=1)
    r.service.poll(account)
    r.clock.advance(20 * 60)
    r.service.poll(account)
    assert sorted(r.status(m).value for m in backlog) == ["expired", "expired", "replied"]
    assert not [p for p in r.x.posts if not p.in_reply_to]
    assert ("ID", Event.EXPIRED, 2) in r.heard.events


def test_in_approval_mode_the_status_post_is_proposed_not_posted(settings: Settings) -> None:
    r = rig(settings, per_15min=1, approval=True)
    started = NOW - timedelta(minutes=30)
    r.incident(IncidentState.INVESTIGATING, started)
    account = r.settings.account("ID")
    r.complaints(3, minutes_ago=1)  # awaiting a human: more than the budget could post
    r.service.poll(account)
    post = r.store.status_post("ID", started, IncidentState.INVESTIGATING)
    assert post is not None and post["status"] == "proposed" and r.x.posts == []
    assert ("ID", Event.STATUS_PROPOSED, 1) in r.heard.events


def test_a_status_post_x_refused_for_now_is_tried_again(settings: Settings) -> None:
    r = rig(settings, per_15min=1)
    started = NOW - timedelta(minutes=30)
    r.incident(IncidentState.INVESTIGATING, started)
    account = r.settings.account("ID")
    r.complaints(3, minutes_ago=1)
    r.service.intake.poll(account)
    r.x.fail_next.append(TransientPlatformError("503"))  # the status post, the first post of the round
    r.service.outbox.send_due(account)
    assert r.store.status_post("ID", started, IncidentState.INVESTIGATING) is None
    r.clock.advance(16 * 60)
    r.service.poll(account)
    post = r.store.status_post("ID", started, IncidentState.INVESTIGATING)
    assert post is not None and post["status"] == "posted"


def test_the_cooldown_counts_only_replies_that_went_out(settings: Settings) -> None:
    r = rig(settings, per_15min=10)
    account = r.settings.account("ID")
    first = r.x.add_mention(COMPLAINT, "rina", created_at=NOW - timedelta(minutes=2), author_id="rina")
    second = r.x.add_mention("masih error dari tadi", "rina", created_at=NOW - timedelta(minutes=1), author_id="rina")
    r.service.intake.poll(account)
    assert r.status(first.id) is Status.PENDING and r.status(second.id) is Status.PENDING  # nothing posted yet
    r.service.outbox.send_due(account)
    assert [p.in_reply_to for p in r.x.posts] == [second.id]  # the newest gets the one reply
    handled = r.store.handled(first.id)
    assert handled is not None and handled.status is Status.SKIPPED


@pytest.mark.parametrize("overlap", [0, 60])
def test_a_full_read_asks_for_another_at_once_and_rereading_is_harmless(settings: Settings, overlap: int) -> None:
    r = rig(settings)
    r.service.intake.settings = dataclasses.replace(
        r.settings, limits=dataclasses.replace(r.settings.limits, reread_overlap_s=overlap)
    )
    account = r.settings.account("ID")
    r.complaints(150, minutes_ago=1)
    first = r.service.intake.poll(account)
    assert first.new == 150 and first.full
    again = r.service.intake.poll(account)
    assert again.new == 0 and not again.full and again.recorded == 0
    assert len(r.store.rows) == 150


def test_a_window_cut_that_only_took_the_reread_overlap_loses_nothing(settings: Settings) -> None:
    from bot.core.models import MentionPage

    r = rig(settings)
    account = r.settings.account("ID")
    old = r.complaints(5, minutes_ago=2)
    r.service.intake.poll(account)
    checkpoint = r.store.checkpoint("ID")
    assert checkpoint == old[-1]
    newer = r.complaints(3, minutes_ago=1)
    mentions = tuple(m for m in r.x.mentions if m.id in {old[-1], *newer})
    cut = MentionPage(mentions, newer[-1], {"window_overrun": "1", "estimated_lost": "40"})
    r.x.fetch_mentions = lambda since_id: cut  # type: ignore[method-assign]
    assert r.service.intake.poll(account).lost == 0  # the read reached back to the checkpoint
    latest = r.complaints(3, minutes_ago=0.5)  # all newer than the checkpoint: something before them is gone
    fresh = tuple(m for m in r.x.mentions if m.id in set(latest))
    gap = MentionPage(fresh, latest[-1], {"window_overrun": "1", "estimated_lost": "40"})
    r.x.fetch_mentions = lambda since_id: gap  # type: ignore[method-assign]
    assert r.service.intake.poll(account).lost == 40
    assert ("ID", Event.WINDOW_OVERRUN, 40) in r.heard.events


def test_right_after_a_full_page_the_overlap_is_not_reread(settings: Settings) -> None:
    r = rig(settings)
    r.service.intake.settings = dataclasses.replace(
        r.settings, limits=dataclasses.replace(r.settings.limits, reread_overlap_s=60)
    )
    account = r.settings.account("ID")
    asked: list[str | None] = []
    fetch = r.x.fetch_mentions

    def spy(since_id: str | None) -> object:
        asked.append(since_id)
        return fetch(since_id)

    r.x.fetch_mentions = spy  # type: ignore[method-assign, assignment]
    r.complaints(150, minutes_ago=2)
    assert r.service.intake.poll(account).full
    r.complaints(1, minutes_ago=0)
    r.service.intake.poll(account)  # busy: from the checkpoint itself, not 60 s before it
    assert asked[-1] == r.x.mentions[149].id
    r.service.intake.poll(account)  # quiet again: the minute before the checkpoint is re-read
    assert asked[-1] != r.store.checkpoint("ID") and asked[-1] == r.x.mentions[149].id
