"""Each injected fault reaches the real tweepy/requests stack as the exception a client must handle."""

from __future__ import annotations

import time

import pytest
import requests
import tweepy
from fakex_clients import admin_get, admin_post, mention, oauth_client

from bot.fakex import FakeX, parse_faults
from bot.fakex.faults import FaultPlan


def test_500_and_503_are_server_errors() -> None:
    for kind in ("500", "503"):
        with FakeX(limits="none", faults=f"{kind}=1") as fx:
            with pytest.raises(tweepy.TwitterServerError) as failed:
                oauth_client(fx.url, "shopeeid").get_me()
            assert failed.value.response.status_code == int(kind)


def test_injected_429_has_no_reset_time() -> None:
    with FakeX(limits="pro", faults="429=1") as fx:
        with pytest.raises(tweepy.TooManyRequests) as failed:
            oauth_client(fx.url, "shopeeid").get_me()
        assert failed.value.reset_time is None


def test_hang_outlasts_the_client_timeout_and_stop_interrupts_it() -> None:
    fx = FakeX(limits="none", faults="hang=1", hang_seconds=20).start()
    try:
        with pytest.raises(requests.exceptions.Timeout):
            oauth_client(fx.url, "shopeeid", timeout=(1.0, 0.3)).get_me()
    finally:
        started = time.monotonic()
        fx.stop()
    assert time.monotonic() - started < 3


def test_hang_closes_the_connection_after_hang_seconds() -> None:
    with FakeX(limits="none", faults="hang=1", hang_seconds=0.2) as fx:
        client = oauth_client(fx.url, "shopeeid", timeout=(1.0, 3.0))
        with pytest.raises(requests.exceptions.ConnectionError):
            client.get_me()


def test_malformed_json_fails_to_decode() -> None:
    with FakeX(limits="none", faults="malformed=1") as fx:
        client = oauth_client(fx.url, "shopeeid")
        with pytest.raises(requests.exceptions.JSONDecodeError):
            client.get_me()


def test_reset_drops_the_connection() -> None:
    with FakeX(limits="none", faults="reset=1") as fx:
        client = oauth_client(fx.url, "shopeeid")
        with pytest.raises(requests.exceptions.ConnectionError):
            client.get_me()


def test_a_lost_post_fails_for_the_client_but_was_published() -> None:
    with FakeX(limits="none", faults="lost=1") as fx:
        [tweet_id] = admin_post(fx.url, "mentions", [mention("shopeeid", "down")])["ids"]
        with pytest.raises(requests.exceptions.ConnectionError):
            oauth_client(fx.url, "shopeeid").create_tweet(text="@budi checking", in_reply_to_tweet_id=tweet_id)
        [post] = admin_get(fx.url, "posts")["posts"]
        assert (post["text"], post["in_reply_to_tweet_id"]) == ("@budi checking", tweet_id)
        assert admin_get(fx.url, "stats")["faults"] == {"lost": 1}


def test_lost_only_hits_posting_and_admin_is_never_faulted() -> None:
    with FakeX(limits="none", faults="lost=1") as fx:
        assert oauth_client(fx.url, "shopeeid").get_me().data.username == "shopeeid"
    with FakeX(limits="none", faults="500=1") as fx:
        assert admin_get(fx.url, "stats")["faults"] == {}


def test_the_same_seed_injects_the_same_faults() -> None:
    rates = parse_faults("500=0.2,503=0.1,reset=0.1,lost=0.1")
    first, second, other = FaultPlan(rates, seed=7), FaultPlan(rates, seed=7), FaultPlan(rates, seed=8)
    drawn = [first.pick(is_post=True) for _ in range(200)]
    assert drawn == [second.pick(is_post=True) for _ in range(200)]
    assert drawn != [other.pick(is_post=True) for _ in range(200)]
    assert {"500", "503", "reset", "lost", None} == set(drawn)


def test_faults_can_be_changed_at_runtime() -> None:
    with FakeX(limits="none") as fx:
        admin_post(fx.url, "faults", {"spec": "503=1"})
        with pytest.raises(tweepy.TwitterServerError):
            oauth_client(fx.url, "shopeeid").get_me()
        admin_post(fx.url, "faults", {"spec": ""})
        oauth_client(fx.url, "shopeeid").get_me()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("500", "expected KIND=RATE"),
        ("oops=0.1", "unknown kind"),
        ("500=abc", "not a number"),
        ("500=1.5", "outside 0..1"),
        ("500=0.6,503=0.6", "must sum to <= 1"),
        ("500=0.1,500=0.2", "given twice"),
    ],
)
def test_a_bad_fault_spec_is_a_clear_value_error(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_faults(spec)


def test_a_good_fault_spec_parses() -> None:
    assert parse_faults(" 500=0.05, hang=0.01 ,") == {"500": 0.05, "hang": 0.01}
    assert parse_faults("") == {}
