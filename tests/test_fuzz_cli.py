"""Issue 14, item 7: what an operator (or a fuzzer) feeds the CLI gives rows and clear errors, never a crash."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import CONFIG, fake_env
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.classifier import Classifier
from bot.entrypoints.jsonl import MAX_LINE, read_jsonl

ROOT = Path(__file__).resolve().parents[1]
ENV = {**fake_env(), "PATH": ""}


def simulate(path: Path, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "bot", "simulate", "--input", str(path), "--config", str(CONFIG), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=timeout)


def test_hostile_lines_give_error_rows_and_the_rest_runs(tmp_path: Path) -> None:
    lines = [
        "[" * 1000 + "]" * 1000,  # nested too deep for Python's parser
        json.dumps({"id": "1\ud800", "text": "app down \ud800", "author": "a\udc00", "lang": "\ud800"}),
        json.dumps({"id": "2", "text": "app down, cannot login", "created_at": "0001-01-01T00:00:00Z"}),
        json.dumps({"id": "3", "text": "app down, cannot login", "lang": ["en"]}),
        json.dumps({"id": "4", "text": "gabisa login"}),
        "x" * (MAX_LINE + 10),
        json.dumps({"id": "5", "text": "still down"}),
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    done = simulate(path, "--incident", "investigating")
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 1  # some lines failed: said, not hidden
    errors = {r["line"]: r["error"] for r in rows if "error" in r}
    assert errors == {1: "invalid JSON: nested too deep", 6: f"line longer than {MAX_LINE} characters"}
    ids = [r["id"] for r in rows if "id" in r]
    assert len(ids) == 5 and ids[-1] == "5"
    by_id = {r["id"]: r for r in rows if "id" in r}
    assert by_id["3"]["reason"] != "error"  # a lang that is not a string: detected, not an error


def test_an_input_that_never_ends_a_line_is_refused_quickly(tmp_path: Path) -> None:
    started = time.monotonic()
    rows = list(read_jsonl(Path("/dev/zero")))
    last = rows[-1][2]
    assert last is not None and last.startswith("no end of line") and time.monotonic() - started < 30


@given(st.text(max_size=300), st.one_of(st.none(), st.text(max_size=5), st.integers(), st.lists(st.text())))
@settings(max_examples=200, deadline=None)
def test_the_classifier_takes_any_text_and_any_lang(text: str, lang: object) -> None:
    verdict = Classifier.load(ROOT / "config" / "lexicon").classify(text, lang)  # type: ignore[arg-type]
    assert verdict.reason != "error"


def test_a_long_run_of_digits_is_read_in_linear_time() -> None:
    classifier = Classifier.load(ROOT / "config" / "lexicon")
    started = time.perf_counter()
    classifier.classify("@ShopeeID saldo " + "1" * 20_000)
    assert time.perf_counter() - started < 0.5  # was quadratic: 288 ms at 4,000 digits


def test_incident_open_on_a_locked_database_says_so_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    cmd = [sys.executable, "-m", "bot", "incident", "open", "ID", "--config", str(CONFIG), "--db", str(db)]
    assert subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=60).returncode == 0
    holder = sqlite3.connect(db, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=60)
    finally:
        holder.rollback()
        holder.close()
    assert done.returncode == 2 and "busy" in done.stderr and "Traceback" not in done.stderr


JSONISH = st.recursive(
    st.none() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
).map(json.dumps)


@given(st.lists(st.one_of(st.text(max_size=200), JSONISH), max_size=20))
@settings(max_examples=200, deadline=None)
def test_any_lines_give_rows_or_errors_never_an_exception(lines: list[str]) -> None:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8", errors="surrogatepass") as f:
        f.write("\n".join(lines))
    for number, row, error in read_jsonl(Path(f.name)):
        assert (row is None) != (error is None) and number >= 1
    Path(f.name).unlink()
