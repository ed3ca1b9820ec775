"""A small HTTP side door: ``GET /metrics`` for Prometheus and ``GET /healthz`` for probes and alerting.

The server is the standard library's ``ThreadingHTTPServer`` on a daemon thread: nothing to install, nothing that
outlives the process. :class:`HealthState` is plain data fed by the loop (or by :class:`HealthObserver`): an
account is healthy while its last successful poll is at most ``stale_after`` poll intervals old; before its
first success the age counts from when the state was created, so start-up gets the same grace.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from bot.core.lifecycle import Event, Handled
from bot.core.models import Decision, Mention
from bot.core.replies import ComposedReply
from bot.settings import Account

log = logging.getLogger(__name__)


class HealthState:
    """When each enabled account last polled successfully. Thread-safe: the loop writes, the server reads."""

    def __init__(
        self,
        accounts: Iterable[str],
        interval_s: float,
        clock: Callable[[], float] = time.time,
        stale_after: float = 3.0,
    ) -> None:
        self.accounts = list(accounts)
        self.interval_s = interval_s
        self.stale_after = stale_after
        self.clock = clock
        self.started_at = clock()
        self._last_ok: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def max_age_s(self) -> float:
        return self.stale_after * self.interval_s

    def polled_ok(self, account: str, at: float) -> None:
        """``account`` finished a successful poll at ``at`` (Unix time)."""
        with self._lock:
            self._last_ok[account] = max(at, self._last_ok.get(account, at))

    def report(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, JSON-ready body) as of now."""
        now = self.clock()
        with self._lock:
            last = dict(self._last_ok)
        accounts: dict[str, dict[str, Any]] = {}
        for code in self.accounts:
            age = now - last.get(code, self.started_at)
            accounts[code] = {"ok": age <= self.max_age_s, "last_ok": last.get(code), "age_s": round(age, 3)}
        stale = [code for code, info in accounts.items() if not info["ok"]]
        body: dict[str, Any] = {"status": "stale" if stale else "ok", "accounts": accounts}
        if stale:
            body["stale"] = stale
            body["max_age_s"] = self.max_age_s
        return not stale, body


class HealthObserver:
    """Feeds :class:`HealthState` from the service's ``poll_done`` (only successful polls reach it)."""

    def __init__(self, state: HealthState) -> None:
        self.state = state

    def decided(self, account: Account, mention: Mention, decision: Decision, status: str) -> None:
        pass

    def posted(self, account: Account, row: Handled, reply: ComposedReply, post_id: str) -> None:
        pass

    def noted(self, account: Account, event: Event, count: int) -> None:
        pass

    def poll_done(self, account: Account) -> None:
        self.state.polled_ok(account.code, self.state.clock())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    registry: CollectorRegistry
    health: HealthState


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._send(200, CONTENT_TYPE_LATEST, generate_latest(self.server.registry))
        elif path == "/healthz":
            healthy, body = self.server.health.report()
            self._send(200 if healthy else 503, "application/json", json.dumps(body).encode())
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found: try /metrics or /healthz\n")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s", format % args)


class HealthServer:
    """``/metrics`` and ``/healthz`` on ``host:port``; ``start(port=0)`` picks a free port (see ``.port``)."""

    def __init__(self, registry: CollectorRegistry, health: HealthState) -> None:
        self.registry = registry
        self.health = health
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the health server is not running")
        return int(self._server.server_address[1])

    def start(self, host: str = "127.0.0.1", port: int = 0) -> HealthServer:
        if self._server is not None:
            raise RuntimeError("the health server is already running")
        server = _Server((host, port), _Handler)
        server.registry, server.health = self.registry, self.health
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="health-http", daemon=True
        )
        self._thread.start()
        log.info("serving /metrics and /healthz on %s:%d", host, self.port)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> HealthServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
