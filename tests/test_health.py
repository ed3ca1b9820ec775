"""Health from poll times on a clock we drive, and the /metrics and /healthz server on a free loopback port."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.health import HealthObserver, HealthServer, HealthState
from bot.adapters.metrics import Metrics, MetricsObserver
from bot.adapters.mock import MockPlatform
from bot.adapters.observers import FanOut
from bot.bootstrap import App

T0 = 1_675_670_400.0  # 2023-02-06 08:00 UTC
INTERVAL = 60.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def health(clock: Clock) -> HealthState:
    return HealthState(["ID", "TH"], INTERVAL, clock=clock)


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def server(metrics: Metrics, health: HealthState) -> Iterator[HealthServer]:
    with HealthServer(metrics.registry, health).start("127.0.0.1", 0) as running:
        yield running


def get(server: HealthServer, path: str) -> tuple[int, str, str]:
    """(status, content type, body) without raising on 4xx/5xx."""
    url = f"http://127.0.0.1:{server.port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def get_json(server: HealthServer, path: str) -> tuple[int, dict[str, Any]]:
    status, content_type, body = get(server, path)
    assert content_type == "application/json"
    return status, json.loads(body)


# --- the state ----------------------------------------------------------------------------------------


def test_a_fresh_start_is_healthy_during_the_grace_period(health: HealthState, clock: Clock) -> None:
    clock.now = T0 + 3 * INTERVAL
    assert health.report()[0] is True


def test_an_account_that_never_polls_successfully_turns_stale_after_three_intervals(
    health: HealthState, clock: Clock
) -> None:
    health.polled_ok("ID", T0 + 170)
    clock.now = T0 + 3 * INTERVAL + 1
    healthy, body = health.report()
    assert healthy is False
    assert body["status"] == "stale" and body["stale"] == ["TH"]
    assert body["accounts"]["ID"]["ok"] is True and body["accounts"]["TH"]["last_ok"] is None


def test_an_account_that_stops_polling_successfully_turns_stale(health: HealthState, clock: Clock) -> None:
    verdicts = []
    for minute in range(10):  # TH's polls fail from minute 5 on
        clock.now = T0 + minute * INTERVAL
        health.polled_ok("ID", clock.now)
        if minute < 5:
            health.polled_ok("TH", clock.now)
        verdicts.append(health.report()[0])
    assert verdicts == [True] * 8 + [False] * 2  # three intervals of grace after the last success at minute 4
    body = health.report()[1]
    assert body["stale"] == ["TH"] and body["accounts"]["TH"]["age_s"] == 5 * INTERVAL


def test_an_out_of_order_report_never_moves_the_last_success_back(health: HealthState, clock: Clock) -> None:
    health.polled_ok("ID", T0 + 100)
    health.polled_ok("ID", T0 + 10)
    assert health.report()[1]["accounts"]["ID"]["last_ok"] == T0 + 100


# --- the server ---------------------------------------------------------------------------------------


def test_healthz_is_200_while_every_account_polls(server: HealthServer, health: HealthState, clock: Clock) -> None:
    clock.now = T0 + 100
    health.polled_ok("ID", clock.now)
    health.polled_ok("TH", clock.now)
    status, body = get_json(server, "/healthz")
    assert status == 200
    assert body["status"] == "ok" and set(body["accounts"]) == {"ID", "TH"}


def test_healthz_turns_503_when_an_account_stops_polling(
    server: HealthServer, health: HealthState, clock: Clock
) -> None:
    health.polled_ok("ID", T0)
    health.polled_ok("TH", T0)
    clock.now = T0 + 4 * INTERVAL
    health.polled_ok("ID", clock.now)
    status, body = get_json(server, "/healthz")
    assert status == 503
    assert body["stale"] == ["TH"]


def test_metrics_shows_the_counters_after_observer_calls(
    server: HealthServer, metrics: Metrics, make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    platforms["ID"].add_mention("aplikasinya error terus, gabisa login dari tadi pagi", "rina")
    app = make_app(observer=MetricsObserver(metrics))
    for account in app.accounts:
        app.service.poll(account)
    status, content_type, text = get(server, "/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    assert 'replybot_replies_total{account="ID"} 1.0' in text
    assert 'replybot_mentions_total{account="ID",action="reply"' in text
    assert 'replybot_last_poll_timestamp_seconds{account="TH"}' in text
    assert "replybot_mention_to_reply_seconds_bucket" in text


def test_the_health_observer_marks_accounts_polled_from_the_service(make_app: Callable[..., App], clock: Clock) -> None:
    health = HealthState(["ID", "TH", "PH", "SG", "MY", "VN"], INTERVAL, clock=clock)
    app = make_app(observer=FanOut(HealthObserver(health)))
    clock.now = T0 + 10 * INTERVAL
    assert health.report()[0] is False
    for account in app.accounts:
        app.service.poll(account)
    assert health.report()[0] is True


def test_an_unknown_path_is_404(server: HealthServer) -> None:
    assert get(server, "/")[0] == 404


def test_the_server_picks_a_free_port_and_stops(metrics: Metrics, health: HealthState) -> None:
    first = HealthServer(metrics.registry, health).start()
    second = HealthServer(metrics.registry, health).start()
    try:
        assert first.port != second.port and first.port > 0
    finally:
        first.stop()
        second.stop()
    with pytest.raises(RuntimeError):
        _ = first.port
    first.stop()  # stopping twice is harmless


def test_the_health_command_asks_the_configured_port_and_exits_by_its_answer(
    server: HealthServer, health: HealthState, clock: Clock, tmp_path: Path
) -> None:
    from click.testing import CliRunner
    from conftest import write_config

    from bot.cli import main

    config = write_config(tmp_path / "c.toml", bot={"metrics_port": server.port})
    health.polled_ok("ID", clock.now)
    health.polled_ok("TH", clock.now)
    ok = CliRunner().invoke(main, ["health", "--config", str(config)])
    assert ok.exit_code == 0 and '"ok"' in ok.output
    clock.now += 4 * INTERVAL  # both accounts stale
    stale = CliRunner().invoke(main, ["health", "--config", str(config)])
    assert stale.exit_code == 1 and "503" in stale.output
