"""The X adapter: the platform port on ``tweepy.Client`` (X API v2). The only module that imports tweepy.

- Every call has a connect and read timeout (tweepy sets none) and can be routed to the fake X server.
- Reads retry transient failures (network, timeouts, 5xx) with tenacity: exponential backoff with jitter,
  bounded, one log line per retry. Posts are never retried blindly: a post whose answer was lost may have
  been created, so it raises ``PostOutcomeUnknown`` and the service reconciles against the account's own
  recent replies before posting again.
- Rate limits are paced from X's headers: an endpoint whose window is spent is not called again before its
  reset; a 429 without a reset header backs off exponentially instead of retrying in a loop.
- tweepy objects are converted to the project's own dataclasses here and go no further.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests
import tweepy
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from bot.adapters.x_records import BadRecord, loads, mention_of, quarantined, users_of
from bot.adapters.x_session import RoutedSession
from bot.core.ids import snowflake_ms
from bot.core.models import Me, Mention, MentionPage, Posted, Quarantined
from bot.ports import (
    CreditsExhausted,
    DuplicateContent,
    NotSummoned,
    PlatformError,
    PostGone,
    PostOutcomeUnknown,
    RateLimited,
    ReadOnlyToken,
    TransientPlatformError,
    Unauthorized,
)
from bot.settings import Account, Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

TWEET_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "lang",
    "referenced_tweets",
    "in_reply_to_user_id",
    "entities",
    "display_text_range",
]
MENTION_WINDOW = 800
MAX_PAGES = MENTION_WINDOW // 100
"""Pages of 100 one read may take: X keeps 800 mentions, so more means a server that never stops paging."""
"""X serves only the 800 most recent mentions of a user."""
NOT_SUMMONED_WORDS = (
    "mentioned or are the author",
    "not allowed to reply",
    "not been mentioned or otherwise engaged",
)
"""X's refusals of a reply to a post that did not summon the account (older and 2026 wordings)."""


def typed_handle(text: str, display_range: Any, handle: str) -> bool:
    """True when ``@handle`` is in the part of ``text`` the author typed: X's ``display_text_range`` starts
    after the @handles it fills in for a reply. Without a usable range the whole text counts."""
    start = 0
    if isinstance(display_range, list) and display_range and isinstance(display_range[0], int):
        start = max(0, display_range[0])
    pattern = r"(?<![A-Za-z0-9_])@" + re.escape(handle) + r"(?![A-Za-z0-9_])"
    return re.search(pattern, text[start:], re.IGNORECASE) is not None


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    initial_wait_s: float = 0.5
    max_wait_s: float = 30.0
    backoff_429_s: float = 15.0
    """First wait after a 429 without a reset header; doubles each time, up to 15 minutes."""


def endpoint_name(method: str | None, path: str) -> str:
    """A short label for an X API path: me, mentions, timeline, post or other."""
    path = path.split("?", 1)[0]
    if path.endswith("/users/me"):
        return "me"
    if path.endswith("/mentions"):
        return "mentions"
    if path.endswith("/tweets"):
        return "post" if method == "POST" else "timeline"
    return "other"


class _Transient(Exception):
    """Internal: a read failed for a reason that retrying may fix."""


def _detail(exc: tweepy.HTTPException) -> str:
    parts = [*exc.api_messages, *(str(e.get("detail", "")) for e in exc.api_errors if isinstance(e, dict))]
    try:
        body = exc.response.json()
        if isinstance(body, dict) and body.get("detail"):
            parts.append(str(body["detail"]))
    except ValueError:
        pass
    unique = list(dict.fromkeys(p for p in parts if p))  # X repeats itself ("Unauthorized Unauthorized")
    return " ".join(unique) or f"HTTP {exc.response.status_code}"


def _raise_if_billing(exc: tweepy.HTTPException) -> None:
    """402 (credits used up) and a 429 of type ``usage-capped`` are billing, not pacing: CreditsExhausted."""
    status = exc.response.status_code
    try:
        body = exc.response.json()
    except ValueError:
        body = {}
    kind = str(body.get("type", "")) if isinstance(body, dict) else ""
    if status == 402 or (status == 429 and "usage-capped" in kind):
        raise CreditsExhausted(f"{status}: {_detail(exc)}") from None


class XPlatform:
    """One support account on X."""

    def __init__(
        self,
        account: Account,
        settings: Settings,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], object] = time.sleep,
        now: Callable[[], float] = time.time,
        on_api_call: Callable[[str, str, int | str], None] | None = None,
    ) -> None:
        if account.credentials is None:
            raise PlatformError(f"account {account.code} has no credentials")
        creds = account.credentials
        self.account = account
        self.max_age = timedelta(seconds=settings.limits.max_mention_age_s)
        self.retry = retry or RetryPolicy(
            attempts=settings.retry_attempts,
            initial_wait_s=settings.retry_initial_wait_s,
            max_wait_s=settings.retry_max_wait_s,
        )
        self.sleep, self.now = sleep, now
        self.session = RoutedSession(settings.api_base_url, settings.http_timeouts)
        self.client = tweepy.Client(
            bearer_token=creds.bearer_token,
            consumer_key=creds.api_key,
            consumer_secret=creds.api_secret,
            access_token=creds.access_token,
            access_token_secret=creds.access_token_secret,
            wait_on_rate_limit=False,  # it retries at once without a reset header and ignores 24 h caps
        )
        self.client.session = self.session
        if on_api_call is not None:
            code = account.code

            def count(response: requests.Response, *args: Any, **kwargs: Any) -> None:
                on_api_call(
                    code, endpoint_name(response.request.method, response.request.path_url), response.status_code
                )

            self.session.hooks["response"].append(count)
        self._me: Me | None = None
        self._lock = threading.Lock()
        self._blocked_until: dict[str, float] = {}
        self._backoff_429: dict[str, float] = {}

    # --- the port ---------------------------------------------------------------------------------------

    def me(self) -> Me:
        """Who the token belongs to. ReadOnlyToken when X says it may only read (``x-access-level``)."""
        if self._me is None:
            resp = self._read("me", lambda: self.client.get_me(user_auth=True, user_fields=["username"]))
            level = self.session.access_level
            if level == "read":
                raise ReadOnlyToken(
                    f"account {self.account.code}: X says this token may only read (x-access-level: read); "
                    "give the app Read and Write permission and generate a new access token"
                )
            self._me = Me(str(resp.data.id), str(resp.data.username))
        return self._me

    def usage(self) -> dict[str, int] | None:
        """This month's post reads against the project's cap (``GET /2/usage/tweets``, app auth), or None when
        X does not say (no bearer token, or the plan has no such cap)."""
        try:
            resp = self.client.request("GET", "/2/usage/tweets", params={"days": 30}, user_auth=False)
            data = resp.json().get("data") or {}
            return {"used": int(data["project_usage"]), "cap": int(data["project_cap"])}
        except (tweepy.TweepyException, requests.RequestException, ValueError, KeyError, TypeError):
            return None

    @property
    def access_level(self) -> str | None:
        """The last ``x-access-level`` X sent (``read``, ``read-write``...), None before any answer."""
        return self.session.access_level

    def fetch_mentions(self, since_id: str | None) -> MentionPage:
        """Every mention newer than ``since_id``, read page by page (at most :data:`MAX_PAGES`, the 800 X
        keeps), each record checked at the edge (:mod:`bot.adapters.x_records`): a bad one is quarantined."""
        me = self.me()
        tweets: list[Mention] = []
        bad: list[Quarantined] = []
        token: str | None = None
        seen_tokens: set[str] = set()
        oldest_allowed = datetime.fromtimestamp(self.now(), UTC) - self.max_age
        path = f"/2/users/{me.id}/mentions"
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {
                "max_results": 100,
                "tweet.fields": ",".join(TWEET_FIELDS),
                "expansions": "author_id",
                "user.fields": "username",
            }
            if since_id:
                params["since_id"] = since_id
            if token:
                params["pagination_token"] = token
            body = self._read("mentions", lambda p=params: self._get_json(path, p))  # type: ignore[misc]
            data = body.get("data")
            records: list[Any] = data if isinstance(data, list) else []
            users = users_of(body.get("includes"))
            page = []
            for raw in records:
                try:
                    page.append(mention_of(raw, users, self.account.code, self._typed))
                except BadRecord as exc:
                    bad.append(quarantined(raw, str(exc)))
                    log.warning("malformed mention quarantined: %s", exc, extra={"account": self.account.code})
            tweets.extend(page)
            meta = body.get("meta")
            nxt = meta.get("next_token") if isinstance(meta, dict) else None
            token = nxt if isinstance(nxt, str) else None
            if not token or not records:
                break
            if token in seen_tokens:
                log.warning(
                    "X sent the same pagination token twice: stopped reading", extra={"account": self.account.code}
                )
                break
            seen_tokens.add(token)
            if since_id is None and page and page[-1].created_at and page[-1].created_at < oldest_allowed:
                break  # a first start: nothing older than max_mention_age will be answered anyway
        else:
            log.warning("stopped after %d pages of mentions", MAX_PAGES, extra={"account": self.account.code})
        unique = {m.id: m for m in tweets}
        tweets = sorted(unique.values(), key=lambda m: (len(m.id), m.id))
        extras = self._window_check(since_id, tweets)
        return MentionPage(tuple(tweets), tweets[-1].id if tweets else None, extras, tuple(bad))

    def _get_json(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """One GET through tweepy (auth, errors), its body parsed here: floats never become ids."""
        response = self.client.request("GET", path, params=params, user_auth=True)
        try:
            body = loads(response.text)
        except RecursionError:
            raise ValueError("the answer's JSON is nested too deep") from None
        if not isinstance(body, dict):
            raise ValueError("the answer is not a JSON object")
        return body

    def _typed(self, text: str, display_range: Any) -> bool:
        return typed_handle(text, display_range, self.account.handle)

    def post_reply(self, in_reply_to: str, text: str) -> Posted:
        return self._create(text, in_reply_to)

    def post_status(self, text: str) -> Posted:
        return self._create(text, None)

    def _create(self, text: str, in_reply_to: str | None) -> Posted:
        self._check_pacing("post")
        try:
            resp = self.client.create_tweet(text=text, in_reply_to_tweet_id=in_reply_to, user_auth=True)
        except tweepy.TooManyRequests as exc:
            _raise_if_billing(exc)
            self._on_429("post", exc)
            raise RateLimited("post rate limit", self._blocked_until.get("post")) from None
        except tweepy.Forbidden as exc:
            detail = _detail(exc)
            if "duplicate content" in detail.lower():
                raise DuplicateContent(detail) from None
            if any(words in detail.lower() for words in NOT_SUMMONED_WORDS):
                raise NotSummoned(detail) from None
            if "deleted or not visible" in detail.lower():
                raise PostGone(detail) from None
            if "oauth1 app permissions" in detail.lower():
                raise ReadOnlyToken(f"the token cannot post: {detail}") from None
            raise PlatformError(f"403 Forbidden: {detail}") from None
        except tweepy.Unauthorized as exc:
            raise Unauthorized(_detail(exc)) from None
        except tweepy.BadRequest as exc:
            raise PlatformError(f"400 Bad Request: {_detail(exc)}") from None
        except tweepy.TwitterServerError as exc:
            raise PostOutcomeUnknown(f"{exc.response.status_code} from X while posting") from None
        except (requests.RequestException, ValueError) as exc:
            raise PostOutcomeUnknown(f"no usable answer while posting: {type(exc).__name__}") from None
        except tweepy.HTTPException as exc:  # 402 and whatever X adds: X answered, so nothing was posted
            _raise_if_billing(exc)
            raise PlatformError(f"{exc.response.status_code}: {_detail(exc)}") from None
        finally:
            self._note_limits("post")
        data = resp.data or {}
        return Posted(str(data["id"]), str(data.get("text", text)), in_reply_to or "")

    def own_replies(self, limit: int = 100) -> list[Posted]:
        me = self.me()
        resp = self._read(
            "timeline",
            lambda: self.client.get_users_tweets(
                me.id, max_results=max(5, min(limit, 100)), tweet_fields=["referenced_tweets"], user_auth=True
            ),
        )
        posted = []
        for tweet in resp.data or []:
            replied = next((str(r.id) for r in tweet.referenced_tweets or [] if r.type == "replied_to"), None)
            if replied:
                posted.append(Posted(str(tweet.id), str(tweet.text), replied))
        return posted

    # --- conversion ---------------------------------------------------------------------------------------

    def _window_check(self, since_id: str | None, tweets: list[Mention]) -> dict[str, str]:
        """X keeps only the 800 most recent mentions: if we got that many, some may have fallen out."""
        if not since_id or len(tweets) < MENTION_WINDOW or tweets[0].id == since_id:
            return {}
        first, last, since = snowflake_ms(tweets[0].id), snowflake_ms(tweets[-1].id), snowflake_ms(since_id)
        lost = 0
        if first and last and since and last > first:
            lost = int((first - since) * len(tweets) / (last - first))
        log.warning(
            "mention window overrun: more mentions arrived between polls than X keeps; about %d lost",
            lost,
            extra={"account": self.account.code},
        )
        return {"window_overrun": "1", "estimated_lost": str(lost)}

    # --- retries and pacing ----------------------------------------------------------------------------

    def _read(self, endpoint: str, call: Callable[[], T]) -> T:
        def attempt() -> T:
            self._check_pacing(endpoint)
            try:
                return call()
            except tweepy.TooManyRequests as exc:
                _raise_if_billing(exc)
                self._on_429(endpoint, exc)
                raise RateLimited(f"{endpoint} rate limit", self._blocked_until.get(endpoint)) from None
            except tweepy.Unauthorized as exc:
                raise Unauthorized(_detail(exc)) from None
            except tweepy.TwitterServerError as exc:
                raise _Transient(f"{exc.response.status_code} from X") from None
            except (requests.RequestException, ValueError) as exc:  # timeouts, resets, malformed JSON
                raise _Transient(type(exc).__name__) from None
            except tweepy.HTTPException as exc:
                _raise_if_billing(exc)
                raise PlatformError(f"{exc.response.status_code}: {_detail(exc)}") from None
            finally:
                self._note_limits(endpoint)

        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(self.retry.attempts),
            wait=wait_exponential_jitter(
                multiplier=self.retry.initial_wait_s, max=self.retry.max_wait_s, jitter=self.retry.initial_wait_s
            ),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except _Transient as exc:
            raise TransientPlatformError(f"{endpoint}: {exc} (after {self.retry.attempts} attempts)") from None

    def _sleep(self, seconds: float) -> None:
        """Wait before a retry; a stop signal (``sleep`` is ``Event.wait`` and returns True) ends the retries:
        after a signal no new call starts."""
        if self.sleep(seconds) is True:
            raise TransientPlatformError("stopping: no retry after a stop signal")

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        log.warning(
            "X call failed (%s), retry %d in %.1fs",
            exc,
            state.attempt_number,
            wait,
            extra={"account": self.account.code},
        )

    def _note_limits(self, endpoint: str) -> None:
        """Read X's headers: a spent window blocks the endpoint until its reset."""
        seen = self.session.last_rate_limit
        if seen.remaining == 0 and seen.reset:
            with self._lock:
                self._blocked_until[endpoint] = max(self._blocked_until.get(endpoint, 0), seen.reset + 1.0)
        if seen.app_remaining_24h == 0 and seen.app_reset_24h and endpoint == "post":
            with self._lock:
                self._blocked_until["post"] = max(self._blocked_until.get("post", 0), seen.app_reset_24h + 1.0)
        if seen.status and seen.status < 400:
            self._backoff_429.pop(endpoint, None)

    def _on_429(self, endpoint: str, exc: tweepy.TooManyRequests) -> None:
        reset = getattr(exc, "reset_time", None)
        seen = self.session.last_rate_limit
        if seen.app_remaining_24h == 0 and seen.app_reset_24h:  # the 24 h app cap, not the user window
            reset = max(reset or 0, seen.app_reset_24h)
        with self._lock:
            if reset:
                until = float(reset) + random.uniform(1.0, 3.0)
            else:  # no reset header: back off exponentially instead of hammering
                step = self._backoff_429.get(endpoint, self.retry.backoff_429_s / 2) * 2
                self._backoff_429[endpoint] = min(step, 900.0)
                until = self.now() + self._backoff_429[endpoint] * random.uniform(0.8, 1.2)
            self._blocked_until[endpoint] = max(self._blocked_until.get(endpoint, 0), until)
        log.warning(
            "429 from X on %s; pausing it for %.0fs",
            endpoint,
            self._blocked_until[endpoint] - self.now(),
            extra={"account": self.account.code},
        )

    def _check_pacing(self, endpoint: str) -> None:
        until = self._blocked_until.get(endpoint, 0.0)
        if until > self.now():
            raise RateLimited(f"{endpoint} paused until its rate-limit window resets", until)
