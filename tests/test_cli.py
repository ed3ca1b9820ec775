"""The commands as a user runs them (click's runner, real config, real templates)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CONFIG, ROOT, fake_env, write_config

from bot.cli import main
from bot.settings import load_settings


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args])
    return result.exit_code, result.output


def invoke_stdout(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args])
    return result.exit_code, result.stdout


def test_classify_prints_the_decision_as_json() -> None:
    code, out = invoke_stdout(
        "classify", "@ShopeeID aplikasinya error, gabisa login", "--lang", "in", "--config", str(CONFIG)
    )
    assert code == 0
    decision = json.loads(out)
    assert decision["action"] == "reply" and decision["category"] == "login" and decision["lang"] == "id"
    assert decision["reason"]


def test_simulate_writes_one_line_per_input_and_survives_a_bad_line(tmp_path: Path) -> None:
    rows = [
        {"id": "a1", "text": "@ShopeeTH แอปล่ม เข้าไม่ได้เลยค่ะ", "handle": "ShopeeTH", "lang": "th", "extra": 1},
        "this is not json",
        {"id": "a3", "text": "@ShopeeID makasih min, paket sudah sampai"},
        {"text": "no id"},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    code, out = invoke_stdout("simulate", "--input", str(path), "--config", str(CONFIG), "--db", str(tmp_path / "r.db"))
    assert code == 1  # two lines could not be run: said in their own lines and in the exit status
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 4
    assert lines[0]["id"] == "a1" and lines[0]["action"] == "reply" and lines[0]["lang"] == "th"
    assert lines[0]["reply"].startswith("@customer ")
    assert lines[1] == {"line": 2, "error": lines[1]["error"]} and "JSON" in lines[1]["error"]
    assert lines[2]["action"] == "ignore" and lines[2]["reply"] is None
    assert lines[3]["line"] == 4


def test_simulate_incident_state_changes_the_reply(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "x", "text": "@ShopeePH app is down, can't log in", "handle": "ShopeePH"}) + "\n")
    replies = set()
    for state in ("none", "investigating", "resolved"):
        code, out = invoke_stdout("simulate", "--input", str(path), "--incident", state, "--config", str(CONFIG))
        assert code == 0
        replies.add(json.loads(out)["reply"])
    assert len(replies) == 3


def test_templates_check_passes_on_the_shipped_templates() -> None:
    code, out = invoke("templates", "check", "--config", str(CONFIG))
    assert code == 0, out


@pytest.fixture
def broken_config(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    target = tmp_path / "templates" / "TH" / "th" / "investigating" / "general.j2"
    target.write_text(target.read_text(encoding="utf-8").replace("{{ handle }}", "{{ handel }}", 1))
    return write_config(tmp_path / "replybot.toml", bot={"templates_dir": str(tmp_path / "templates")})


def test_templates_check_reports_a_broken_template_and_exits_1(broken_config: Path) -> None:
    code, out = invoke("templates", "check", "--config", str(broken_config))
    assert code == 1
    assert "TH/th/investigating/general.j2" in out


def test_run_refuses_to_start_when_a_template_is_broken(broken_config: Path, tmp_path: Path) -> None:
    code, out = invoke("run", "--once", "--config", str(broken_config), "--db", str(tmp_path / "r.db"))
    assert code == 2
    assert "template problem" in out


def test_incident_commands_change_what_a_running_bot_reads(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    assert (
        invoke("incident", "open", "th", "--note", "https://status.example.com", "--config", str(CONFIG), "--db", db)[0]
        == 0
    )
    code, out = invoke("incident", "status", "--config", str(CONFIG), "--db", db)
    assert code == 0 and "TH   investigating" in out and "status.example.com" in out
    assert invoke("incident", "update", "TH", "--state", "monitoring", "--config", str(CONFIG), "--db", db)[0] == 0
    assert invoke("incident", "resolve", "TH", "--config", str(CONFIG), "--db", db)[0] == 0
    code, out = invoke("incident", "status", "--config", str(CONFIG), "--db", db)
    assert "TH   resolved" in out
    code, out = invoke("incident", "open", "XX", "--config", str(CONFIG), "--db", db)
    assert code == 2 and "unknown account" in out


def test_demo_prints_replies_in_indonesian_thai_and_english() -> None:
    code, out = invoke("demo", "--config", str(CONFIG))
    assert code == 0, out
    assert "Mohon maaf" in out or "maaf" in out  # Indonesian
    assert "ค่ะ" in out  # Thai
    assert "(SG/en/monitoring/" in out and "(PH/en/resolved/" in out  # English (wording varies with the ids)
    assert "queued for a human" in out


def test_eval_scores_the_teams_labelled_mentions_through_the_whole_pipeline() -> None:
    labelled = ROOT / "tests" / "data" / "labelled_mentions.jsonl"
    code, out = invoke_stdout("eval", str(labelled), "--json", "--config", str(CONFIG))
    assert code == 0
    overall = json.loads(out)["all"]
    assert overall["reply_precision"] >= 0.97 and overall["reply_recall"] >= 0.93
    assert overall["escalate_recall"] >= 0.95 and overall["escalate_auto_replied"] == 0
    assert overall["false_reply_rate"] <= 0.02 and overall["category_accuracy"] >= 0.90
    code, out = invoke_stdout("eval", str(labelled), "--config", str(CONFIG))
    assert "confusion" in out and "th " in out


def test_eval_skips_unlabelled_lines_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(
        '{"id": 1, "text": "@ShopeeID error", "action": "reply", "category": "outage"}\n{"id": 2, "text": "x"}\n'
    )
    result = CliRunner().invoke(main, ["eval", str(path), "--json", "--config", str(CONFIG)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["all"]["n"] == 1
    assert "line 2" in result.stderr


def test_an_impossible_incident_move_is_refused_with_the_allowed_ones(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    code, out = invoke("incident", "update", "VN", "--state", "monitoring", "--config", str(CONFIG), "--db", db)
    assert code == 2 and "cannot go from none to monitoring" in out and "investigating" in out


def test_simulate_decides_on_text_with_lone_surrogates_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "s1", "text": "@ShopeeID app error \\ud800 gabisa login"}\n', encoding="utf-8")
    code, out = invoke_stdout("simulate", "--input", str(path), "--config", str(CONFIG), "--db", str(tmp_path / "r.db"))
    assert code == 0
    assert json.loads(out)["action"] == "reply"


def test_a_dry_run_and_simulate_word_replies_for_the_live_incident_read_only(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from bot.adapters.store import Store
    from bot.bootstrap import open_store
    from bot.core.models import IncidentState

    db = tmp_path / "live.db"
    assert invoke("incident", "open", "TH", "--config", str(CONFIG), "--db", str(db))[0] == 0
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "t1", "text": "@ShopeeTH แอปล่ม เข้าไม่ได้เลยค่ะ", "handle": "ShopeeTH"}) + "\n")
    code, out = invoke_stdout("simulate", "--input", str(path), "--config", str(CONFIG), "--db", str(db))
    assert code == 0 and json.loads(out)["reply"]
    code, none = invoke_stdout("simulate", "--input", str(path), "--config", str(CONFIG), "--incident", "none")
    assert json.loads(out)["reply"] != json.loads(none)["reply"]  # worded for investigating, not for none
    settings = load_settings(CONFIG, fake_env(), db_override=db)
    preview = open_store(settings, dry_run=True, db_path=None)  # what `run --dry-run` opens
    assert preview.incident("TH").state.value == "investigating"
    preview.set_incident("TH", IncidentState.RESOLVED, datetime.now(UTC))
    assert Store.open(db).incident("TH").state.value == "investigating"  # the preview wrote nothing back


def test_opening_an_incident_after_a_resolved_one_starts_fresh_but_update_keeps(tmp_path: Path) -> None:
    import dataclasses
    from datetime import timedelta

    from bot.adapters.store import Store

    db = str(tmp_path / "r.db")
    common = ("--config", str(CONFIG), "--db", db)
    assert invoke("incident", "open", "TH", "--note", "https://status.example/old", *common)[0] == 0
    store = Store.open(db)
    opened = store.incident("TH")
    assert opened.started_at is not None
    first = opened.started_at - timedelta(hours=2)  # the first outage began two hours ago
    store.save_incident(dataclasses.replace(opened, started_at=first))
    assert invoke("incident", "resolve", "TH", *common)[0] == 0
    assert invoke("incident", "update", "TH", "--state", "investigating", *common)[0] == 0
    regressed = Store.open(db).incident("TH")
    assert (regressed.note, regressed.started_at) == ("https://status.example/old", first)  # the same outage
    assert invoke("incident", "resolve", "TH", *common)[0] == 0
    assert invoke("incident", "open", "TH", *common)[0] == 0
    reopened = Store.open(db).incident("TH")
    assert reopened.note == ""  # the old status link is not carried into the new incident
    assert reopened.started_at is not None and reopened.started_at > first


@pytest.mark.parametrize(
    "command",
    [("incident", "status"), ("stats",), ("review", "list"), ("export", "--format", "csv"), ("review", "show", "1")],
    ids=lambda c: " ".join(c[:2]),
)
def test_a_mistyped_db_is_refused_by_commands_that_read_it_and_nothing_is_created(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    missing = tmp_path / "typo" / "replybot.db"
    code, out = invoke(*command, "--config", str(CONFIG), "--db", str(missing))
    assert code == 2
    assert f"no database at {missing}" in out
    assert not missing.parent.exists()


def test_declaring_an_incident_before_the_first_run_creates_the_database(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    assert invoke("incident", "open", "ID", "--config", str(CONFIG), "--db", str(db))[0] == 0
    assert db.is_file()
    code, out = invoke("incident", "status", "--config", str(CONFIG), "--db", str(db))
    assert code == 0 and "investigating" in out


def test_a_db_that_is_not_sqlite_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("this is not a database, just notes\n" * 50, encoding="utf-8")
    result = CliRunner().invoke(main, ["stats", "--config", str(CONFIG), "--db", str(bogus)])
    assert result.exit_code == 2 and "notes.txt" in result.output and "Traceback" not in result.output


def test_a_missing_templates_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = write_config(tmp_path / "replybot.toml", bot={"templates_dir": str(tmp_path / "nowhere")})
    result = CliRunner().invoke(main, ["demo", "--config", str(config)])
    assert result.exit_code == 2 and "nowhere" in result.output and "templates_dir" in result.output
    assert "Traceback" not in result.output


def test_replybot_database_in_the_environment_names_the_database(tmp_path: Path) -> None:
    env = {**fake_env(), "REPLYBOT_DATABASE": str(tmp_path / "from-env.db")}
    assert load_settings(CONFIG, env).db_path == tmp_path / "from-env.db"
    assert load_settings(CONFIG, env, db_override=tmp_path / "flag.db").db_path == tmp_path / "flag.db"


def test_a_config_with_only_some_countries_passes_the_template_check(tmp_path: Path) -> None:
    path = write_config(tmp_path / "two.toml", only=("ID", "TH"))
    code, out = invoke("templates", "check", "--config", str(path))
    assert code == 0, out


def test_classify_says_when_it_does_not_know_the_language_given() -> None:
    result = CliRunner().invoke(main, ["classify", "@ShopeeID app error", "--lang", "xx", "--config", str(CONFIG)])
    assert result.exit_code == 0 and "--lang 'xx' is not a language" in result.stderr
    assert json.loads(result.stdout)["action"]


def test_eval_on_a_file_without_labels_refuses_instead_of_scoring_perfectly(tmp_path: Path) -> None:
    path = tmp_path / "unlabelled.jsonl"
    path.write_text(json.dumps({"id": "u1", "text": "@ShopeeID app error"}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(path), "--config", str(CONFIG)])
    assert result.exit_code == 2 and "no line has a usable label" in result.output


def test_eval_prints_n_a_where_there_is_nothing_to_measure(tmp_path: Path) -> None:
    path = tmp_path / "praise.jsonl"
    path.write_text(json.dumps({"id": "p1", "text": "@ShopeeID makasih min", "action": "ignore"}) + "\n")
    code, out = invoke_stdout("eval", str(path), "--config", str(CONFIG))
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("all"))
    assert row.split()[2:5] == ["n/a", "n/a", "n/a"] and "escRep: escalate-labelled" in out


def test_drill_runs_the_demo_outage_against_the_fake_x_with_no_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in __import__("os").environ if n.startswith("X_")]:
        monkeypatch.delenv(name)
    db = tmp_path / "drill.db"
    code, out = invoke("drill", "--config", str(CONFIG), "--db", str(db))
    assert code == 0, out
    assert "The fake X received" in out and f"the database is {db}" in out
    posted = int(out.split("The fake X received ")[1].split()[0])
    from bot.adapters.store import Store

    store = Store.open(db)
    recorded = store.db.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    store.close()
    assert posted >= 10 and recorded == posted  # every post the fake X got is recorded, none twice


def test_simulate_warns_once_about_a_handle_it_does_not_know(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from bot.entrypoints.simulate import simulate_rows

    settings = load_settings(CONFIG, fake_env(), db_override=tmp_path / "r.db")
    rows = [(n, {"id": f"x{n}", "text": "@ShopeeXX app error", "handle": "ShopeeXX"}, None) for n in (1, 2)]
    with caplog.at_level(logging.WARNING):
        out = list(simulate_rows(settings, rows, "none", None))
    assert len(out) == 2 and all("action" in o for o in out)
    warnings = [r.getMessage() for r in caplog.records if "ShopeeXX" in r.getMessage()]
    assert len(warnings) == 1 and "@ShopeeID" in warnings[0] and "run as ID" in warnings[0]
