"""The ``/2/`` endpoints as functions of the store, the caller and the request. No HTTP, no locking."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.fakex.ids import is_numeric_id
from bot.fakex.render import (
    EXPANSIONS,
    TWEET_FIELDS,
    USER_EXPANSIONS,
    USER_FIELDS,
    Json,
    invalid_request,
    not_found_user,
    problem,
    tweet_json,
    user_json,
)
from bot.fakex.state import Account, Store, Tweet

DUPLICATE_WINDOW = 24 * 3600
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
TOKEN_PREFIX = "fx1"
NOT_SUMMONED = (
    "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the "
    "author of the post you are replying to."
)
GONE = "You attempted to reply to a Tweet that is deleted or not visible to you."
READ_ONLY = "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint."
NOT_IN_PLAN_DETAIL = (
    "You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints (e.g. media post, "
    "oauth) only. If you need access to this endpoint, you may need a different access level."
)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Json
    headers: dict[str, str] = field(default_factory=dict)


class BadParam(Exception):
    def __init__(self, parameter: str, value: str, message: str) -> None:
        super().__init__(message)
        self.reply = Reply(400, invalid_request(parameter, value, message))


def _csv(params: Mapping[str, str], name: str, allowed: frozenset[str]) -> frozenset[str]:
    raw = params.get(name, "")
    values = frozenset(v for v in raw.split(",") if v)
    unknown = sorted(values - allowed)
    if unknown:
        message = f"The `{name}` query parameter value [{unknown[0]}] is not one of {sorted(allowed)}"
        raise BadParam(name, unknown[0], message)
    return values


def _max_results(params: Mapping[str, str]) -> int:
    raw = params.get("max_results", "10")
    if not raw.isdigit() or not 5 <= int(raw) <= 100:
        raise BadParam("max_results", raw, f"The `max_results` query parameter value [{raw}] is not between 5 and 100")
    return int(raw)


def _id_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not is_numeric_id(raw):
        raise BadParam(name, raw, f"The `{name}` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$")
    return int(raw)


def _token(params: Mapping[str, str]) -> int | None:
    raw = params.get("pagination_token")
    if raw is None:
        return None
    digits = raw.removeprefix(TOKEN_PREFIX)
    if raw.startswith(TOKEN_PREFIX) and digits.isascii() and digits.isalnum():
        return int(digits, 36)
    raise BadParam("pagination_token", raw, f"The `pagination_token` query parameter value [{raw}] is invalid")


def me(caller: Account, params: Mapping[str, str]) -> Reply:
    fields = _csv(params, "user.fields", USER_FIELDS)
    _csv(params, "tweet.fields", TWEET_FIELDS)
    _csv(params, "expansions", USER_EXPANSIONS)
    return Reply(200, {"data": user_json(caller, fields)})


def mentions(store: Store, user_id: str, params: Mapping[str, str], now: float | None = None) -> Reply:
    """``GET /2/users/:id/mentions``: the 800 most recent mentions, newest first, paginated."""
    return _page(store, user_id, params, timeline=False, now=now)


def user_tweets(
    store: Store, user_id: str, params: Mapping[str, str], now: float | None = None, lag_s: float = 0.0
) -> Reply:
    """``GET /2/users/:id/tweets``: the user's own recent posts, newest first, paginated."""
    return _page(store, user_id, params, timeline=True, now=now, lag_s=lag_s)


def _page(
    store: Store,
    user_id: str,
    params: Mapping[str, str],
    *,
    timeline: bool,
    now: float | None = None,
    lag_s: float = 0.0,
) -> Reply:
    if not is_numeric_id(user_id):
        raise BadParam("id", user_id, f"The `id` query parameter value [{user_id}] does not match ^[0-9]{{1,19}}$")
    limit = _max_results(params)
    since, until, token = _id_param(params, "since_id"), _id_param(params, "until_id"), _token(params)
    tweet_fields = _csv(params, "tweet.fields", TWEET_FIELDS)
    user_fields = _csv(params, "user.fields", USER_FIELDS)
    expansions = _csv(params, "expansions", EXPANSIONS)
    account = store.accounts.get(user_id)
    if account is None:
        return Reply(200, not_found_user(user_id))
    pool = store.timeline_of(account, now, lag_s) if timeline else store.mentions_of(account, now)
    matching = [
        t
        for t in pool
        if (since is None or int(t.id) > since)
        and (until is None or int(t.id) < until)
        and (token is None or int(t.id) < token)
    ]
    page = matching[:limit]
    meta: Json = {"result_count": len(page)}
    body: Json = {}
    if page:
        body["data"] = [tweet_json(t, tweet_fields) for t in page]
        meta["newest_id"], meta["oldest_id"] = page[0].id, page[-1].id
        includes = _includes(store, page, expansions, user_fields, tweet_fields)
        if includes:
            body["includes"] = includes
    if len(matching) > limit:
        meta["next_token"] = TOKEN_PREFIX + _base36(int(page[-1].id))
    body["meta"] = meta
    return Reply(200, body)


def _includes(
    store: Store,
    page: list[Tweet],
    expansions: frozenset[str],
    user_fields: frozenset[str],
    fields: frozenset[str],
) -> Json:
    user_ids: list[str] = []
    tweets: list[Tweet] = []
    for tweet in page:
        if "author_id" in expansions:
            user_ids.append(tweet.author_id)
        if "in_reply_to_user_id" in expansions and tweet.in_reply_to_user_id:
            user_ids.append(tweet.in_reply_to_user_id)
        if "entities.mentions.username" in expansions:
            user_ids.extend(m.id for m in tweet.mentions)
        if "referenced_tweets.id" in expansions:
            tweets.extend(store.tweets[tid] for _, tid in tweet.referenced if tid in store.tweets)
    includes: Json = {}
    users = [store.accounts[uid] for uid in dict.fromkeys(user_ids) if uid in store.accounts]
    if users:
        includes["users"] = [user_json(u, user_fields) for u in users]
    if tweets:
        includes["tweets"] = [tweet_json(t, fields) for t in {t.id: t for t in tweets}.values()]
    return includes


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def create_tweet(store: Store, caller: Account, body: Any, now: float) -> tuple[Reply, Tweet | None]:
    """``POST /2/tweets``. Returns the reply and the stored tweet (``None`` when refused)."""
    if not isinstance(body, dict):
        return Reply(400, invalid_request("body", "", "The request body must be a JSON object")), None
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return Reply(400, invalid_request("text", str(text), "The `text` field must be a non-empty string")), None
    reply = body.get("reply") or {}
    parent_id = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
    if parent_id is not None:
        parent = store.tweets.get(str(parent_id))
        if parent is None:  # never existed, deleted by its author, or removed by X: X does not say which
            return Reply(403, problem(403, "Forbidden", GONE)), None
        if parent.author_id != caller.id and not parent.mentions_handle(caller.handle):
            return Reply(403, problem(403, "Forbidden", NOT_SUMMONED)), None
    if text.strip() in store.recent_texts(caller, now - DUPLICATE_WINDOW):
        return Reply(403, problem(403, "Forbidden", DUPLICATE)), None
    tweet = store.add_tweet(
        text=text, author=caller, now=now, lang="und", in_reply_to=str(parent_id) if parent_id else None
    )
    store.record_post(tweet, caller)
    return Reply(201, {"data": {"id": tweet.id, "text": tweet.text, "edit_history_tweet_ids": [tweet.id]}}), tweet
