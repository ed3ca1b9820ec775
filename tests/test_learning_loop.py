"""The learning loop: every human decision in the review queue is stored as a label and exported as corpus rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner, Result
from conftest import CONFIG, fake_env
from fakex_clients import admin_get
from test_ops import config_with_approval, seed

from bot.adapters.migrations import MIGRATIONS, migrate, schema_version
from bot.adapters.store import LABEL_ACTIONS, LABEL_CATEGORIES, Store
from bot.cli import main
from bot.core.models import Action, Category, Decision, Mention, Verdict
from bot.fakex import FakeX

CORPUS_KEYS = ["id", "lang", "handle", "kind", "text", "action", "category", "confidence", "part", "repo", "source"]
NOW = datetime.now(UTC)


def decided(store: Store, mention_id: str, text: str, action: Action, category: Category | None, status: str) -> None:
    reason = {"reply": "complaint:login", "escalate": "escalate:money", "ignore": "not_complaint"}[action.value]
    verdict = Verdict(action, category, "id", reason)
    store.record_decision(
        Mention(mention_id, text, f"u-{mention_id}", f"user{mention_id}", "ID", created_at=NOW),
        Decision(action, reason, verdict),
        status,
        NOW,
    )


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    """A real SQLite file holding three decisions of the ID account: a complaint, a money case, praise."""
    path = tmp_path / "replybot.db"
    store = Store.open(path)
    decided(store, "101", "@ShopeeID gabisa login dari tadi", Action.REPLY, Category.LOGIN, "pending")
    decided(store, "102", "@ShopeeID saldo ShopeePay saya hilang", Action.ESCALATE, Category.WALLET, "escalated")
    decided(store, "103", "@ShopeeID makasih min paketnya sampai", Action.IGNORE, None, "ignored")
    store.close()
    yield path


def cli(db: Path, *args: str, config: Path = CONFIG) -> Result:
    return CliRunner().invoke(main, [*args, "--config", str(config), "--db", str(db)])


def label_of(db: Path, mention_id: str) -> dict[str, object] | None:
    store = Store.open(db)
    try:
        return store.label(mention_id)
    finally:
        store.close()


def exported(db: Path, *args: str) -> list[dict[str, object]]:
    result = cli(db, "export", "--labelled", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


# --- each review command stores the right label --------------------------------------------------------


def test_done_says_the_mention_was_not_a_complaint(db: Path) -> None:
    result = cli(db, "review", "done", "102", "--note", "just a question")
    assert result.exit_code == 0 and "102 done (labelled ignore)" in result.stdout
    label = label_of(db, "102")
    assert label is not None
    assert (label["action"], label["category"], label["labelled_by"]) == ("ignore", None, "done")
    assert (label["model_action"], label["model_category"]) == ("escalate", "wallet")
    assert (label["account"], label["handle"], label["lang"]) == ("ID", "ShopeeID", "id")
    assert label["text"] == "@ShopeeID saldo ShopeePay saya hilang"


def test_done_with_a_label_says_what_a_mention_handled_by_hand_really_was(db: Path) -> None:
    result = cli(db, "review", "done", "102", "--label", "escalate", "--category", "checkout")
    assert result.exit_code == 0, result.output
    label = label_of(db, "102")
    assert label is not None and (label["action"], label["category"]) == ("escalate", "checkout")


def test_done_after_an_escalation_keeps_the_label_it_already_has(db: Path) -> None:
    assert cli(db, "review", "escalate", "103", "--category", "wallet").exit_code == 0
    result = cli(db, "review", "done", "103", "--note", "refunded")
    assert result.exit_code == 0 and "label escalate kept" in result.stdout
    label = label_of(db, "103")
    assert label is not None and (label["action"], label["labelled_by"]) == ("escalate", "escalate")


def test_escalate_labels_the_mention_and_keeps_it_on_the_human_queue(db: Path) -> None:
    result = cli(db, "review", "escalate", "101", "--category", "wallet", "--note", "money was taken")
    assert result.exit_code == 0 and "labelled escalate/wallet" in result.stdout
    label = label_of(db, "101")
    assert label is not None
    assert (label["action"], label["category"], label["labelled_by"]) == ("escalate", "wallet", "escalate")
    assert (label["model_action"], label["model_category"]) == ("reply", "login")
    store = Store.open(db)
    row = store.mention("101")
    assert row is not None and (row["action"], row["status"], row["review_note"]) == (
        "escalate",
        "escalated",
        "money was taken",
    )
    assert "101" in [r["id"] for r in store.queue("ID")]
    assert store.pending("ID") == []  # the bot's own reply will not go out
    store.close()


def test_label_marks_a_mention_the_bot_ignored_wrongly(db: Path) -> None:
    result = cli(db, "review", "label", "103", "reply", "--category", "outage")
    assert result.exit_code == 0 and "103 labelled reply/outage" in result.stdout
    label = label_of(db, "103")
    assert label is not None
    assert (label["action"], label["category"], label["labelled_by"]) == ("reply", "outage", "label")
    assert (label["model_action"], label["model_category"]) == ("ignore", None)


def test_a_label_without_category_takes_the_recorded_one_and_none_clears_it(db: Path) -> None:
    assert cli(db, "review", "label", "101", "escalate").exit_code == 0
    assert label_of(db, "101")["category"] == "login"  # type: ignore[index]
    assert cli(db, "review", "label", "101", "escalate", "--category", "none").exit_code == 0
    assert label_of(db, "101")["category"] is None  # type: ignore[index]


def test_relabelling_a_mention_replaces_its_label_and_keeps_the_bots_decision(db: Path) -> None:
    assert cli(db, "review", "label", "101", "ignore").exit_code == 0
    assert cli(db, "review", "escalate", "101").exit_code == 0
    assert cli(db, "review", "label", "101", "reply", "--category", "checkout").exit_code == 0
    rows = exported(db)
    assert [(r["id"], r["action"], r["category"], r["source"]) for r in rows] == [
        ("101", "reply", "checkout", "replybot review label")
    ]
    label = label_of(db, "101")
    assert label is not None and (label["model_action"], label["model_category"]) == ("reply", "login")


# --- reply and approve post through the fake X server ------------------------------------------------------


@pytest.fixture
def fake_x(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeX]:
    with FakeX(limits="pro") as fx:
        for name, value in fake_env(("ID",)).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("X_API_BASE_URL", fx.url)
        yield fx


def test_approve_and_reply_label_what_a_human_sent(fake_x: FakeX, tmp_path: Path) -> None:
    config, db = config_with_approval(tmp_path), tmp_path / "r.db"  # the same set-up as test_ops
    complaint, money, praise = seed(fake_x)  # a complaint, a money case, praise
    assert cli(db, "run", "--once", "--metrics-port", "0", config=config).exit_code == 0
    assert cli(db, "review", "approve", "--all", config=config).exit_code == 0
    assert cli(db, "review", "reply", money, "Hi, we have sent you a DM.", config=config).exit_code == 0
    result = cli(db, "review", "reply", praise, "Glad it arrived!", "--category", "outage", config=config)
    assert result.exit_code == 0, result.output
    assert len(admin_get(fake_x.url, "posts")["posts"]) == 3
    labels = {r["id"]: (r["action"], r["category"], r["source"]) for r in exported(db)}
    assert labels == {
        complaint: ("reply", "login", "replybot review approve"),
        money: ("escalate", "wallet", "replybot review reply"),  # a human answered what needed a human
        praise: ("reply", "outage", "replybot review reply"),
    }


# --- export --labelled ----------------------------------------------------------------------------------


def test_export_labelled_writes_corpus_rows_naming_the_account_as_source(db: Path, tmp_path: Path) -> None:
    assert cli(db, "review", "done", "103").exit_code == 0
    assert cli(db, "review", "escalate", "101").exit_code == 0
    out = tmp_path / "labels.jsonl"
    result = cli(db, "export", "--labelled", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0 and result.stdout == "" and "wrote 2 labels" in result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [list(r) for r in rows] == [CORPUS_KEYS, CORPUS_KEYS]
    by_id = {r["id"]: r for r in rows}
    assert by_id["103"] == {
        "id": "103",
        "lang": "id",
        "handle": "ShopeeID",
        "kind": "tweet",
        "text": "@ShopeeID makasih min paketnya sampai",
        "action": "ignore",
        "category": None,
        "confidence": "high",
        "part": "operator",
        "repo": "operator:ID",
        "source": "replybot review done",
    }
    assert (by_id["101"]["action"], by_id["101"]["category"]) == ("escalate", "login")
    assert exported(db) == rows  # stdout holds the same rows


def test_export_labelled_since_keeps_only_recent_labels(db: Path) -> None:
    store = Store.open(db)
    assert store.record_label("102", "escalate", "wallet", "label", NOW - timedelta(days=3), handle="ShopeeID")
    store.close()
    assert cli(db, "review", "label", "101", "reply").exit_code == 0
    assert [r["id"] for r in exported(db, "--since", "24h")] == ["101"]
    assert [r["id"] for r in exported(db)] == ["102", "101"]


def test_export_without_labelled_still_lists_every_handled_mention(db: Path) -> None:
    result = cli(db, "export")
    assert result.exit_code == 0
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["101", "102", "103"]


# --- mistakes -------------------------------------------------------------------------------------------


def test_an_invalid_action_or_category_exits_2_naming_the_allowed_values(db: Path) -> None:
    result = cli(db, "review", "label", "101", "complaint")
    assert result.exit_code == 2 and all(v in result.stderr for v in ("reply", "escalate", "ignore"))
    result = cli(db, "review", "escalate", "101", "--category", "payment")
    assert result.exit_code == 2 and all(v in result.stderr for v in ("outage", "wallet", "chat"))
    result = cli(db, "review", "done", "101", "--label", "spam")
    assert result.exit_code == 2 and "ignore" in result.stderr
    assert cli(db, "review", "done", "101", "--category", "wallet").exit_code == 2
    assert exported(db) == []


def test_an_unknown_mention_exits_1_and_stores_nothing(db: Path) -> None:
    for args in (("label", "999", "reply"), ("escalate", "999"), ("done", "999", "--label", "reply")):
        result = cli(db, "review", *args)
        assert result.exit_code == 1 and "no mention 999" in result.stderr
    assert exported(db) == []


# --- the store and its migration ------------------------------------------------------------------------


def test_the_store_refuses_labels_outside_the_closed_sets(db: Path) -> None:
    store = Store.open(db)
    with pytest.raises(ValueError, match="reply, escalate, ignore"):
        store.record_label("101", "complain", None, "label", NOW)
    with pytest.raises(ValueError, match="outage, login"):
        store.record_label("101", "reply", "payments", "label", NOW)
    assert not store.record_label("999", "reply", "login", "label", NOW)
    assert store.record_label("101", "ignore", "login", "label", NOW)
    assert [(r["action"], r["category"]) for r in store.labels()] == [("ignore", None)]
    store.close()


def test_a_database_from_before_the_learning_loop_gains_the_labels_table(tmp_path: Path) -> None:
    db = sqlite_utils.Database(tmp_path / "old.db")
    db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    for version, step in enumerate(MIGRATIONS[:2], start=1):
        step(db)
        db.execute("INSERT INTO schema_migrations VALUES (?, ?, '2023-02-06')", [version, step.__name__])
    assert "labels" not in db.table_names()
    assert migrate(db) == len(MIGRATIONS) and schema_version(db) == len(MIGRATIONS)
    assert "labels" in db.table_names() and db.table("labels").pks == ["mention_id"]


def test_the_closed_sets_are_those_of_the_training_corpus() -> None:
    assert LABEL_ACTIONS == ("reply", "escalate", "ignore")
    assert LABEL_CATEGORIES == ("outage", "login", "wallet", "checkout", "cart", "scan", "chat")
