"""Spike alerts against a tiny webhook receiver on a free loopback port."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.adapters.webhook import SlackWebhook, alert_text
from bot.core.spike import SpikeEvent, SpikeKind

SECRET_PATH = "/services/T000/B000/s3cr3tT0ken"
START = SpikeEvent("ID", SpikeKind.START, 61.5, 2.0, datetime(2023, 2, 6, 8, 1, tzinfo=UTC))
END = SpikeEvent("ID", SpikeKind.END, 3.0, 2.0, datetime(2023, 2, 6, 9, 30, tzinfo=UTC))


@dataclass
class Receiver:
    """What the receiver got, and how it answers."""

    url: str
    bodies: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    delay_s: float = 0.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    server.block_on_close = False
    got = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}{SECRET_PATH}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            got.bodies.append(json.loads(self.rfile.read(length)))
            time.sleep(got.delay_s)
            try:
                self.send_response(got.status)
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:  # the client gave up waiting (the timeout test)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield got
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{SECRET_PATH}"


def test_a_spike_start_is_posted_as_slack_text(receiver: Receiver) -> None:
    assert SlackWebhook(receiver.url).notify(START) is True
    assert len(receiver.bodies) == 1
    assert set(receiver.bodies[0]) == {"text"}
    text = receiver.bodies[0]["text"]
    assert "[ID]" in text and "61.5/min" in text and "baseline 2.0/min" in text and "spiking" in text


def test_a_spike_end_says_it_is_over(receiver: Receiver) -> None:
    assert SlackWebhook(receiver.url).notify(END) is True
    assert "over" in receiver.bodies[0]["text"]


def test_a_refusing_receiver_is_logged_not_raised(receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    receiver.status = 500
    with caplog.at_level(logging.WARNING, logger="bot.adapters.webhook"):
        assert SlackWebhook(receiver.url).notify(START) is False
    assert "answered 500" in caplog.text
    assert "s3cr3t" not in caplog.text


def test_an_unreachable_receiver_is_logged_without_the_secret_url(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.adapters.webhook"):
        assert SlackWebhook(closed_port_url(), timeout=1.0).notify(START) is False
    assert "ConnectionError" in caplog.text
    assert "s3cr3t" not in caplog.text


def test_a_slow_receiver_times_out(receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    receiver.delay_s = 0.5
    with caplog.at_level(logging.WARNING, logger="bot.adapters.webhook"):
        assert SlackWebhook(receiver.url, timeout=0.1).notify(START) is False
    assert "Timeout" in caplog.text


def test_a_malformed_url_is_a_false_not_an_exception() -> None:
    assert SlackWebhook("not a url").notify(START) is False


def test_the_repr_never_shows_the_token() -> None:
    assert "s3cr3t" not in repr(SlackWebhook("https://hooks.slack.com" + SECRET_PATH))


def test_alert_text_names_the_account_and_time() -> None:
    assert "2023-02-06 08:01 UTC" in alert_text(START)
