"""SQLite through sqlite-utils: idempotent, versioned schema; recorded decisions; checkpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.migrations import MIGRATIONS, schema_version
from bot.adapters.store import Store
from bot.core.models import Action, Category, Decision, IncidentState, Mention, Verdict

NOW = datetime(2023, 2, 6, 9, 0, tzinfo=UTC)


def test_opening_twice_migrates_once_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    Store.open(path).close()
    store = Store.open(path)
    assert schema_version(store.db) == len(MIGRATIONS)
    assert store.db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_mention_is_recorded_once() -> None:
    store = Store.in_memory()
    m = Mention("1", "@ShopeeID error", "u1", "rina", "ID")
    d = Decision(Action.REPLY, "complaint:outage", Verdict(Action.REPLY, Category.OUTAGE, "id", "complaint:outage"))
    assert store.record_decision(m, d, "pending", NOW)
    assert not store.record_decision(m, d, "ignored", NOW)
    assert store.mention("1")["status"] == "pending"  # type: ignore[index]


def test_checkpoints_survive_a_reopen(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "r.db")
    store.set_checkpoint("ID", "12345", NOW)
    store.set_checkpoint("ID", "12346", NOW)
    store.close()
    assert Store.open(tmp_path / "r.db").checkpoint("ID") == "12346"


def test_incident_state_round_trips() -> None:
    store = Store.in_memory()
    assert store.incident("TH").state is IncidentState.NONE
    store.set_incident("TH", IncidentState.INVESTIGATING, NOW, note="https://status.example.com", new=True)
    inc = store.incident("TH")
    assert inc.state is IncidentState.INVESTIGATING and inc.started_at == NOW and inc.note.endswith("example.com")
