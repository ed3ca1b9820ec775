"""The ``/_admin/`` endpoints that drills and tests use to shape the fake world. No auth, no faults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.fakex.api import Reply
from bot.fakex.clock import Clock, iso_z, parse_iso
from bot.fakex.ids import HANDLE_RE, is_numeric_id
from bot.fakex.state import Store, find_mentions


class AdminError(Exception):
    """A bad admin request: answered 400 with ``{"error": message}``."""


def add_mentions(
    store: Store, payload: Any, now: float, late: Callable[[], bool] = lambda: False, late_seconds: float = 0.0
) -> Reply:
    """``POST /_admin/mentions``: a list (or one object) of ``{to, text, author, lang?, id?, created_at?,
    conversation_id?, in_reply_to?}``. ``@to`` is prepended when the text does not mention it."""
    items = [payload] if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise AdminError("expected a JSON list of mentions")
    checked = [_check(store, item, n) for n, item in enumerate(items)]
    ids = []
    for item in checked:
        target = store.account(item["to"], now)
        author = store.account(item["author"], now)
        text = item["text"]
        if not any(m.username.lower() == target.handle.lower() for m in find_mentions(text)):
            text = f"@{target.handle} {text}"
        tweet = store.add_tweet(
            text=text,
            author=author,
            now=now,
            lang=item.get("lang") or "und",
            tweet_id=item.get("id"),
            created_at=item.get("created_at"),
            conversation_id=item.get("conversation_id"),
            in_reply_to=item.get("in_reply_to"),
            visible_at=now + late_seconds if late() else 0.0,
        )
        ids.append(tweet.id)
    return Reply(201, {"ids": ids})


def delete_tweets(store: Store, payload: Any) -> Reply:
    """``POST /_admin/delete`` with ``{"ids": [...]}``: the authors deleted these posts (or X removed them)."""
    ids = payload.get("ids") if isinstance(payload, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str | int) for i in ids):
        raise AdminError('expected {"ids": ["<post id>", ...]}')
    return Reply(200, {"deleted": [str(i) for i in ids if store.delete(str(i))]})


def _check(store: Store, raw: Any, n: int) -> dict[str, Any]:
    """Validate one mention before anything is stored, so a bad batch stores nothing."""
    if not isinstance(raw, dict):
        raise AdminError(f"mention #{n}: expected an object")
    item: dict[str, Any] = dict(raw)
    for key in ("to", "author"):
        value = item.get(key)
        if not isinstance(value, str) or not HANDLE_RE.match(value.lstrip("@")):
            raise AdminError(f"mention #{n}: {key!r} must be a handle (1-15 letters, digits, _)")
        item[key] = value.lstrip("@")
    if not isinstance(item.get("text"), str) or not item["text"].strip():
        raise AdminError(f"mention #{n}: 'text' must be a non-empty string")
    for key in ("id", "conversation_id", "in_reply_to"):
        value = item.get(key)
        if value is not None and not (isinstance(value, str | int) and is_numeric_id(str(value))):
            raise AdminError(f"mention #{n}: {key!r} must be a numeric id string")
        if value is not None:
            item[key] = str(value)
    if item.get("id") in store.tweets:
        raise AdminError(f"mention #{n}: id {item['id']} already exists")
    created = item.get("created_at")
    if created is not None:
        try:
            item["created_at"] = parse_iso(created) if isinstance(created, str) else float(created)
        except (TypeError, ValueError):
            raise AdminError(f"mention #{n}: 'created_at' must be ISO 8601 or epoch seconds") from None
    lang = item.get("lang")
    if lang is not None and not isinstance(lang, str):
        raise AdminError(f"mention #{n}: 'lang' must be a string such as 'id' or 'en'")
    return item


def list_posts(store: Store, account: str | None) -> Reply:
    """``GET /_admin/posts[?account=handle]``: everything posted through ``POST /2/tweets``, oldest first."""
    posts = [
        {
            "id": p.id,
            "account": p.account,
            "text": p.text,
            "in_reply_to_tweet_id": p.in_reply_to_tweet_id,
            "created_at": iso_z(p.created_at),
        }
        for p in store.posts
        if account is None or p.account.lower() == account.lower()
    ]
    return Reply(200, {"posts": posts})


def control_clock(clock: Clock, payload: Any) -> Reply:
    """``POST /_admin/clock`` with ``{"advance": seconds}`` and/or ``{"speed": factor}``."""
    if not isinstance(payload, dict) or not set(payload) <= {"advance", "speed"}:
        raise AdminError('expected {"advance": seconds} and/or {"speed": factor}')
    try:
        if "speed" in payload:
            clock.set_speed(float(payload["speed"]))
        if "advance" in payload:
            clock.advance(float(payload["advance"]))
    except (TypeError, ValueError) as exc:
        raise AdminError(f"clock: {exc}") from None
    return clock_state(clock)


def clock_state(clock: Clock) -> Reply:
    now = clock.now()
    return Reply(200, {"now": now, "iso": iso_z(now), "speed": clock.speed})
