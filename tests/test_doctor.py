"""`replybot doctor` asks X what it can (whose token, may it write, can it post on the fake) and lists the rest."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import CONFIG, fake_env
from fakex_clients import admin_get

from bot.entrypoints.doctor import is_local
from bot.fakex import FakeX


def doctor(url: str, *extra: str, **env_over: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("X_")}
    env.update(fake_env(("ID", "TH")))
    env.update({"X_API_BASE_URL": url, **env_over})
    cmd = [sys.executable, "-m", "bot", "doctor", "--config", str(CONFIG), *extra]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)


def test_all_well_on_the_fake_x_exits_0_and_prints_the_automated_label_checklist() -> None:
    with FakeX(limits="none") as fx:
        done = doctor(fx.url, X_ID_BEARER_TOKEN="fake:shopeeid")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "ok   credentials: belong to @shopeeid" in done.stdout
        assert "ok   access level: x-access-level: read-write" in done.stdout
        assert done.stdout.count("ok   posting: the fake X took post") == 2
        assert "skip credentials: no X credentials in the environment (X_PH_*)" in done.stdout
        assert '[ ] Turn on the "Automated" label' in done.stdout
        assert "ok   usage: 0 of 3,000,000 post reads this billing cycle" in done.stdout  # ID has a bearer token
        assert "skip usage: X did not report usage" in done.stdout  # TH's is not one the fake knows
        assert len(admin_get(fx.url, "posts")["posts"]) == 2
        assert "secret-id" not in done.stdout + done.stderr


def test_another_users_token_and_a_read_only_token_fail() -> None:
    with FakeX(limits="none") as fx:
        done = doctor(fx.url, X_TH_ACCESS_TOKEN="fake:someone_else")
        assert done.returncode == 1
        assert "FAIL credentials: belong to @someone_else, not the configured @ShopeeTH" in done.stdout
    with FakeX(limits="none", access_level="read") as fx:
        done = doctor(fx.url, "--no-post")
        assert done.returncode == 1 and "x-access-level: read" in done.stdout
        assert admin_get(fx.url, "posts")["posts"] == []


@pytest.mark.parametrize(
    ("url", "local"),
    [("http://127.0.0.1:8099", True), ("http://localhost:1", True), ("https://api.x.com", False), (None, False)],
)
def test_posting_is_only_tried_against_a_local_fake(url: str | None, local: bool) -> None:
    assert is_local(url) is local


def test_every_test_compliance_md_names_exists() -> None:
    """docs/COMPLIANCE.md proves each rule by naming tests: a renamed or deleted test breaks the proof."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    doc = (root / "docs" / "COMPLIANCE.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/test_\w+\.py)((?:::\w+)?)`", doc)
    names = re.findall(r"`::(\w+)`", doc)
    assert len(named) >= 10
    sources = {path: (root / path).read_text(encoding="utf-8") for path, _ in named}
    for path, test in named:
        assert not test or f"def {test[2:]}(" in sources[path], (path, test)
    every = "".join(sources.values())
    for test in names:
        assert f"def {test}(" in every, test
