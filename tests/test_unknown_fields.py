"""Mentions X sends without author, time or language: dated by their id, answered, never lumped together."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from test_outbox import COMPLAINT, NOW, rig

from bot.adapters.x_records import mention_of
from bot.core.ids import TWITTER_EPOCH_MS
from bot.core.lifecycle import Status
from bot.core.models import Mention
from bot.core.replies import ReplyComposer
from bot.settings import Settings


def snowflake_at(at: datetime) -> str:
    return str((int(at.timestamp() * 1000) - TWITTER_EPOCH_MS) << 22)


def test_a_mention_without_created_at_is_dated_by_its_id() -> None:
    written = datetime(2022, 3, 1, 9, 30, tzinfo=UTC)
    raw = {"id": snowflake_at(written), "text": "@ShopeeID error", "edit_history_tweet_ids": []}
    mention = mention_of(raw, {}, "ID", lambda text, rng: True)
    assert mention.created_at is not None and abs(mention.created_at - written) < timedelta(seconds=1)
    assert mention.author_id == "" and mention.author_handle == "" and mention.lang is None


def test_a_reply_to_an_unknown_author_goes_without_the_handle(settings: Settings) -> None:
    from bot.core.models import Action, Category, IncidentState

    composer = ReplyComposer(settings.templates_dir)
    reply = composer.compose(
        account=settings.account("ID"),
        lang="id",
        state=IncidentState.INVESTIGATING,
        action=Action.REPLY,
        category=Category.OUTAGE,
        author_handle="",
        mention_id="1622000000000000000",
    )
    assert reply is not None and not reply.text.startswith("@") and reply.text[0].isalpha()


def test_unknown_authors_are_not_one_author_for_the_cooldown(settings: Settings) -> None:
    r = rig(settings)
    account = r.settings.account("ID")
    me = r.service.me(account)
    for i in range(3):
        mid = str(1_622_500_000_000_000_000 + i)
        m = Mention(mid, f"@ShopeeID {COMPLAINT} {i}", "", "", "ID", NOW - timedelta(minutes=1), mid)
        r.service.intake.handle(account, me, m)
    r.service.outbox.send_due(account)
    assert len(r.x.posts) == 3  # three strangers, three replies
    assert {r.status(p.in_reply_to) for p in r.x.posts} == {Status.REPLIED}
    assert dataclasses.is_dataclass(r.store.handled(r.x.posts[0].in_reply_to))
