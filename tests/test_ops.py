"""Operator commands against the fake X server: approval mode, the human queue, stats and export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CONFIG, fake_env, write_config
from fakex_clients import admin_get, admin_post, mention

from bot.cli import main
from bot.fakex import FakeX

pytestmark = pytest.mark.limits("pro")


@pytest.fixture
def env(fake_x: FakeX, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in fake_env(("ID",)).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("X_API_BASE_URL", fake_x.url)


def config_with_approval(tmp_path: Path) -> Path:
    return write_config(tmp_path / "approval.toml", {"approval": True})


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout


def seed(fake_x: FakeX) -> list[str]:
    return list[str](
        admin_post(
            fake_x.url,
            "mentions",
            [
                mention("shopeeid", "@shopeeid aplikasinya error, gabisa login dari tadi", "rina", lang="in"),
                mention("shopeeid", "@shopeeid saldo ShopeePay saya hilang 300rb, tolong dicek", "tono", lang="in"),
                mention("shopeeid", "@shopeeid makasih min paketnya sudah sampai", "andika", lang="in"),
            ],
        )["ids"]
    )


def test_approval_mode_holds_replies_until_a_human_approves(fake_x: FakeX, env: None, tmp_path: Path) -> None:
    config, db = str(config_with_approval(tmp_path)), str(tmp_path / "r.db")
    complaint, money, _ = seed(fake_x)
    assert cli("run", "--once", "--config", config, "--db", db, "--metrics-port", "0")[0] == 0
    assert admin_get(fake_x.url, "posts")["posts"] == []
    code, out = cli("review", "list", "--config", config, "--db", db)
    assert code == 0 and complaint in out and "awaiting_approval" in out and money in out
    code, out = cli("review", "approve", "--all", "--config", config, "--db", db)
    assert code == 0 and "posted 1" in out
    assert [p["in_reply_to_tweet_id"] for p in admin_get(fake_x.url, "posts")["posts"]] == [complaint]
    code, out = cli("review", "approve", "--all", "--config", config, "--db", db)
    assert "approved 0, posted 0" in out
    assert len(admin_get(fake_x.url, "posts")["posts"]) == 1


def test_a_human_reply_goes_out_once_and_the_queue_empties(fake_x: FakeX, env: None, tmp_path: Path) -> None:
    config, db = str(CONFIG), str(tmp_path / "r.db")
    _, money, _ = seed(fake_x)
    assert cli("run", "--once", "--config", config, "--db", db, "--metrics-port", "0")[0] == 0
    code, out = cli("review", "show", money, "--config", config, "--db", db)
    assert code == 0 and "escalate:money" in out
    code, out = cli(
        "review", "reply", money, "Hi, we've sent you a DM to sort this out.", "--config", config, "--db", db
    )
    assert code == 0, out
    posts = [p for p in admin_get(fake_x.url, "posts")["posts"] if p["in_reply_to_tweet_id"] == money]
    assert len(posts) == 1 and posts[0]["text"].startswith("@tono Hi, we've sent you a DM")
    code, _ = cli("review", "reply", money, "again?", "--config", config, "--db", db)
    assert code == 1  # already answered: nothing posted twice
    assert cli("review", "done", money, "--note", "refunded", "--config", config, "--db", db)[0] == 0
    code, out = cli("review", "list", "--config", config, "--db", db)
    assert money not in out


def test_stats_and_export_describe_what_was_handled(fake_x: FakeX, env: None, tmp_path: Path) -> None:
    config, db = str(CONFIG), str(tmp_path / "r.db")
    complaint, money, praise = seed(fake_x)
    assert cli("run", "--once", "--config", config, "--db", db, "--metrics-port", "0")[0] == 0
    code, out = cli("stats", "--since", "24h", "--json", "--config", config, "--db", db)
    assert code == 0
    indonesia = next(json.loads(line) for line in out.splitlines() if json.loads(line)["account"] == "ID")
    assert (indonesia["seen"], indonesia["replied"], indonesia["escalated"], indonesia["ignored"]) == (3, 1, 1, 1)
    assert indonesia["queue"] == 1 and indonesia["latency_p50_s"] is not None
    code, out = cli("stats", "--config", config, "--db", db)
    assert code == 0 and "mention→reply p50" in out
    code, out = cli("export", "--format", "csv", "--config", config, "--db", db)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["id"]: r["action"] for r in rows} == {complaint: "reply", money: "escalate", praise: "ignore"}
    code, out = cli("export", "--format", "jsonl", "--since", "1h", "--config", config, "--db", db)
    assert len(out.splitlines()) == 3 and json.loads(out.splitlines()[0])["reply_text"]
    assert cli("stats", "--since", "yesterday", "--config", config, "--db", db)[0] == 2


def test_in_approval_mode_a_spike_proposes_the_status_post_and_a_human_posts_it(
    fake_x: FakeX, env: None, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "spike.toml", {"approval": True}, limits={"posts_per_15min": 2})
    db = str(tmp_path / "r.db")
    assert cli("incident", "open", "ID", "--config", str(config), "--db", db)[0] == 0
    admin_post(
        fake_x.url,
        "mentions",
        [
            mention("shopeeid", f"@shopeeid aplikasinya error, gabisa dibuka {i}", f"user{i}", lang="in")
            for i in range(5)
        ],
    )
    assert cli("run", "--once", "--config", str(config), "--db", db, "--metrics-port", "0")[0] == 0
    assert admin_get(fake_x.url, "posts")["posts"] == []  # approval mode: nothing goes out by itself
    code, out = cli("incident", "status-posts", "--config", str(config), "--db", db)
    assert code == 0 and "proposed" in out and "ID" in out
    code, out = cli("incident", "status-posts", "--post", "ID", "--config", str(config), "--db", db)
    assert code == 0 and "posted" in out, out
    (post,) = admin_get(fake_x.url, "posts")["posts"]
    assert post.get("in_reply_to_tweet_id") is None and "kendala" in post["text"]
    again = CliRunner().invoke(main, ["incident", "status-posts", "--post", "ID", "--config", str(config), "--db", db])
    assert again.exit_code == 2 and "no proposed status post" in again.output


def test_hand_back_from_the_cli_posts_the_template_once_and_labels_a_reply(
    fake_x: FakeX, env: None, tmp_path: Path
) -> None:
    config, db = str(config_with_approval(tmp_path)), str(tmp_path / "r.db")
    complaint, _, praise = seed(fake_x)
    assert cli("run", "--once", "--config", config, "--db", db, "--metrics-port", "0")[0] == 0
    code, out = cli("review", "hand-back", praise, "--config", config, "--db", db)  # the bot ignored it wrongly
    assert code == 0 and "handed back (labelled reply)" in out and "posted" in out
    again = CliRunner().invoke(main, ["review", "hand-back", praise, "--config", config, "--db", db])
    assert again.exit_code == 1 and "already has a reply" in again.output  # a second hand-back posts nothing
    assert [p["in_reply_to_tweet_id"] for p in admin_get(fake_x.url, "posts")["posts"]] == [praise]
    code, out = cli("export", "--labelled", "--config", config, "--db", db)
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert (row["id"], row["action"], row["source"]) == (praise, "reply", "replybot review hand-back")
    code, out = cli("export", "--audit", "--config", config, "--db", db)
    assert any(json.loads(line)["action"] == "hand-back" for line in out.splitlines())
    assert complaint  # approval mode: the complaint still waits
