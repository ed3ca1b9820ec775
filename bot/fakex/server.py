"""HTTP plumbing: a threading server that carries out :class:`bot.fakex.app.Outcome`, the in-process
:class:`FakeX` with start/stop, and the blocking :func:`serve` behind ``replybot fake-x serve``."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import signal
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any

from bot.fakex.app import App, Outcome
from bot.fakex.clock import Clock
from bot.fakex.faults import parse_faults
from bot.fakex.render import problem

log = logging.getLogger(__name__)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: App, hang_seconds: float, latency_s: float = 0.0) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.hang_seconds = hang_seconds
        self.latency_s = latency_s
        self.stopping = threading.Event()

    def take_latency(self, path: str) -> None:
        """Each API call (not the admin API) takes ``latency_s`` fake seconds before X answers: real seconds
        scaled by the clock's speed, or, on a frozen clock, the clock moved forward (calls then take turns)."""
        if self.latency_s <= 0 or path.startswith("/_admin/"):
            return
        clock = self.app.clock
        if clock.speed > 0:
            self.stopping.wait(self.latency_s / clock.speed)
        else:
            clock.advance(self.latency_s)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: a dropped one never poisons a client pool
    server_version = "FakeX/1.0"
    server: _Server

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            self.server.take_latency(self.path)
            outcome = self.server.app.handle(method, self.path, headers, body)
        except Exception:
            log.exception("fake X failed on %s %s", method, self.path)
            outcome = Outcome(500, json.dumps(problem(500, "Internal Server Error")).encode())
        if outcome.action == "hang":
            self.server.stopping.wait(self.server.hang_seconds)
        if outcome.action != "respond":
            self._drop()
            return
        self.send_response(outcome.status)
        for name, value in {"content-type": "application/json; charset=utf-8", **outcome.headers}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(outcome.body)))
        self.end_headers()
        self.wfile.write(outcome.body)

    def _drop(self) -> None:
        """Close without a response; linger 0 makes it a reset rather than a polite FIN where possible."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class FakeX:
    """The fake X API v2 in-process: ``with FakeX(limits="none").start() as fx: ... fx.url ...``."""

    def __init__(
        self,
        limits: str = "pro",
        faults: str = "",
        seed: int | None = None,
        clock: Clock | None = None,
        hang_seconds: float = 30.0,
        latency_s: float = 0.0,
        access_level: str = "read-write",
        late_rate: float = 0.0,
        late_seconds: float = 20.0,
        timeline_lag_s: float = 0.0,
    ) -> None:
        self.clock = clock or Clock()
        self.app = App(
            limits, parse_faults(faults), seed, self.clock, access_level, late_rate, late_seconds, timeline_lag_s
        )
        self.hang_seconds = hang_seconds
        self.latency_s = latency_s
        """Fake seconds every API call takes (see ``_Server.take_latency``)."""
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeX:
        """Serve in a daemon thread; ``port=0`` picks a free port (see :attr:`url`)."""
        server = self._bind(host, port)
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakex", daemon=True
        )
        self._thread.start()
        return self

    def _bind(self, host: str, port: int) -> _Server:
        if self._server is not None:
            raise RuntimeError("this FakeX is already started")
        if not _is_loopback(host):
            log.warning("fake X on %s: the /_admin/ API has no auth; prefer 127.0.0.1", host)
        self._server = _Server((host, port), self.app, self.hang_seconds, self.latency_s)
        log.info("fake X listening on %s (limits %s)", self.url, self.app.limiter.tier)
        return self._server

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeX is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        """Wake hanging requests, stop serving, close the socket. Safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stopping.set()
        if self._thread is not None:
            server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        server.server_close()

    def __enter__(self) -> FakeX:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(
    host: str = "127.0.0.1",
    port: int = 8099,
    limits: str = "pro",
    faults: str = "",
    seed: int | None = None,
    hang_seconds: float = 30.0,
    access_level: str = "read-write",
    late_rate: float = 0.0,
    late_seconds: float = 20.0,
) -> None:
    """Run the fake X in the foreground until Ctrl-C or SIGTERM (a background job ignores SIGINT; a container
    or a supervisor sends SIGTERM). Bad ``limits``/``faults`` → ValueError."""
    fake = FakeX(
        limits=limits,
        faults=faults,
        seed=seed,
        hang_seconds=hang_seconds,
        access_level=access_level,
        late_rate=late_rate,
        late_seconds=late_seconds,
    )
    server = fake._bind(host, port)

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        log.info("fake X stopped")
    finally:
        signal.signal(signal.SIGTERM, previous)
        fake.stop()
