"""A ``requests.Session`` for tweepy: another host, a default timeout, and the last rate-limit headers.

tweepy 4.x builds every URL from the hard-coded ``https://api.twitter.com`` and calls
``session.request(...)`` with no timeout, so a silent server would block a poll forever. Install this
session on the client::

    client = tweepy.Client(consumer_key=..., consumer_secret=..., access_token=..., access_token_secret=...)
    client.session = RoutedSession(base_url="http://127.0.0.1:8099", timeout=(3.05, 10))

Secrets and logging: tweepy never logs the consumer or token *secrets*, and neither does requests-oauthlib
(oauthlib's ``Client.__repr__`` masks them). But at DEBUG level (1) ``tweepy.client`` logs the request
headers, which contain ``Authorization: Bearer <token>`` for app/bearer calls; with OAuth 1.0a that header is
added later by the auth hook, so tweepy's line does not show it; (2) ``requests_oauthlib`` logs the signed
OAuth header ("Updated headers"), i.e. the consumer key, the access token and the signature; (3) ``oauthlib``
logs the signature base string with the same key and token. The composition root should keep the loggers in
:data:`SECRET_BEARING_LOGGERS` at INFO or above.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

X_HOSTS = ("https://api.twitter.com", "https://api.x.com")
SECRET_BEARING_LOGGERS = ("tweepy.client", "requests_oauthlib", "oauthlib")
"""Loggers whose DEBUG lines carry a bearer token, the access token or the consumer key."""
_TIMEOUT_POSITION = 6
"""``timeout`` is the 7th positional parameter after (method, url) of ``requests.Session.request``."""

Timeout = float | tuple[float, float]
CHUNK = 8192


@dataclass(frozen=True)
class RateLimit:
    """Rate-limit headers of one response (``None`` when absent or not an integer)."""

    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None
    """Epoch seconds when the per-user (``x-rate-limit-*``) window resets."""
    app_limit_24h: int | None = None
    app_remaining_24h: int | None = None
    app_reset_24h: int | None = None
    status: int | None = None
    url: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], status: int | None = None, url: str | None = None) -> RateLimit:
        def num(name: str) -> int | None:
            value = headers.get(name)
            try:
                return int(value) if value is not None else None
            except ValueError:
                return None

        return cls(
            limit=num("x-rate-limit-limit"),
            remaining=num("x-rate-limit-remaining"),
            reset=num("x-rate-limit-reset"),
            app_limit_24h=num("x-app-limit-24hour-limit"),
            app_remaining_24h=num("x-app-limit-24hour-remaining"),
            app_reset_24h=num("x-app-limit-24hour-reset"),
            status=status,
            url=url,
        )


class RoutedSession(requests.Session):
    """Sends X API calls to ``base_url`` (when given), always with a timeout, remembering rate limits."""

    def __init__(self, base_url: str | None, timeout: Timeout) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/") if base_url else None
        self.default_timeout = timeout
        self._lock = threading.Lock()
        self._last = RateLimit()
        self.access_level: str | None = None
        """``x-access-level`` of the last answer that had one: ``read``, ``read-write``..."""

    @property
    def last_rate_limit(self) -> RateLimit:
        """Headers of the most recent response received through this session (empty before the first)."""
        with self._lock:
            return self._last

    @property
    def deadline_s(self) -> float:
        """The most one call may take, connection to last byte: a per-read timeout alone never fires on a
        server that trickles a byte every second."""
        timeout = self.default_timeout
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        return connect + 2 * read

    def _read_body(self, response: requests.Response, started: float) -> None:
        chunks = []
        try:
            while chunk := response.raw.read1(CHUNK, decode_content=True):  # what has arrived, not CHUNK bytes
                chunks.append(chunk)
                if time.monotonic() - started > self.deadline_s:
                    raise requests.exceptions.ReadTimeout(
                        f"the answer took longer than {self.deadline_s:.0f} s in all", response=response
                    )
        finally:
            response.close()
        response._content = b"".join(chunks)
        setattr(response, "_content_consumed", True)  # noqa: B010 (requests has no public way)

    def route(self, url: str) -> str:
        if self.base_url:
            for host in X_HOSTS:
                if url == host or url.startswith(host + "/"):
                    return self.base_url + url[len(host) :]
        return url

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str):
            url = self.route(url)
        if len(args) > _TIMEOUT_POSITION:
            if args[_TIMEOUT_POSITION] is None:
                args = (*args[:_TIMEOUT_POSITION], self.default_timeout, *args[_TIMEOUT_POSITION + 1 :])
        elif kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        started = time.monotonic()
        kwargs["stream"] = True  # read the body here, against a deadline for the whole answer
        response = super().request(method, url, *args, **kwargs)
        self._read_body(response, started)
        seen = RateLimit.from_headers(response.headers, response.status_code, response.url)
        with self._lock:
            self._last = seen
            if level := response.headers.get("x-access-level"):
                self.access_level = level
        return response
