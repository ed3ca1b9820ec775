"""Forward-only schema migrations, each a small function recorded in ``schema_migrations``.

Add a migration by appending a function to ``MIGRATIONS``; never edit one that has shipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils

log = logging.getLogger(__name__)


def _run(db: sqlite_utils.Database, script: str) -> None:
    """Run ``;``-separated statements inside the caller's transaction (executescript would commit it)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _m001_initial(db: sqlite_utils.Database) -> None:
    _run(
        db,
        """
        CREATE TABLE IF NOT EXISTS mentions (
            id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            author_id TEXT NOT NULL,
            author_handle TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            created_at TEXT,
            lang TEXT,
            tweet_lang TEXT,
            text TEXT NOT NULL,
            action TEXT NOT NULL,
            category TEXT,
            reason TEXT NOT NULL,
            status TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            reply_id TEXT,
            reply_text TEXT,
            template TEXT,
            error TEXT
        );
        CREATE INDEX IF NOT EXISTS mentions_thread ON mentions (account, conversation_id, status);
        CREATE INDEX IF NOT EXISTS mentions_author ON mentions (account, author_id, status, seen_at);
        CREATE INDEX IF NOT EXISTS mentions_status ON mentions (account, status, seen_at);
        CREATE TABLE IF NOT EXISTS posts (
            id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            in_reply_to TEXT NOT NULL,
            text TEXT NOT NULL,
            template TEXT,
            posted_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS posts_account ON posts (account, posted_at);
        CREATE TABLE IF NOT EXISTS checkpoints (
            account TEXT PRIMARY KEY,
            since_id TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS incidents (
            account TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            started_at TEXT,
            updated_at TEXT,
            note TEXT
        );
        CREATE TABLE IF NOT EXISTS opt_outs (
            author_id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            at TEXT NOT NULL
        );
        """,
    )


def _m002_review_queue(db: sqlite_utils.Database) -> None:
    """The human queue: review outcome and a human-written reply text per mention."""
    for column in ("reviewed_at TEXT", "review_note TEXT", "manual_text TEXT"):
        db.execute(f"ALTER TABLE mentions ADD COLUMN {column}")
    db.execute("CREATE INDEX IF NOT EXISTS mentions_queue ON mentions (account, reviewed_at, action, status)")


def _m003_labels(db: sqlite_utils.Database) -> None:
    """The learning loop: the latest human decision per mention, beside what the bot had decided."""
    _run(
        db,
        """
        CREATE TABLE IF NOT EXISTS labels (
            mention_id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            lang TEXT,
            handle TEXT,
            text TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('reply', 'escalate', 'ignore')),
            category TEXT,
            labelled_by TEXT NOT NULL,
            labelled_at TEXT NOT NULL,
            model_action TEXT,
            model_category TEXT
        );
        CREATE INDEX IF NOT EXISTS labels_at ON labels (labelled_at)
        """,
    )


def _m004_status_posts(db: sqlite_utils.Database) -> None:
    """Public status posts: one per account, incident and state, claimed (no post id yet) before posting."""
    _run(
        db,
        """
        CREATE TABLE IF NOT EXISTS status_posts (
            account TEXT NOT NULL,
            incident_started_at TEXT NOT NULL,
            state TEXT NOT NULL,
            text TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('proposed', 'claimed', 'posted', 'failed')),
            post_id TEXT,
            created_at TEXT NOT NULL,
            posted_at TEXT,
            error TEXT,
            PRIMARY KEY (account, incident_started_at, state)
        );
        CREATE INDEX IF NOT EXISTS mentions_pending ON mentions (account, status, created_at);
        CREATE INDEX IF NOT EXISTS mentions_created ON mentions (account, created_at)
        """,
    )


def _m005_erasure(db: sqlite_utils.Database) -> None:
    """Retention: when a mention's text and handles were erased (past retention, or the post was deleted)."""
    db.execute("ALTER TABLE mentions ADD COLUMN erased_at TEXT")
    db.execute("CREATE INDEX IF NOT EXISTS mentions_seen ON mentions (seen_at, erased_at)")


def _m006_spend(db: sqlite_utils.Database) -> None:
    """What X bills: one row per call that costs (reads by posts returned, posts by kind), in dollars."""
    _run(
        db,
        """
        CREATE TABLE IF NOT EXISTS spend (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,
            at TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('read', 'reply', 'post', 'url_post')),
            units INTEGER NOT NULL,
            usd REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS spend_account_at ON spend (account, at)
        """,
    )


def _m007_unknown_outcomes(db: sqlite_utils.Database) -> None:
    """How often a claim's post was found not posted after an unknown outcome (twice: a human decides)."""
    db.execute("ALTER TABLE mentions ADD COLUMN unknown_outcomes INTEGER NOT NULL DEFAULT 0")


def _m008_quarantine(db: sqlite_utils.Database) -> None:
    """Records X sent that cannot be mentions, with their raw JSON, for a human (never lost, never blocking)."""
    _run(
        db,
        """
        CREATE TABLE IF NOT EXISTS quarantine (
            account TEXT NOT NULL,
            record_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            raw TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (account, record_id, raw)
        )
        """,
    )


def _m009_audit(db: sqlite_utils.Database) -> None:
    """Who did what in the web console, and when (shown there and exported)."""
    _run(
        db,
        """
        CREATE TABLE IF NOT EXISTS audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            who TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT
        )
        """,
    )


def _m010_decision_context(db: sqlite_utils.Database) -> None:
    """What the console shows of a decision: the classifier's confidence, the post a mention replied to, and the
    bot's own decision (``action`` changes when a human approves, escalates or hands back; this never does).
    Mentions recorded before: the decision a label kept, else the action as it stands. And who claimed a mention
    to post it (``claimed_by``): the bot, or the console or CLI posting beside it."""
    db.execute("ALTER TABLE mentions ADD COLUMN confidence REAL")
    db.execute("ALTER TABLE mentions ADD COLUMN parent_id TEXT")
    db.execute("ALTER TABLE mentions ADD COLUMN decided_action TEXT")
    db.execute("ALTER TABLE mentions ADD COLUMN claimed_by TEXT")
    db.execute(
        "UPDATE mentions SET decided_action = COALESCE("
        "(SELECT model_action FROM labels WHERE labels.mention_id = mentions.id), action)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS posts_reply ON posts (in_reply_to)")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _m001_initial,
    _m002_review_queue,
    _m003_labels,
    _m004_status_posts,
    _m005_erasure,
    _m006_spend,
    _m007_unknown_outcomes,
    _m008_quarantine,
    _m009_audit,
    _m010_decision_context,
]


def schema_version(db: sqlite_utils.Database) -> int:
    if "schema_migrations" not in db.table_names():
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(db: sqlite_utils.Database) -> int:
    """Apply every migration newer than the database's version. Idempotent. Returns the new version."""
    db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    current = schema_version(db)
    for version, step in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        with db.atomic():
            step(db)
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                [version, step.__name__.lstrip("_"), datetime.now(UTC).isoformat(timespec="seconds")],
            )
        log.log(
            logging.INFO if current else logging.DEBUG,  # a new database is not news
            "database migrated to schema version %d (%s)",
            version,
            step.__name__.lstrip("_"),
        )
    return max(current, len(MIGRATIONS))
