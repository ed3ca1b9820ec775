"""RoutedSession: host rewrite, default timeout, last rate-limit headers; where secrets could be logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests
from fakex_clients import CONSUMER_SECRET, TOKEN_SECRET, admin_post, bearer_client, mention, oauth_client

from bot.adapters.x_session import SECRET_BEARING_LOGGERS, RateLimit, RoutedSession
from bot.fakex import FakeX


class Recorder(RoutedSession):
    """Records what reaches ``requests.Session.request`` after the rewrite."""

    def __init__(self, base_url: str | None, timeout: Any) -> None:
        super().__init__(base_url, timeout)
        self.seen: list[tuple[str, Any]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.seen.append((str(request.url), kwargs.get("timeout")))
        return super().send(request, **kwargs)


def test_x_urls_go_to_the_base_url_with_the_default_timeout() -> None:
    with FakeX(limits="pro") as fx:
        session = Recorder(fx.url, (1.5, 4.0))
        session.request("GET", "https://api.twitter.com/2/users/me", headers={"Authorization": "Bearer fake:a"})
        session.request("GET", "https://api.x.com/2/users/me", headers={"Authorization": "Bearer fake:a"}, timeout=9)
        session.get(f"{fx.url}/_admin/stats")
        assert session.seen == [
            (f"{fx.url}/2/users/me", (1.5, 4.0)),
            (f"{fx.url}/2/users/me", 9),
            (f"{fx.url}/_admin/stats", (1.5, 4.0)),
        ]


def test_a_positional_timeout_is_kept() -> None:
    with FakeX(limits="none") as fx:
        session = Recorder(fx.url, 4.0)
        session.request("GET", f"{fx.url}/_admin/stats", None, None, None, None, None, None, 2.5)
        assert session.seen == [(f"{fx.url}/_admin/stats", 2.5)]


def test_without_a_base_url_nothing_is_rewritten() -> None:
    assert RoutedSession(None, 3.0).route("https://api.twitter.com/2/tweets") == "https://api.twitter.com/2/tweets"


def test_last_rate_limit_reads_the_headers_of_the_last_response() -> None:
    with FakeX(limits="pro") as fx:
        client = oauth_client(fx.url, "shopeeid")
        assert client.session.last_rate_limit == RateLimit()
        client.get_me()
        seen = client.session.last_rate_limit
        assert (seen.limit, seen.remaining, seen.status) == (75, 74, 200)
        assert seen.app_limit_24h is None


def test_debug_logs_never_carry_the_oauth_secrets(caplog: pytest.LogCaptureFixture) -> None:
    with FakeX(limits="none") as fx, caplog.at_level(logging.DEBUG):
        [tweet_id] = admin_post(fx.url, "mentions", [mention("shopeeid", "down")])["ids"]
        client = oauth_client(fx.url, "shopeeid")
        client.get_users_mentions(client.get_me().data.id, user_auth=True)
        client.create_tweet(text="@budi checking", in_reply_to_tweet_id=tweet_id)
        bearer_client(fx.url, "shopeeid").get_me(user_auth=False)
    messages = [(r.name, r.getMessage()) for r in caplog.records]
    assert not [m for _, m in messages if CONSUMER_SECRET in m or TOKEN_SECRET in m]
    leaking = {name.split(".")[0] for name, m in messages if "fake:shopeeid" in m or "fake%3Ashopeeid" in m}
    assert leaking <= {logger.split(".")[0] for logger in SECRET_BEARING_LOGGERS}
    tweepy_lines = [m for name, m in messages if name == "tweepy.client" and "Authorization" in m]
    assert tweepy_lines and all("Bearer fake:shopeeid" in m for m in tweepy_lines)
