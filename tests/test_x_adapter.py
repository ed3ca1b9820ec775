"""The X adapter through real tweepy calls against the fake X server on a free loopback port."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import CONFIG, fake_env
from fakex_clients import admin_get, admin_post, mention

from bot.adapters.x_api import RetryPolicy, XPlatform
from bot.fakex import Clock, FakeX
from bot.ports import (
    DuplicateContent,
    NotSummoned,
    PostOutcomeUnknown,
    RateLimited,
    TransientPlatformError,
    Unauthorized,
)
from bot.settings import Settings, load_settings

NO_SLEEP = RetryPolicy(attempts=3, initial_wait_s=0.0, max_wait_s=0.0)


@pytest.fixture
def fake_x() -> Iterator[FakeX]:
    with FakeX(limits="pro", hang_seconds=2.0) as fx:
        yield fx


def settings_for(url: str, tmp_path: Path, **env: str) -> Settings:
    return load_settings(CONFIG, {**fake_env(), "X_API_BASE_URL": url, **env}, db_override=tmp_path / "x.db")


def platform(fake_x: FakeX, tmp_path: Path, code: str = "ID", **env: str) -> XPlatform:
    settings = settings_for(fake_x.url, tmp_path, **env)
    settings = dataclasses.replace(settings, http_timeout_s=1.0)
    return XPlatform(settings.account(code), settings, retry=NO_SLEEP, sleep=lambda s: None)


def test_who_am_i_fetch_and_reply_through_tweepy(fake_x: FakeX, tmp_path: Path) -> None:
    x = platform(fake_x, tmp_path)
    me = x.me()
    assert me.handle == "shopeeid"
    ids = admin_post(fake_x.url, "mentions", [mention("shopeeid", "@shopeeid app error terus", "rina", lang="in")])[
        "ids"
    ]
    page = x.fetch_mentions(None)
    (m,) = page.mentions
    assert (m.id, m.author_handle, m.lang, m.account) == (ids[0], "rina", "in", "ID")
    assert m.created_at is not None and m.created_at.tzinfo is not None
    assert m.conversation_id == m.id
    posted = x.post_reply(m.id, "@rina maaf ya, kami sedang perbaiki #ABC123")
    assert posted.in_reply_to == m.id
    assert [p["in_reply_to_tweet_id"] for p in admin_get(fake_x.url, "posts")["posts"]] == [m.id]
    assert [r.in_reply_to for r in x.own_replies()] == [m.id]


def test_all_pages_of_250_mentions_come_oldest_first_and_since_id_works(fake_x: FakeX, tmp_path: Path) -> None:
    x = platform(fake_x, tmp_path)
    ids = admin_post(fake_x.url, "mentions", [mention("shopeeid", f"error {i}", f"u{i}") for i in range(250)])["ids"]
    page = x.fetch_mentions(ids[0])
    assert [m.id for m in page.mentions] == ids[1:]
    assert page.newest_id == ids[-1]
    assert x.fetch_mentions(ids[-1]).mentions == ()


def test_a_first_start_judges_mention_age_by_the_injected_clock(tmp_path: Path) -> None:
    clock = Clock(start=datetime(2023, 2, 6, 8, 0, tzinfo=UTC).timestamp(), speed=0.0)
    with FakeX(limits="pro", clock=clock) as fx:
        settings = settings_for(fx.url, tmp_path)
        x = XPlatform(settings.account("ID"), settings, retry=NO_SLEEP, sleep=lambda s: None, now=clock.now)
        ids = admin_post(fx.url, "mentions", [mention("shopeeid", f"error {i}", f"u{i}") for i in range(250)])["ids"]
        assert [m.id for m in x.fetch_mentions(None).mentions] == ids  # not cut after one page as "too old"


def test_an_overrun_800_window_is_reported(fake_x: FakeX, tmp_path: Path) -> None:
    x = platform(fake_x, tmp_path)
    first = admin_post(fake_x.url, "mentions", [mention("shopeeid", "error 0", "u0")])["ids"][0]
    admin_post(fake_x.url, "mentions", [mention("shopeeid", f"error {i}", f"u{i}") for i in range(1, 901)])
    page = x.fetch_mentions(first)
    assert len(page.mentions) == 800
    assert page.extras["window_overrun"] == "1"


def test_refusals_become_decisions(fake_x: FakeX, tmp_path: Path) -> None:
    x = platform(fake_x, tmp_path)
    x.me()
    ids = admin_post(
        fake_x.url,
        "mentions",
        [mention("shopeeid", "@shopeeid error", "a"), mention("shopeeth", "@shopeeth ล่ม", "b")],
    )["ids"]
    x.post_reply(ids[0], "same text #1")
    with pytest.raises(DuplicateContent):
        x.post_reply(ids[0], "same text #1")
    with pytest.raises(NotSummoned):
        x.post_reply(ids[1], "not for us")


def test_bad_credentials_stop_the_account(fake_x: FakeX, tmp_path: Path) -> None:
    x = platform(fake_x, tmp_path, X_ID_ACCESS_TOKEN="not-a-fake-token")
    with pytest.raises(Unauthorized):
        x.me()


@pytest.mark.parametrize("kind", ["500", "503", "malformed", "reset"])
def test_transient_read_faults_are_retried_then_reported(fake_x: FakeX, tmp_path: Path, kind: str) -> None:
    x = platform(fake_x, tmp_path)
    x.me()
    admin_post(fake_x.url, "faults", {"spec": f"{kind}=1.0"})
    with pytest.raises(TransientPlatformError):
        x.fetch_mentions(None)
    assert admin_get(fake_x.url, "stats")["faults"][kind] == NO_SLEEP.attempts


def test_a_hanging_server_times_out_instead_of_blocking(fake_x: FakeX, tmp_path: Path) -> None:
    x = platform(fake_x, tmp_path)
    x.me()
    admin_post(fake_x.url, "faults", {"spec": "hang=1.0"})
    with pytest.raises(TransientPlatformError):
        x.fetch_mentions(None)


def test_a_lost_post_answer_is_reported_as_unknown_and_reconcilable(fake_x: FakeX, tmp_path: Path) -> None:
    x = platform(fake_x, tmp_path)
    x.me()
    (mid,) = admin_post(fake_x.url, "mentions", [mention("shopeeid", "@shopeeid error", "a")])["ids"]
    admin_post(fake_x.url, "faults", {"spec": "lost=1.0"})
    with pytest.raises(PostOutcomeUnknown):
        x.post_reply(mid, "@a maaf #XYZ")
    admin_post(fake_x.url, "faults", {"spec": ""})
    assert [r.in_reply_to for r in x.own_replies()] == [mid]


def test_a_429_without_reset_backs_off_instead_of_hammering(fake_x: FakeX, tmp_path: Path) -> None:
    x = platform(fake_x, tmp_path)
    x.me()
    admin_post(fake_x.url, "faults", {"spec": "429=1.0"})
    with pytest.raises(RateLimited):
        x.fetch_mentions(None)
    requests_before = sum(admin_get(fake_x.url, "stats")["requests"].values())
    with pytest.raises(RateLimited):
        x.fetch_mentions(None)  # paused: not even sent
    assert sum(admin_get(fake_x.url, "stats")["requests"].values()) == requests_before


def test_a_spent_window_is_not_called_again_before_its_reset(tmp_path: Path) -> None:
    with FakeX(limits="basic") as fx:  # basic: 10 mention requests per 15 minutes
        x = platform(fx, tmp_path)
        for _ in range(10):
            x.fetch_mentions(None)
        with pytest.raises(RateLimited) as err:
            x.fetch_mentions(None)
        assert err.value.reset_at is not None
        assert admin_get(fx.url, "stats")["rate_limited"] == 0


def test_a_429_with_a_reset_header_pauses_until_that_reset(tmp_path: Path) -> None:
    with FakeX(limits="basic") as fx:  # basic: 10 mention requests per 15 minutes
        first, second = platform(fx, tmp_path), platform(fx, tmp_path)  # two clients share one window
        for _ in range(10):
            first.fetch_mentions(None)
        with pytest.raises(RateLimited) as err:
            second.fetch_mentions(None)  # this one has not seen the headers: X answers 429
        stats = admin_get(fx.url, "stats")
        assert stats["rate_limited"] == 1
        reset = first.session.last_rate_limit.reset
        assert reset is not None and err.value.reset_at is not None and err.value.reset_at >= reset
        with pytest.raises(RateLimited):
            second.fetch_mentions(None)  # paused until the reset: not sent again
        assert admin_get(fx.url, "stats")["rate_limited"] == 1


def test_only_a_handle_the_author_typed_summons_the_account(fake_x: FakeX, tmp_path: Path) -> None:
    """X fills in a reply's @handles ("Replying to @rina @shopeeid"); only a typed one asks the account."""
    x = platform(fake_x, tmp_path)
    (root,) = admin_post(fake_x.url, "mentions", [mention("shopeeid", "@shopeeid gabisa login", "rina")])["ids"]
    prefix_only, typed = admin_post(
        fake_x.url,
        "mentions",
        [
            mention("shopeeid", "@rina @shopeeid sama, gabisa login juga", "budi", in_reply_to=root),
            mention("shopeeid", "@rina @shopeeid sama. @ShopeeID tolong dong", "sari", in_reply_to=root),
        ],
    )["ids"]
    found = {m.id: m.typed_handle for m in x.fetch_mentions(None).mentions}
    assert found == {root: True, prefix_only: False, typed: True}


def test_typed_handle_reads_the_display_range_and_words_edges() -> None:
    from bot.adapters.x_api import typed_handle

    assert typed_handle("@rina @shopeeid same here", [16, 25], "shopeeid") is False
    assert typed_handle("@rina @shopeeid same here", None, "shopeeid") is True  # no range: the whole text
    assert typed_handle("@rina same @shopeeidx", [6, 21], "shopeeid") is False
    assert typed_handle("@rina same @SHOPEEID!", [6, 21], "shopeeid") is True
    assert typed_handle("@rina x", ["bad"], "shopeeid") is False
