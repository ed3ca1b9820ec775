"""Request routing for the fake X: auth, faults, rate limits, stats, then the endpoint. No sockets here.

:meth:`App.handle` turns a parsed request into an :class:`Outcome`; the HTTP handler in
:mod:`bot.fakex.server` only carries it out (answer, hang, or drop the connection).
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from bot.fakex import admin, api
from bot.fakex.api import Reply
from bot.fakex.clock import Clock
from bot.fakex.faults import FaultPlan, parse_faults
from bot.fakex.ids import HANDLE_RE
from bot.fakex.rates import NOT_IN_PLAN, RateLimiter
from bot.fakex.render import Json, problem
from bot.fakex.state import Account, Store

Action = Literal["respond", "reset", "hang", "lost"]
OAUTH_TOKEN_RE = re.compile(r'oauth_token="([^"]*)"')
USER_ROUTE_RE = re.compile(r"^/2/users/([^/]+)/(mentions|tweets)$")
NOT_FOUND_BODY: Json = {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]}
ACCESS_LEVELS = ("read", "read-write", "read-write-directmessages")
USAGE_CAP = 3_000_000
"""Pay-per-use: post reads a project may make in a monthly billing cycle (a usage cap, not a rate limit)."""


@dataclass(frozen=True)
class Outcome:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    action: Action = "respond"


def handle_from_authorization(value: str | None) -> str | None:
    """``Bearer fake:<handle>`` or OAuth 1.0a with ``oauth_token="fake%3A<handle>"`` → ``<handle>``."""
    scheme, _, rest = (value or "").strip().partition(" ")
    if scheme.lower() == "bearer":
        token = unquote(rest.strip())
    elif scheme.lower() == "oauth":
        match = OAUTH_TOKEN_RE.search(rest)
        token = unquote(match.group(1)) if match else ""
    else:
        return None
    handle = token.removeprefix("fake:")
    return handle if token.startswith("fake:") and HANDLE_RE.match(handle) else None


def _encode(body: Json) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


class App:
    """All the fake server's state behind one lock."""

    def __init__(
        self,
        limits: str,
        faults: dict[str, float],
        seed: int | None,
        clock: Clock,
        access_level: str = "read-write",
        late_rate: float = 0.0,
        late_seconds: float = 20.0,
        timeline_lag_s: float = 0.0,
    ) -> None:
        if access_level not in ACCESS_LEVELS:
            raise ValueError(f"unknown access level {access_level!r}: expected one of {', '.join(ACCESS_LEVELS)}")
        if not 0.0 <= late_rate <= 1.0:
            raise ValueError(f"late rate {late_rate} is outside 0..1")
        self.clock = clock
        self.store = Store()
        self.limits = limits
        self.access_level = access_level
        """What X's ``x-access-level`` header says of every token: ``read`` cannot post."""
        self.late_rate, self.late_seconds = late_rate, late_seconds
        """A fraction of added mentions shows in mention timelines only ``late_seconds`` after it was written."""
        self._late_rng = random.Random(seed)
        self.timeline_lag_s = timeline_lag_s
        """An account's own posts show in its timeline only this long after they were made."""
        self.limiter = RateLimiter(limits)
        self.faults = FaultPlan(dict(faults), seed)
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self.rate_limited = 0
        self.posts_read = 0
        """Posts returned by reads, as ``GET /2/usage/tweets`` reports them."""

    def handle(self, method: str, target: str, headers: dict[str, str], raw_body: bytes) -> Outcome:
        parts = urlsplit(target)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self.lock:
            if parts.path.startswith("/_admin/"):
                reply = self._admin(method, parts.path, params, raw_body)
                return Outcome(reply.status, _encode(reply.body), reply.headers)
            outcome = self._v2(method, parts.path, params, headers, raw_body)
            if outcome.action == "respond":  # as X does, on every answer to a user-context call
                outcome = Outcome(
                    outcome.status, outcome.body, {**outcome.headers, "x-access-level": self.access_level}
                )
            self.statuses[str(outcome.status) if outcome.action == "respond" else outcome.action] += 1
            return outcome

    def _v2(self, method: str, path: str, params: dict[str, str], headers: dict[str, str], raw_body: bytes) -> Outcome:
        endpoint, route, user_id = self._route(method, path)
        self.requests[route] += 1
        fault = self.faults.pick(is_post=endpoint == "create_tweet")
        if fault and fault != "lost":
            self.injected[fault] += 1
            if fault in ("500", "503", "429"):
                title = {
                    "500": "Internal Server Error",
                    "503": "Service Unavailable",
                    "429": "Too Many Requests",
                }
                return Outcome(int(fault), _encode(problem(int(fault), title[fault])))
            if fault == "402":
                body = problem(
                    402, "CreditsDepleted", "Your account does not have any credits to fulfill this request."
                )
                return Outcome(402, _encode({**body, "type": "https://api.x.com/2/problems/credits"}))
            if fault == "capped":
                body = problem(429, "UsageCapExceeded", "Usage cap exceeded: monthly product cap")
                return Outcome(429, _encode({**body, "type": "https://api.x.com/2/problems/usage-capped"}))
            if fault == "malformed":
                return Outcome(200, b'{"data": [{"id": "1', {"content-type": "application/json"})
            if fault in ("hang", "reset"):
                return Outcome(0, b"", action="hang" if fault == "hang" else "reset")
        handle = handle_from_authorization(headers.get("authorization"))
        if handle is None:
            return Outcome(401, _encode(problem(401, "Unauthorized")))
        if endpoint is None:
            return Outcome(404, _encode(NOT_FOUND_BODY))
        now = self.clock.now()
        caller = self.store.account(handle, now)
        if endpoint in NOT_IN_PLAN.get(self.limits, ()):
            return Outcome(403, _encode({**problem(403, "Forbidden", api.NOT_IN_PLAN_DETAIL), "code": 453}))
        if endpoint == "create_tweet" and self.access_level == "read":
            return Outcome(403, _encode({**problem(403, "Forbidden", api.READ_ONLY), "code": 453}))
        limit_headers: dict[str, str] = {}
        if self.limiter.limited(endpoint):
            verdict = self.limiter.hit(endpoint, caller.id, now)
            limit_headers = verdict.headers
            if not verdict.allowed:
                self.rate_limited += 1
                return Outcome(429, _encode(problem(429, "Too Many Requests")), limit_headers)
        reply = self._endpoint(endpoint, caller, user_id, params, raw_body, now)
        if endpoint in ("mentions", "user_tweets") and reply.status == 200 and isinstance(reply.body, dict):
            self.posts_read += len(reply.body.get("data") or [])
        action: Action = "respond"
        if fault == "lost":
            self.injected[fault] += 1
            action = "lost"
        return Outcome(reply.status, _encode(reply.body), {**limit_headers, **reply.headers}, action)

    @staticmethod
    def _route(method: str, path: str) -> tuple[str | None, str, str]:
        """(endpoint name for limits, route label for stats, path user id)."""
        if method == "GET" and path == "/2/users/me":
            return "me", "GET /2/users/me", ""
        if method == "POST" and path == "/2/tweets":
            return "create_tweet", "POST /2/tweets", ""
        if method == "GET" and path == "/2/usage/tweets":
            return "usage", "GET /2/usage/tweets", ""
        match = USER_ROUTE_RE.match(path)
        if method == "GET" and match:
            kind = "mentions" if match.group(2) == "mentions" else "user_tweets"
            return kind, f"GET /2/users/:id/{match.group(2)}", match.group(1)
        return None, f"{method} other", ""

    def _endpoint(
        self,
        endpoint: str,
        caller: Account,
        user_id: str,
        params: dict[str, str],
        raw_body: bytes,
        now: float,
    ) -> Reply:
        try:
            if endpoint == "me":
                return api.me(caller, params)
            if endpoint == "mentions":
                return api.mentions(self.store, user_id, params, now)
            if endpoint == "user_tweets":
                return api.user_tweets(self.store, user_id, params, now, self.timeline_lag_s)
            if endpoint == "usage":
                return Reply(
                    200,
                    {
                        "data": {
                            "project_id": "1",
                            "project_cap": str(USAGE_CAP),
                            "project_usage": str(self.posts_read),
                            "cap_reset_day": 1,
                        }
                    },
                )
            try:
                body: Any = json.loads(raw_body or b"null")
            except ValueError:
                body = None
            return api.create_tweet(self.store, caller, body, now)[0]
        except api.BadParam as exc:
            return exc.reply

    def _admin(self, method: str, path: str, params: dict[str, str], raw_body: bytes) -> Reply:
        try:
            payload: Any = json.loads(raw_body) if raw_body.strip() else {}
        except ValueError:
            return Reply(400, {"error": "the body is not valid JSON"})
        try:
            route = (method, path.rstrip("/"))
            if route == ("POST", "/_admin/mentions"):
                late = self._late_rng.random
                return admin.add_mentions(
                    self.store, payload, self.clock.now(), lambda: late() < self.late_rate, self.late_seconds
                )
            if route == ("POST", "/_admin/delete"):
                return admin.delete_tweets(self.store, payload)
            if route == ("GET", "/_admin/posts"):
                return admin.list_posts(self.store, params.get("account"))
            if route == ("GET", "/_admin/stats"):
                return Reply(200, self.stats())
            if route == ("POST", "/_admin/reset"):
                self.reset()
                return Reply(200, {"reset": True})
            if route == ("POST", "/_admin/clock"):
                return admin.control_clock(self.clock, payload)
            if route == ("GET", "/_admin/clock"):
                return admin.clock_state(self.clock)
            if route == ("POST", "/_admin/faults"):
                return self._set_faults(payload)
        except admin.AdminError as exc:
            return Reply(400, {"error": str(exc)})
        return Reply(404, {"error": f"no admin endpoint {method} {path}"})

    def _set_faults(self, payload: Any) -> Reply:
        """``POST /_admin/faults`` with ``{"spec": "500=0.1"}``; ``""`` turns faults off."""
        spec = payload.get("spec") if isinstance(payload, dict) else None
        if not isinstance(spec, str):
            raise admin.AdminError('expected {"spec": "KIND=RATE,..."}')
        try:
            self.faults.rates = parse_faults(spec)
        except ValueError as exc:
            raise admin.AdminError(str(exc)) from None
        return Reply(200, {"faults": self.faults.rates})

    def stats(self) -> Json:
        return {
            "requests": dict(self.requests),
            "statuses": dict(self.statuses),
            "rate_limited": self.rate_limited,
            "faults": dict(self.injected),
            "posts": len(self.store.posts),
            "accounts": len(self.store.accounts),
            "tweets": len(self.store.tweets),
        }

    def reset(self) -> None:
        """Forget tweets, accounts, windows and counters. The clock, fault plan and RNG carry on."""
        self.store.clear()
        self.limiter.clear()
        self.requests.clear()
        self.statuses.clear()
        self.injected.clear()
        self.rate_limited = 0
        self.posts_read = 0
