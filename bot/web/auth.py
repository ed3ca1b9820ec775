"""Who may use the console: one token from the environment, a name for the audit trail, CSRF on every form.

``REPLYBOT_WEB_TOKEN`` is the shared secret (never rendered, never logged); the agent types their name and the
token on the login page. The session is a signed cookie (HttpOnly, SameSite=Strict, Secure unless served on
loopback); every POST carries the session's CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from starlette.requests import Request

NAME_LIMIT = 40


@dataclass(frozen=True)
class Auth:
    token: str
    """What an agent must type to log in (REPLYBOT_WEB_TOKEN)."""

    def check(self, offered: str) -> bool:
        return bool(self.token) and hmac.compare_digest(offered.encode(), self.token.encode())


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
