"""Who may use the console: agents from ``[web.agents]`` with argon2 password hashes, or a shared token from
the environment under the agent's own name; CSRF on every form.

``REPLYBOT_WEB_TOKEN`` and the passwords are never rendered, never logged, never stored; an agent's hash is
read from the configuration only to verify a login (argon2-cffi, the reference implementation's binding). A
name that is an agent's logs in with that agent's password only, never with the token. The session is a signed
cookie (HttpOnly, SameSite=Strict, Secure unless served on loopback); every POST carries the session's CSRF
token.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from starlette.requests import Request

from bot.settings_web import WebSettings

NAME_LIMIT = 40
FAILURES_ALLOWED = 5
"""Failed logins from one client address within ``FAILURE_WINDOW_S`` before it is refused without a check."""
FAILURE_WINDOW_S = 600.0
VERIFY_AT_ONCE = 2
"""argon2 checks running at once (each takes about 64 MiB and a CPU for a moment): a flood waits, it cannot
exhaust the machine."""


def hash_password(password: str) -> str:
    """An argon2id hash for ``[web.agents]`` (argon2-cffi's default, RFC 9106 low-memory parameters)."""
    return PasswordHasher().hash(password)


@functools.cache
def _decoy() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _verify(stored: str, offered: str) -> bool:
    with _VERIFYING:
        try:
            return PasswordHasher().verify(stored, offered)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


@dataclass
class LoginThrottle:
    """Failed logins per client address: the ``FAILURES_ALLOWED``-th failure within the window refuses that
    address until its oldest failure leaves the window. In memory (a restart forgets), per process."""

    clock: Callable[[], float] = time.monotonic
    failures: dict[str, deque[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, client: str, now: float) -> deque[float]:
        seen = self.failures.setdefault(client, deque())
        while seen and now - seen[0] > FAILURE_WINDOW_S:
            seen.popleft()
        return seen

    def retry_after(self, client: str) -> int:
        """Seconds until this address may try again; 0: now."""
        with self.lock:
            now = self.clock()
            seen = self._recent(client, now)
            if len(seen) < FAILURES_ALLOWED:
                return 0
            return max(1, int(FAILURE_WINDOW_S - (now - seen[0])) + 1)

    def failed(self, client: str) -> None:
        with self.lock:
            now = self.clock()
            self._recent(client, now).append(now)
            if len(self.failures) > 10_000:  # a flood of addresses: keep memory bounded
                for stale in [c for c, s in self.failures.items() if not s or now - s[-1] > FAILURE_WINDOW_S]:
                    del self.failures[stale]

    def succeeded(self, client: str) -> None:
        with self.lock:
            self.failures.pop(client, None)


_VERIFYING = threading.BoundedSemaphore(VERIFY_AT_ONCE)


@dataclass(frozen=True)
class Auth:
    web: WebSettings
    throttle: LoginThrottle = field(default_factory=LoginThrottle, compare=False)

    def login(self, name: str, offered: str) -> str | None:
        """The name to record for a good login, or None. An agent's name needs that agent's password; any other
        name needs the token. A wrong name costs as long as a wrong password."""
        found = self.web.agent(name)
        if found is not None:
            agent_name, stored = found
            return agent_name if offered and _verify(stored, offered) else None
        _verify(_decoy(), offered)
        token = self.web.token
        if token and hmac.compare_digest(offered.encode(), token.encode()):
            return name
        return None


def agent(request: Request) -> str | None:
    """The logged-in agent's name, or None."""
    who = request.session.get("agent")
    return who if isinstance(who, str) and who else None


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, offered: object) -> bool:
    expected = request.session.get("csrf")
    return isinstance(offered, str) and isinstance(expected, str) and hmac.compare_digest(offered, expected)


def clean_name(name: str) -> str:
    return " ".join("".join(ch for ch in name if ch.isprintable()).split())[:NAME_LIMIT]
