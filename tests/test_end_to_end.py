"""`replybot run` as a real process against the fake X server: real tweepy, real SQLite, real signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from conftest import CONFIG, fake_env
from fakex_clients import admin_get, admin_post, mention

from bot.fakex import FakeX

pytestmark = [pytest.mark.slow, pytest.mark.limits("pro")]


def bot_env(url: str, codes: tuple[str, ...] = ("ID", "TH")) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("X_")}
    env.update(fake_env(codes))
    env.update({"X_API_BASE_URL": url, "REPLYBOT_LOG_LEVEL": "DEBUG"})
    return env


def run_bot(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "bot", *args, "--config", str(CONFIG)]
    if args[0] == "run" and "--metrics-port" not in args:
        cmd += ["--metrics-port", "0"]
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def complaints(fake_x: FakeX) -> list[str]:
    return list[str](
        admin_post(
            fake_x.url,
            "mentions",
            [
                mention("shopeeid", "@shopeeid aplikasinya error, gabisa login dari tadi", "rina", lang="in"),
                mention("shopeeid", "@shopeeid makasih min paketnya udah sampai", "andika", lang="in"),
                mention("shopeeth", "@shopeeth แอปล่มหรือเปล่าคะ เข้าไม่ได้เลย", "ploy", lang="th"),
            ],
        )["ids"]
    )


def test_run_once_replies_once_and_a_restart_adds_nothing(fake_x: FakeX, tmp_path: Path) -> None:
    ids = complaints(fake_x)
    db = tmp_path / "live.db"
    env = bot_env(fake_x.url)
    first = run_bot(["run", "--once", "--db", str(db)], env, tmp_path)
    assert first.returncode == 0, first.stderr
    posts = admin_get(fake_x.url, "posts")["posts"]
    assert sorted(p["in_reply_to_tweet_id"] for p in posts) == sorted([ids[0], ids[2]])
    again = run_bot(["run", "--once", "--db", str(db)], env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(admin_get(fake_x.url, "posts")["posts"]) == 2


def test_dry_run_posts_nothing_and_prints_what_it_would_post(fake_x: FakeX, tmp_path: Path) -> None:
    complaints(fake_x)
    result = run_bot(["run", "--once", "--dry-run"], bot_env(fake_x.url), tmp_path)
    assert result.returncode == 0, result.stderr
    assert admin_get(fake_x.url, "posts")["posts"] == []
    assert "would post" in result.stdout and "@rina" in result.stdout and "@ploy" in result.stdout
    assert not (tmp_path / "data").exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sigterm_stops_the_loop_cleanly_with_exit_0_and_health_and_metrics_are_served(
    fake_x: FakeX, tmp_path: Path
) -> None:
    env = bot_env(fake_x.url)
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "bot",
        "run",
        "--interval",
        "0.2",
        "--config",
        str(CONFIG),
        "--db",
        str(tmp_path / "l.db"),
        "--metrics-port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        complaints(fake_x)
        deadline = time.monotonic() + 15
        while len(admin_get(fake_x.url, "posts")["posts"]) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert health.status_code == 200, health.text
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'replybot_replies_total{account="ID"} 1.0' in metrics
        assert "replybot_mention_to_reply_seconds_bucket" in metrics
        assert 'replybot_api_calls_total{account="ID",endpoint="post",status="201"} 1.0' in metrics
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert len(admin_get(fake_x.url, "posts")["posts"]) == 2


def test_no_secret_ever_reaches_the_logs(fake_x: FakeX, tmp_path: Path) -> None:
    complaints(fake_x)
    env = bot_env(fake_x.url)
    env["X_ID_ACCESS_TOKEN"] = "fake:shopeeid"
    result = run_bot(["run", "--once", "--db", str(tmp_path / "s.db")], env, tmp_path)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "polling" in output  # the log really was written, at DEBUG
    for name, value in fake_env(("ID", "TH")).items():
        assert value not in output, f"{name} leaked"


def test_fake_x_serve_runs_as_a_command_and_refuses_a_bad_fault_spec(tmp_path: Path) -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "bot", "fake-x", "serve", "--port", str(port), "--limits", "basic", "--seed", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                me = requests.get(
                    f"http://127.0.0.1:{port}/2/users/me", headers={"Authorization": "Bearer fake:shopeeid"}, timeout=2
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "fake X did not start"
                time.sleep(0.1)
        assert me.status_code == 200 and me.json()["data"]["username"] == "shopeeid"
        assert me.headers["x-rate-limit-limit"] == "100"  # Basic: 100 /users/me a day (Free: 25)
        assert me.headers["x-access-level"] == "read-write"
    finally:  # SIGTERM: a SIGINT is ignored when pytest itself runs in the background
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 0  # it stopped by itself on SIGTERM
    bad = subprocess.run([*cmd[:5], "--faults", "boom=2"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "--faults" in bad.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_exits_0_within_10_seconds_even_while_x_hangs(signum: int, tmp_path: Path) -> None:
    """Issue 14: with `hang` faults a stop took 5-40 s, because new calls and retries still started."""
    with FakeX(limits="none", faults="hang=0.6", seed=11, hang_seconds=60.0) as fx:
        admin_post(fx.url, "faults", {"spec": ""})
        complaints(fx)
        admin_post(fx.url, "faults", {"spec": "hang=0.6"})
        cmd = [sys.executable, "-m", "bot", "run", "--interval", "0.2", "--config", str(CONFIG), "--db",
               str(tmp_path / "h.db"), "--metrics-port", "0"]  # fmt: skip
        proc = subprocess.Popen(cmd, env=bot_env(fx.url), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and admin_get(fx.url, "stats")["faults"].get("hang", 0) < 2:
                time.sleep(0.2)  # calls are hanging now
            assert admin_get(fx.url, "stats")["faults"].get("hang", 0) >= 2
            sent = time.monotonic()
            proc.send_signal(signum)
            proc.communicate(timeout=15)
            took = time.monotonic() - sent
        finally:
            proc.kill()
    assert proc.returncode == 0 and took < 10, took


def test_run_once_exits_1_when_its_poll_failed(tmp_path: Path) -> None:
    with FakeX(limits="none", faults="503=1.0") as fx:
        env = {**bot_env(fx.url), "REPLYBOT_LOG_LEVEL": "INFO"}
        done = run_bot(["run", "--once", "--db", str(tmp_path / "f.db")], env, tmp_path)
    assert done.returncode == 1 and "a poll failed" in done.stdout + done.stderr
