"""The web console's settings: where it listens and who may log in.

``[web]`` in the TOML file (``host``, ``port``, ``session_hours``) and ``[web.agents]``: one ``name = "HASH"``
line per agent, the argon2 hash that ``replybot web hash-password`` prints (never a password). From the
environment: ``REPLYBOT_WEB_TOKEN``, a shared token any agent may log in with under their own name,
``REPLYBOT_WEB_SECRET``, the key that signs session cookies, and ``REPLYBOT_WEB_HOST`` over ``[web] host`` (the
image sets ``0.0.0.0``). Nothing here imports the web extra: a hash is checked for its shape at load and verified
by ``bot.web.auth`` at login.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import _Reader

WEB_KEYS = {"host", "port", "session_hours", "agents"}
AGENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
ARGON2_RE = re.compile(r"^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{8,}\$[A-Za-z0-9+/]{16,}$")
MIN_TOKEN = 16


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    """``replybot web --host`` overrides; keep it on loopback behind a proxy."""
    port: int = 8108
    session_hours: float = 12.0
    agents: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    """(name, argon2 hash) per agent."""
    token: str | None = field(default=None, repr=False)
    """``REPLYBOT_WEB_TOKEN``: any agent logs in with it under their own name (None: agents only)."""
    session_secret: str | None = field(default=None, repr=False)
    """``REPLYBOT_WEB_SECRET``: signs the session cookie; None: a new key per start (a restart logs out)."""

    def agent(self, name: str) -> tuple[str, str] | None:
        """(the configured spelling of the name, its hash) of the agent called ``name``, matched without regard
        to case; None when no agent is."""
        wanted = name.lower()
        return next(((n, h) for n, h in self.agents if n.lower() == wanted), None)

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.token, self.session_secret, *(h for _, h in self.agents)) if s)

    def login_problem(self) -> str | None:
        """Why nobody could log in, or None."""
        if self.token is not None and len(self.token) < MIN_TOKEN:
            return f"REPLYBOT_WEB_TOKEN is shorter than {MIN_TOKEN} characters: make it longer"
        if self.token is None and not self.agents:
            return (
                f"set REPLYBOT_WEB_TOKEN (at least {MIN_TOKEN} characters) in the environment, or add agents under "
                "[web.agents] (`replybot web hash-password` makes a hash): nobody could log in"
            )
        return None


def read_web(r: _Reader, env: Mapping[str, str]) -> WebSettings:
    """``[web]`` and its ``agents`` table, validated: a mistake names the key and the fix, never the value."""
    r.reject_unknown(WEB_KEYS)
    port = int(r.number("port", 8108, int, 1))
    if port > 65535:
        raise r.error("port", f"expected a TCP port 1-65535, got {port}")
    agents_raw = r.table.get("agents", {})
    if not isinstance(agents_raw, dict):
        raise r.error("agents", 'expected a table of name = "argon2 hash" ([web.agents])')
    agents = []
    for name, value in agents_raw.items():
        if not AGENT_RE.match(name):
            raise r.error(f"agents.{name}", "agent names are 1-40 letters, digits, '.', '_' or '-'")
        if not isinstance(value, str) or not ARGON2_RE.match(value):  # never echoed: it may be a plain password
            raise r.error(f"agents.{name}", "expected an argon2 hash from `replybot web hash-password`")
        agents.append((name, value))
    lowered = [n.lower() for n, _ in agents]
    if len(set(lowered)) != len(lowered):
        raise r.error("agents", "two agents have the same name (names match without regard to case)")
    return WebSettings(
        host=env.get("REPLYBOT_WEB_HOST", "").strip() or r.string("host", "127.0.0.1"),
        port=port,
        session_hours=float(r.number("session_hours", 12.0, float, 0.1)),
        agents=tuple(agents),
        token=env.get("REPLYBOT_WEB_TOKEN", "").strip() or None,
        session_secret=env.get("REPLYBOT_WEB_SECRET", "").strip() or None,
    )
