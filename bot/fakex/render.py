"""JSON shapes of X API v2: tweet and user objects limited to the requested fields, and error bodies."""

from __future__ import annotations

from typing import Any

from bot.fakex.clock import iso_z
from bot.fakex.state import Account, Tweet

Json = dict[str, Any]


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


TWEET_FIELDS = _names(
    "article attachments author_id card_uri community_id context_annotations conversation_id created_at "
    "display_text_range edit_controls edit_history_tweet_ids entities geo id in_reply_to_user_id lang "
    "media_metadata non_public_metrics note_tweet organic_metrics possibly_sensitive promoted_metrics "
    "public_metrics referenced_tweets reply_settings scopes source text withheld"
)
USER_FIELDS = _names(
    "affiliation connection_status created_at description entities id location most_recent_tweet_id name "
    "pinned_tweet_id profile_banner_url profile_image_url protected public_metrics receives_your_dm "
    "subscription_type url username verified verified_type withheld"
)
EXPANSIONS = _names(
    "attachments.media_keys attachments.poll_ids author_id edit_history_tweet_ids entities.mentions.username "
    "geo.place_id in_reply_to_user_id referenced_tweets.id referenced_tweets.id.author_id"
)
USER_EXPANSIONS = frozenset({"pinned_tweet_id", "most_recent_tweet_id", "affiliation.user_id"})
INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"


def tweet_json(tweet: Tweet, fields: frozenset[str]) -> Json:
    """``id``, ``text`` and ``edit_history_tweet_ids`` always; the rest only when asked for and known."""
    out: Json = {"id": tweet.id, "text": tweet.text, "edit_history_tweet_ids": [tweet.id]}
    if "author_id" in fields:
        out["author_id"] = tweet.author_id
    if "conversation_id" in fields:
        out["conversation_id"] = tweet.conversation_id
    if "created_at" in fields:
        out["created_at"] = iso_z(tweet.created_at)
    if "lang" in fields:
        out["lang"] = tweet.lang
    if "referenced_tweets" in fields and tweet.referenced:
        out["referenced_tweets"] = [{"type": kind, "id": tid} for kind, tid in tweet.referenced]
    if "in_reply_to_user_id" in fields and tweet.in_reply_to_user_id:
        out["in_reply_to_user_id"] = tweet.in_reply_to_user_id
    if "entities" in fields and tweet.mentions:
        out["entities"] = {
            "mentions": [{"start": m.start, "end": m.end, "username": m.username, "id": m.id} for m in tweet.mentions]
        }
    if "display_text_range" in fields:
        out["display_text_range"] = [tweet.display_start, len(tweet.text)]
    if "possibly_sensitive" in fields:
        out["possibly_sensitive"] = False
    if "reply_settings" in fields:
        out["reply_settings"] = "everyone"
    if "public_metrics" in fields:
        out["public_metrics"] = {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0}
    return out


def user_json(account: Account, fields: frozenset[str]) -> Json:
    out: Json = {"id": account.id, "name": account.name, "username": account.handle}
    if "created_at" in fields:
        out["created_at"] = iso_z(account.created_at)
    if "description" in fields:
        out["description"] = ""
    if "protected" in fields:
        out["protected"] = False
    if "verified" in fields:
        out["verified"] = False
    if "public_metrics" in fields:
        out["public_metrics"] = {
            "followers_count": 0,
            "following_count": 0,
            "tweet_count": 0,
            "listed_count": 0,
        }
    return out


def problem(status: int, title: str, detail: str | None = None) -> Json:
    """The RFC 7807-style body X uses for 401/403/429/5xx."""
    return {"title": title, "detail": detail or title, "type": "about:blank", "status": status}


def invalid_request(parameter: str, value: str, message: str) -> Json:
    """X's 400 body for a bad query or body parameter."""
    return {
        "errors": [{"parameters": {parameter: [value]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": INVALID_REQUEST,
    }


def not_found_user(user_id: str) -> Json:
    """X answers 200 with an ``errors`` array for a user id it does not know."""
    return {
        "errors": [
            {
                "value": user_id,
                "detail": f"Could not find user with id: [{user_id}].",
                "title": "Not Found Error",
                "resource_type": "user",
                "parameter": "id",
                "resource_id": user_id,
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
        ]
    }
