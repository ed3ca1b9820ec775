"""Rate limits per endpoint and window, visible in X's headers, on the fake server's own clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import tweepy
from fakex_clients import admin_post, oauth_client

from bot.adapters.x_session import RoutedSession
from bot.fakex import Clock, FakeX

START = 1_700_000_000.0


@pytest.fixture
def clock() -> Clock:
    """Frozen at START (speed 0) so windows and reset headers are exact; tests move it by hand."""
    return Clock(start=START, speed=0.0)


@pytest.fixture
def basic_x(clock: Clock) -> Iterator[FakeX]:
    with FakeX(limits="basic", clock=clock) as fx:
        yield fx


def test_remaining_counts_down_then_429_then_ok_after_the_window(basic_x: FakeX, clock: Clock) -> None:
    client = oauth_client(basic_x.url, "shopeeid")
    session = client.session
    assert isinstance(session, RoutedSession)
    user_id = client.get_me().data.id
    remaining = []
    for _ in range(10):
        client.get_users_mentions(user_id, user_auth=True)
        remaining.append(session.last_rate_limit.remaining)
    assert remaining == list(range(9, -1, -1))
    assert session.last_rate_limit.limit == 10
    assert session.last_rate_limit.reset == int(START + 900)

    with pytest.raises(tweepy.TooManyRequests) as refused:
        client.get_users_mentions(user_id, user_auth=True)
    assert refused.value.response.json()["title"] == "Too Many Requests"
    assert refused.value.reset_time == int(START + 900)

    clock.advance(901)
    client.get_users_mentions(user_id, user_auth=True)
    assert session.last_rate_limit.remaining == 9
    assert session.last_rate_limit.reset == int(START + 901 + 900)


def test_limits_are_per_user(basic_x: FakeX) -> None:
    first, second = oauth_client(basic_x.url, "shopeeid"), oauth_client(basic_x.url, "shopeemy")
    user_id = first.get_me().data.id
    for _ in range(10):
        first.get_users_mentions(user_id, user_auth=True)
    second.get_users_mentions(user_id, user_auth=True)
    with pytest.raises(tweepy.TooManyRequests):
        first.get_users_mentions(user_id, user_auth=True)


def test_posting_shows_the_app_24_hour_cap_like_x(clock: Clock) -> None:
    with FakeX(limits="pro", clock=clock) as fx:
        client = oauth_client(fx.url, "shopeeid")
        client.create_tweet(text="one")
        client.create_tweet(text="two")
        seen = client.session.last_rate_limit
        assert (seen.limit, seen.remaining, seen.reset) == (100, 98, int(START + 900))
        assert (seen.app_limit_24h, seen.app_remaining_24h) == (10_000, 9_998)
        assert seen.app_reset_24h == int(START + 86_400)


def test_no_limits_means_no_rate_limit_headers() -> None:
    with FakeX(limits="none") as fx:
        client = oauth_client(fx.url, "shopeeid")
        client.get_me()
        assert client.session.last_rate_limit.limit is None


def test_the_admin_api_advances_and_speeds_the_clock(basic_x: FakeX, clock: Clock) -> None:
    assert admin_post(basic_x.url, "clock", {"advance": 60})["now"] == START + 60
    state = admin_post(basic_x.url, "clock", {"speed": 1000})
    assert state["speed"] == 1000
    assert clock.now() >= START + 60
    bad = requests.post(f"{basic_x.url}/_admin/clock", json={"advance": -5}, timeout=5)
    assert bad.status_code == 400


def test_reset_forgets_windows_tweets_and_counters(basic_x: FakeX) -> None:
    client = oauth_client(basic_x.url, "shopeeid")
    user_id = client.get_me().data.id
    for _ in range(10):
        client.get_users_mentions(user_id, user_auth=True)
    admin_post(basic_x.url, "reset", {})
    client.get_users_mentions(user_id, user_auth=True)
    assert client.session.last_rate_limit.remaining == 9
