"""The fake X answers real tweepy calls the way X API v2 does: accounts, mentions, posting, refusals."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import tweepy
from fakex_clients import admin_get, admin_post, bearer_client, mention, oauth_client

from bot.adapters.x_session import RoutedSession
from bot.fakex import Clock, FakeX

FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "lang",
    "referenced_tweets",
    "in_reply_to_user_id",
    "entities",
]


def account_id(client: tweepy.Client) -> str:
    return str(client.get_me().data.id)


def test_me_is_the_account_named_by_the_oauth_token(fake_x: FakeX) -> None:
    me = oauth_client(fake_x.url, "shopeeid").get_me().data
    assert (me.username, me.name) == ("shopeeid", "shopeeid")
    assert me.id == oauth_client(fake_x.url, "shopeeid").get_me().data.id


def test_a_bearer_token_names_the_same_account(fake_x: FakeX) -> None:
    oauth_me = oauth_client(fake_x.url, "shopeeid").get_me().data
    bearer_me = bearer_client(fake_x.url, "shopeeid").get_me(user_auth=False).data
    assert bearer_me.id == oauth_me.id


def test_a_token_that_is_not_fake_handle_is_refused_with_401(fake_x: FakeX) -> None:
    client = tweepy.Client(bearer_token="real-looking-token")
    client.session = RoutedSession(fake_x.url, (2.0, 5.0))
    with pytest.raises(tweepy.Unauthorized):
        client.get_me(user_auth=False)
    body = requests.get(f"{fake_x.url}/2/users/me", timeout=5).json()
    assert body == {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}


def test_mentions_come_with_fields_and_authors_and_a_reply_is_recorded(fake_x: FakeX) -> None:
    client = oauth_client(fake_x.url, "shopeeid")
    [tweet_id] = admin_post(fake_x.url, "mentions", [mention("shopeeid", "aplikasi error terus", lang="id")])["ids"]
    page = client.get_users_mentions(
        account_id(client),
        user_auth=True,
        expansions=["author_id"],
        tweet_fields=FIELDS,
        user_fields=["username"],
    )
    [tweet] = page.data
    assert (tweet.id, tweet.text, tweet.lang) == (int(tweet_id), "@shopeeid aplikasi error terus", "id")
    assert tweet.conversation_id == tweet.id and tweet.created_at.tzinfo is not None
    assert tweet.entities["mentions"][0]["username"] == "shopeeid"
    assert [u.username for u in page.includes["users"]] == ["budi"]
    assert page.meta == {"result_count": 1, "newest_id": tweet_id, "oldest_id": tweet_id}

    posted = client.create_tweet(text="@budi Maaf, kami cek ya", in_reply_to_tweet_id=tweet_id).data
    assert posted["edit_history_tweet_ids"] == [posted["id"]]
    [record] = admin_get(fake_x.url, "posts")["posts"]
    assert record["account"] == "shopeeid" and record["in_reply_to_tweet_id"] == tweet_id
    assert record["id"] == posted["id"] and record["created_at"].endswith("Z")


def test_created_at_is_iso_8601_with_milliseconds_and_z(fake_x: FakeX) -> None:
    admin_post(fake_x.url, "mentions", [mention("shopeeid", "hi", created_at="2023-02-14T08:15:30.250Z")])
    url = f"{fake_x.url}/2/users/{account_id(oauth_client(fake_x.url, 'shopeeid'))}/mentions"
    body = requests.get(url, params={"tweet.fields": "created_at"}, headers={"Authorization": "Bearer fake:shopeeid"})
    assert body.json()["data"][0]["created_at"] == "2023-02-14T08:15:30.250Z"
    assert set(body.json()["data"][0]) == {"id", "text", "edit_history_tweet_ids", "created_at"}


def test_pagination_walks_250_mentions_newest_first(fake_x: FakeX) -> None:
    ids = admin_post(fake_x.url, "mentions", [mention("shopeeid", f"down {n}") for n in range(250)])["ids"]
    client = oauth_client(fake_x.url, "shopeeid")
    pages = list(tweepy.Paginator(client.get_users_mentions, account_id(client), user_auth=True, max_results=100))
    assert [p.meta["result_count"] for p in pages] == [100, 100, 50]
    assert [str(t.id) for p in pages for t in p.data] == list(reversed(ids))
    assert "next_token" not in pages[-1].meta


def test_since_id_returns_only_newer_mentions(fake_x: FakeX) -> None:
    ids = admin_post(fake_x.url, "mentions", [mention("shopeeid", f"m{n}") for n in range(7)])["ids"]
    client = oauth_client(fake_x.url, "shopeeid")
    page = client.get_users_mentions(account_id(client), user_auth=True, since_id=ids[4])
    assert [str(t.id) for t in page.data] == [ids[6], ids[5]]
    empty = client.get_users_mentions(account_id(client), user_auth=True, since_id=ids[6])
    assert empty.data is None and empty.meta == {"result_count": 0}


def test_only_the_800_most_recent_mentions_are_reachable(fake_x: FakeX) -> None:
    ids = admin_post(fake_x.url, "mentions", [mention("shopeeid", f"m{n}") for n in range(850)])["ids"]
    client = oauth_client(fake_x.url, "shopeeid")
    seen = [
        str(t.id)
        for t in tweepy.Paginator(
            client.get_users_mentions, account_id(client), user_auth=True, max_results=100
        ).flatten(limit=2000)
    ]
    assert seen == list(reversed(ids[50:]))


@pytest.mark.parametrize("max_results", [4, 101])
def test_max_results_outside_5_to_100_is_a_400(fake_x: FakeX, max_results: int) -> None:
    client = oauth_client(fake_x.url, "shopeeid")
    with pytest.raises(tweepy.BadRequest, match="not between 5 and 100"):
        client.get_users_mentions(account_id(client), user_auth=True, max_results=max_results)


def test_the_same_text_twice_is_refused_as_duplicate_content(fake_x: FakeX) -> None:
    client = oauth_client(fake_x.url, "shopeeid")
    client.create_tweet(text="Status: all systems normal")
    with pytest.raises(tweepy.Forbidden, match="duplicate content"):
        client.create_tweet(text="Status: all systems normal")
    oauth_client(fake_x.url, "shopeemy").create_tweet(text="Status: all systems normal")


def test_replying_to_a_post_that_does_not_mention_the_account_is_forbidden(fake_x: FakeX) -> None:
    [other] = admin_post(fake_x.url, "mentions", [mention("tokopedia", "down?")])["ids"]
    with pytest.raises(tweepy.Forbidden, match="not been mentioned or otherwise engaged by the author"):
        oauth_client(fake_x.url, "shopeeid").create_tweet(text="hello", in_reply_to_tweet_id=other)


def test_replying_to_a_missing_or_deleted_post_is_a_403_deleted_or_not_visible(fake_x: FakeX) -> None:
    client = oauth_client(fake_x.url, "shopeeid")
    with pytest.raises(tweepy.Forbidden, match="deleted or not visible"):
        client.create_tweet(text="hello", in_reply_to_tweet_id="123456789")
    [gone] = admin_post(fake_x.url, "mentions", [mention("shopeeid", "down?")])["ids"]
    assert admin_post(fake_x.url, "delete", {"ids": [gone, "42"]})["deleted"] == [gone]
    with pytest.raises(tweepy.Forbidden, match="deleted or not visible"):
        client.create_tweet(text="hello", in_reply_to_tweet_id=gone)
    me = client.get_me(user_auth=True).data
    assert client.get_users_mentions(me.id, user_auth=True).data is None  # gone from the timeline too


def test_the_timeline_lists_own_replies_with_referenced_tweets(fake_x: FakeX) -> None:
    ids = admin_post(fake_x.url, "mentions", [mention("shopeeid", f"help {n}") for n in range(3)])["ids"]
    client = oauth_client(fake_x.url, "shopeeid")
    for n, tweet_id in enumerate(ids):
        client.create_tweet(text=f"@budi on it #{n}", in_reply_to_tweet_id=tweet_id)
    page = client.get_users_tweets(
        account_id(client),
        user_auth=True,
        tweet_fields=["referenced_tweets", "conversation_id", "in_reply_to_user_id"],
    )
    replied = [(t.referenced_tweets[0].type, str(t.referenced_tweets[0].id)) for t in page.data]
    assert replied == [("replied_to", i) for i in reversed(ids)]
    assert [str(t.conversation_id) for t in page.data] == list(reversed(ids))
    assert all(t.in_reply_to_user_id is not None for t in page.data)


def test_admin_rejects_a_bad_batch_without_storing_any_of_it(fake_x: FakeX) -> None:
    response = requests.post(
        f"{fake_x.url}/_admin/mentions", json=[mention("shopeeid", "ok"), {"to": "shopeeid"}], timeout=5
    )
    assert response.status_code == 400 and "mention #1" in response.json()["error"]
    assert admin_get(fake_x.url, "stats")["tweets"] == 0


def test_concurrent_posts_get_unique_increasing_ids(fake_x: FakeX) -> None:
    def post_ten(handle: str) -> list[int]:
        client = oauth_client(fake_x.url, handle)
        return [int(client.create_tweet(text=f"{handle} update {n}").data["id"]) for n in range(10)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        per_account = list(pool.map(post_ten, ["shopeeid", "shopeemy", "shopeeth", "shopeeph"]))
    assert all(ids == sorted(ids) for ids in per_account)
    assert len({i for ids in per_account for i in ids}) == 40
    assert admin_get(fake_x.url, "stats")["posts"] == 40


def test_every_answer_says_the_tokens_access_level_and_a_read_only_token_cannot_post() -> None:
    with FakeX(limits="none", access_level="read") as fx:
        session = RoutedSession(fx.url, (2.0, 5.0))
        client = oauth_client(fx.url, "shopeeid")
        client.session = session
        client.get_me(user_auth=True)
        assert session.access_level == "read"
        with pytest.raises(tweepy.Forbidden, match="oauth1 app permissions"):
            client.create_tweet(text="hello")
    with FakeX(limits="none") as fx:
        response = requests.get(f"{fx.url}/2/users/me", headers={"Authorization": "Bearer fake:shopeeid"}, timeout=5)
        assert response.headers["x-access-level"] == "read-write"


def test_the_free_plan_cannot_read_mentions_and_posts_17_a_day() -> None:
    with FakeX(limits="free") as fx:
        client = oauth_client(fx.url, "shopeeid")
        me = client.get_me(user_auth=True).data
        with pytest.raises(tweepy.Forbidden, match="subset of X API V2 endpoints"):
            client.get_users_mentions(me.id, user_auth=True)
        for n in range(17):
            client.create_tweet(text=f"status {n}")
        with pytest.raises(tweepy.TooManyRequests):
            client.create_tweet(text="one too many")


@pytest.mark.parametrize(("limits", "me_per_day"), [("basic", 100), ("free", 25)])
def test_the_plans_users_me_limit_is_the_documented_one(limits: str, me_per_day: int) -> None:
    with FakeX(limits=limits) as fx:
        response = requests.get(f"{fx.url}/2/users/me", headers={"Authorization": "Bearer fake:shopeeid"}, timeout=5)
        assert response.headers["x-rate-limit-limit"] == str(me_per_day)


def test_payg_limits_mention_reads_per_app_as_well_as_per_user() -> None:
    with FakeX(limits="payg") as fx:
        client = oauth_client(fx.url, "shopeeid")
        me = client.get_me(user_auth=True).data
        response = client.session.get(
            f"{fx.url}/2/users/{me.id}/mentions", headers={"Authorization": "Bearer fake:shopeeid"}, timeout=5
        )
        assert response.headers["x-rate-limit-limit"] == "300"


def test_a_late_mention_shows_only_after_its_delay() -> None:
    with FakeX(limits="none", late_rate=1.0, late_seconds=20.0, clock=Clock(speed=0)) as fx:
        [late] = admin_post(fx.url, "mentions", [mention("shopeeid", "down?")])["ids"]
        client = oauth_client(fx.url, "shopeeid")
        me = client.get_me(user_auth=True).data
        assert client.get_users_mentions(me.id, user_auth=True).data is None
        fx.clock.advance(21)
        assert [str(t.id) for t in client.get_users_mentions(me.id, user_auth=True).data] == [late]


def test_usage_reports_the_posts_reads_returned() -> None:
    with FakeX(limits="none") as fx:
        admin_post(fx.url, "mentions", [mention("shopeeid", f"down {n}") for n in range(3)])
        client = oauth_client(fx.url, "shopeeid")
        me = client.get_me(user_auth=True).data
        client.get_users_mentions(me.id, user_auth=True)
        usage = bearer_client(fx.url, "shopeeid").request("GET", "/2/usage/tweets").json()["data"]
        assert (usage["project_usage"], usage["project_cap"]) == ("3", "3000000")
