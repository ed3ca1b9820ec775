"""X's mention records checked at the edge: one bad record is quarantined, the rest of the page goes on.

A mention page is parsed from the raw JSON here rather than by tweepy, which raises on a record without
``text`` or with a non-digit id (and so loses the whole page) and turns a float id into a rounded integer
(four ids became one, and the bot replied to a post that does not exist). Every field is checked: ids are
strings of digits, never numbers; a ``lang`` that is not a string is unknown; a bad ``created_at`` gives way to
the time the id encodes; a lone surrogate becomes U+FFFD. A record that cannot be a mention (no id, no text)
is a :class:`Quarantined` one, kept with its raw JSON for a human.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from bot.core.ids import snowflake_time
from bot.core.models import Mention, Quarantined
from bot.core.normalize import mend_surrogates
from bot.settings import HANDLE_RE

DIGITS = re.compile(r"[0-9]{1,19}")
RAW_LIMIT = 10_000
"""Characters of a quarantined record's JSON kept for a human."""


class BadRecord(ValueError):
    """A record that cannot be a mention; the message says why."""


class FloatId(float):
    """A JSON number with a fraction or exponent: never an id (it was rounded before it reached us)."""


def loads(text: str) -> Any:
    """JSON where every non-integer number is a :class:`FloatId` and integers stay exact."""
    return json.loads(text, parse_float=FloatId)


def _is_id(value: Any) -> bool:
    """A string (or an exact integer) of digits; never a float, which was rounded before it reached us."""
    return isinstance(value, str | int) and not isinstance(value, bool | float) and bool(DIGITS.fullmatch(str(value)))


def _id(value: Any, field: str, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not _is_id(value):
        plain = isinstance(value, str | int) and not isinstance(value, bool | float)
        shown = repr(str(value)[:40]) if plain else type(value).__name__
        raise BadRecord(f"{field} is not a string of digits: {shown}")
    return str(value)


def _created(value: Any, tweet_id: str) -> datetime | None:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            if parsed.year >= 2006:  # X was founded in 2006: year 0001 is not a post's date
                return parsed
        except (ValueError, OverflowError):
            pass
    return snowflake_time(tweet_id)


def _refs(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        return ()
    out = []
    for ref in value:
        if isinstance(ref, dict) and isinstance(ref.get("type"), str):
            rid = _id(ref.get("id"), "referenced_tweets.id")
            if rid:
                out.append((mend_surrogates(ref["type"]), rid))
    return tuple(out)


def users_of(includes: Any) -> dict[str, str]:
    """author id -> handle, from ``includes.users``; a user whose id or handle is not valid is left out."""
    users: dict[str, str] = {}
    for user in (includes or {}).get("users", []) if isinstance(includes, dict) else []:
        if not isinstance(user, dict):
            continue
        uid, name = user.get("id"), user.get("username")
        if _is_id(uid) and isinstance(name, str) and HANDLE_RE.match(name):
            users[str(uid)] = name
    return users


def mention_of(raw: Any, users: dict[str, str], account: str, typed: Any) -> Mention:
    """One record as a :class:`Mention`; :class:`BadRecord` when it cannot be one. ``typed(text, range)``
    tells whether the account's handle is in the text the author typed."""
    if not isinstance(raw, dict):
        raise BadRecord(f"not an object: {type(raw).__name__}")
    tweet_id = _id(raw.get("id"), "id", required=True)
    assert tweet_id is not None
    text = raw.get("text")
    if not isinstance(text, str):
        raise BadRecord("no text" if text is None else f"text is not a string: {type(text).__name__}")
    text = mend_surrogates(text)
    author_id = _id(raw.get("author_id"), "author_id") or ""
    lang = raw.get("lang")
    return Mention(
        id=tweet_id,
        text=text,
        author_id=author_id,
        author_handle=users.get(author_id, ""),
        account=account,
        created_at=_created(raw.get("created_at"), tweet_id),
        conversation_id=_id(raw.get("conversation_id"), "conversation_id"),
        lang=mend_surrogates(lang) if isinstance(lang, str) and len(lang) <= 16 else None,
        in_reply_to_user_id=_id(raw.get("in_reply_to_user_id"), "in_reply_to_user_id"),
        referenced=_refs(raw.get("referenced_tweets")),
        typed_handle=typed(text, raw.get("display_text_range")),
    )


def quarantined(raw: Any, reason: str) -> Quarantined:
    rid = raw.get("id") if isinstance(raw, dict) else None
    usable = _is_id(rid)
    try:
        text = json.dumps(raw, ensure_ascii=True, default=str)
    except (TypeError, ValueError):
        text = repr(raw)
    return Quarantined(str(rid) if usable else "", reason, text[:RAW_LIMIT])
