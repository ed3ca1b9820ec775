"""SQLite persistence through sqlite-utils: mentions, decisions, replies, checkpoints, incidents.

Every handled thread is recorded here so the bot never replies twice: not after a restart, not after a
crash. The schema is created idempotently and migrated forward by small recorded functions
(see ``bot.adapters.migrations``).

Mention ``status`` values:

- ``pending``: decided ``reply``, waiting to be posted (budget, transient error, or just not yet);
- ``claimed``: a post is being attempted; if the process dies here, the claim is reconciled against
  the account's own recent posts before anything is posted again;
- ``replied``: posted, ``reply_id`` recorded;
- ``escalated``: waits for a human (``review`` commands), holding reply maybe posted;
- ``ignored`` / ``skipped``: nothing to do (reason recorded);
- ``failed``: a permanent error; waits for a human;
- ``awaiting_approval``: the account is in approval mode; a human approves before it is posted;
- ``unsure``: the model found it possibly a complaint, below the account's reply threshold (action ``review``);
  a human decides: approve (the template reply is posted), reply by hand, escalate or mark done.

The human queue is every escalation and every failed or awaiting mention not yet marked reviewed.

``labels`` holds the latest human decision per mention (the learning loop), beside what the bot had decided.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.adapters.migrations import migrate
from bot.core.incident import Incident
from bot.core.models import Decision, IncidentState, Mention, Posted

log = logging.getLogger(__name__)

LONE_SURROGATES = re.compile("[\ud800-\udfff]")
"""A str holds these only from broken input (escaped in JSON); SQLite cannot store them as UTF-8."""

OPEN_STATUSES = ("pending", "claimed", "replied", "awaiting_approval")
QUEUE_WHERE = "reviewed_at IS NULL AND (action = 'escalate' OR status IN ('failed', 'awaiting_approval', 'unsure'))"
LABEL_ACTIONS = ("reply", "escalate", "ignore")
"""What a human can say a mention needed (the corpus's closed set; the bot's own ``review`` is not one)."""
LABEL_CATEGORIES = ("outage", "login", "wallet", "checkout", "cart", "scan", "chat")


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime | None) -> str | None:
    return ts.astimezone(UTC).isoformat(timespec="seconds") if ts else None


class Store:
    """The bot's memory. One instance per process; not shared between threads."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        migrate(db)

    @classmethod
    def open(cls, path: Path | str) -> Store:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(path)
        with db.ensure_autocommit_on():
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=5000")
        return cls(db)

    @classmethod
    def in_memory(cls) -> Store:
        return cls(sqlite_utils.Database(memory=True))

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one commit (a whole page of decisions); all of them or none. Nests."""
        with self.db.atomic():
            yield

    # --- mentions -------------------------------------------------------------------------------------

    def has_mention(self, mention_id: str) -> bool:
        return bool(self.db.execute("SELECT 1 FROM mentions WHERE id = ?", [mention_id]).fetchone())

    def record_decision(self, mention: Mention, decision: Decision, status: str, now: datetime) -> bool:
        """Record a mention with its decision. Returns False if it was already recorded (nothing changes)."""
        row = {
            "id": mention.id,
            "account": mention.account,
            "author_id": mention.author_id,
            "author_handle": mention.author_handle,
            "conversation_id": mention.thread_id,
            "created_at": iso(mention.created_at),
            "lang": decision.verdict.lang,
            "tweet_lang": mention.lang,
            "text": LONE_SURROGATES.sub("\ufffd", mention.text),
            "action": decision.action.value,
            "category": decision.verdict.category.value if decision.verdict.category else None,
            "reason": decision.reason,
            "status": status,
            "seen_at": iso(now),
            "updated_at": iso(now),
            "attempts": 0,
        }
        cursor = self.db.execute(
            f"INSERT OR IGNORE INTO mentions ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
        return cursor.rowcount == 1

    def mention(self, mention_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM mentions WHERE id = ?", [mention_id]))
        return rows[0] if rows else None

    def set_status(self, mention_id: str, status: str, now: datetime, **fields: Any) -> None:
        updates = {"status": status, "updated_at": iso(now), **fields}
        sets = ", ".join(f"{k} = ?" for k in updates)
        self.db.execute(f"UPDATE mentions SET {sets} WHERE id = ?", [*updates.values(), mention_id])

    def claim(self, mention_id: str, now: datetime, template: str | None = None) -> bool:
        """Move a pending mention to ``claimed`` (committed before posting); False if it was not pending."""
        cursor = self.db.execute(
            "UPDATE mentions SET status = 'claimed', attempts = attempts + 1, updated_at = ?, template = ? "
            "WHERE id = ? AND status = 'pending'",
            [iso(now), template, mention_id],
        )
        return cursor.rowcount == 1

    def pending(self, account: str, limit: int = 1000) -> list[dict[str, Any]]:
        """Mentions waiting for a reply, oldest first."""
        return list(
            self.db.query(
                "SELECT * FROM mentions WHERE account = ? AND status = 'pending' "
                "ORDER BY COALESCE(created_at, seen_at), length(id), id LIMIT ?",
                [account, limit],
            )
        )

    def claimed(self, account: str) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM mentions WHERE account = ? AND status = 'claimed'", [account]))

    def history_flags(
        self, account: str, conversation_id: str, author_id: str, since: datetime
    ) -> tuple[bool, bool, bool]:
        """(thread answered, author answered since ``since``, author opted out) in one round trip."""
        marks = ", ".join("?" for _ in OPEN_STATUSES)
        row = self.db.execute(
            f"SELECT EXISTS(SELECT 1 FROM mentions WHERE account = ? AND conversation_id = ? AND status IN ({marks})), "
            f"EXISTS(SELECT 1 FROM mentions WHERE account = ? AND author_id = ? AND status IN ({marks}) "
            "AND seen_at >= ?), EXISTS(SELECT 1 FROM opt_outs WHERE author_id = ?)",
            [account, conversation_id, *OPEN_STATUSES, account, author_id, *OPEN_STATUSES, iso(since), author_id],
        ).fetchone()
        return bool(row[0]), bool(author_id) and bool(row[1]), bool(author_id) and bool(row[2])

    def mentions(self, account: str | None = None, status: str | None = None) -> Iterator[dict[str, Any]]:
        where, args = [], []
        if account:
            where.append("account = ?")
            args.append(account)
        if status:
            where.append("status = ?")
            args.append(status)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        yield from self.db.query(f"SELECT * FROM mentions {clause} ORDER BY seen_at, id", args)

    # --- posts ----------------------------------------------------------------------------------------

    def record_post(
        self, account: str, mention_id: str, post_id: str, text: str, template: str | None, now: datetime
    ) -> None:
        """Record a reply that the platform accepted, and mark its mention replied, in one transaction."""
        with self.db.atomic():
            self.db.execute(
                "INSERT OR IGNORE INTO posts (id, account, in_reply_to, text, template, posted_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [post_id, account, mention_id, text, template, iso(now)],
            )
            self.set_status(mention_id, "replied", now, reply_id=post_id, reply_text=text, template=template)

    def adopt_reply(self, account: str, post: Posted, now: datetime) -> bool:
        """Record a reply the account already has on X for a mention this database never saw (a lost or new
        database): the mention counts as answered, so it is never answered again. False if it was known."""
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO mentions (id, account, author_id, author_handle, conversation_id, text, "
                "action, reason, status, seen_at, updated_at, attempts, reply_id, reply_text) "
                "VALUES (?, ?, '', '', ?, '', 'reply', 'adopted:own_reply', 'replied', ?, ?, 0, ?, ?)",
                [post.in_reply_to, account, post.in_reply_to, iso(now), iso(now), post.id, post.text],
            )
            if cursor.rowcount != 1:
                return False
            self.db.execute(
                "INSERT OR IGNORE INTO posts (id, account, in_reply_to, text, template, posted_at) "
                "VALUES (?, ?, ?, ?, NULL, ?)",
                [post.id, account, post.in_reply_to, post.text, iso(now)],
            )
        return True

    def recent_post_texts(self, account: str, limit: int) -> list[str]:
        rows = self.db.execute(
            "SELECT text FROM posts WHERE account = ? ORDER BY posted_at DESC, rowid DESC LIMIT ?",
            [account, limit],
        ).fetchall()
        return [r[0] for r in rows]

    def posts_since(self, account: str, since: datetime) -> int:
        row = self.db.execute(
            "SELECT COUNT(*) FROM posts WHERE account = ? AND posted_at >= ?", [account, iso(since)]
        ).fetchone()
        return int(row[0])

    # --- checkpoints ------------------------------------------------------------------------------------

    def checkpoint(self, account: str) -> str | None:
        row = self.db.execute("SELECT since_id FROM checkpoints WHERE account = ?", [account]).fetchone()
        return row[0] if row else None

    def set_checkpoint(self, account: str, since_id: str, now: datetime) -> None:
        self.db.execute(
            "INSERT INTO checkpoints (account, since_id, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(account) DO UPDATE SET since_id = excluded.since_id, updated_at = excluded.updated_at",
            [account, since_id, iso(now)],
        )

    # --- incidents and opt-outs ------------------------------------------------------------------------

    def incident(self, account: str) -> Incident:
        rows = list(self.db.query("SELECT * FROM incidents WHERE account = ?", [account]))
        if not rows:
            return Incident(account, IncidentState.NONE, None, None, "")
        r = rows[0]
        return Incident(
            code=account,
            state=IncidentState(r["state"]),
            started_at=datetime.fromisoformat(r["started_at"]) if r["started_at"] else None,
            updated_at=datetime.fromisoformat(r["updated_at"]) if r["updated_at"] else None,
            note=r["note"] or "",
        )

    def set_incident(
        self, account: str, state: IncidentState, now: datetime, note: str | None = None, new: bool = False
    ) -> Incident:
        """Put an incident in ``state`` directly (the demo, tests); operators go through ``move_incident``."""
        current = self.incident(account)
        started = now if new or current.started_at is None else current.started_at
        incident = Incident(
            code=account,
            state=state,
            started_at=started if state is not IncidentState.NONE else None,
            updated_at=now,
            note=current.note if note is None else note,
        )
        self.save_incident(incident)
        return self.incident(account)

    def save_incident(self, incident: Incident) -> None:
        self.db.table("incidents").upsert(
            {
                "account": incident.code,
                "state": incident.state.value,
                "started_at": iso(incident.started_at),
                "updated_at": iso(incident.updated_at),
                "note": incident.note,
            },
            pk="account",
        )

    def add_opt_out(self, account: str, author_id: str, now: datetime) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO opt_outs (author_id, account, at) VALUES (?, ?, ?)",
            [author_id, account, iso(now)],
        )

    def opted_out(self, author_id: str) -> bool:
        return bool(self.db.execute("SELECT 1 FROM opt_outs WHERE author_id = ?", [author_id]).fetchone())

    # --- the human queue ---------------------------------------------------------------------------------

    def queue(self, account: str | None = None) -> list[dict[str, Any]]:
        clause, args = (" AND account = ?", [account]) if account else ("", [])
        return list(self.db.query(f"SELECT * FROM mentions WHERE {QUEUE_WHERE}{clause} ORDER BY seen_at, id", args))

    def queue_length(self, account: str) -> int:
        row = self.db.execute(f"SELECT COUNT(*) FROM mentions WHERE {QUEUE_WHERE} AND account = ?", [account])
        return int(row.fetchone()[0])

    def mark_reviewed(self, mention_id: str, now: datetime, note: str | None) -> bool:
        cursor = self.db.execute(
            "UPDATE mentions SET reviewed_at = ?, review_note = ?, updated_at = ? WHERE id = ?",
            [iso(now), note, iso(now), mention_id],
        )
        return cursor.rowcount == 1

    def escalate(self, mention_id: str, now: datetime, note: str | None = None) -> bool:
        """A human says this needs a human: back on the queue as an escalation, never auto-replied.

        A mention whose reply is posted or being posted keeps that status (the thread stays answered)."""
        cursor = self.db.execute(
            "UPDATE mentions SET action = 'escalate', "
            "status = CASE WHEN status IN ('claimed', 'replied') THEN status ELSE 'escalated' END, "
            "reviewed_at = NULL, review_note = COALESCE(?, review_note), updated_at = ? WHERE id = ?",
            [note, iso(now), mention_id],
        )
        return cursor.rowcount == 1

    def release_for_posting(self, mention_id: str, now: datetime, manual_text: str | None = None) -> bool:
        """Approve a waiting reply, or queue a human-written one: it goes through the normal claim path.

        Approving an ``unsure`` mention makes it a reply: the account's template for it is posted."""
        statuses = (
            "('awaiting_approval', 'unsure')"
            if manual_text is None
            else "('awaiting_approval', 'unsure', 'escalated', 'failed', 'ignored', 'skipped')"
        )
        cursor = self.db.execute(
            "UPDATE mentions SET action = CASE WHEN status = 'unsure' THEN 'reply' ELSE action END, "
            f"status = 'pending', manual_text = COALESCE(?, manual_text), updated_at = ?, "
            f"reviewed_at = ? WHERE id = ? AND status IN {statuses}",
            [manual_text, iso(now), iso(now), mention_id],
        )
        return cursor.rowcount == 1

    def counts(self, account: str | None = None) -> dict[str, int]:
        args = [account] if account else []
        clause = "WHERE account = ?" if account else ""
        rows = self.db.execute(f"SELECT status, COUNT(*) FROM mentions {clause} GROUP BY status", args)
        return {status: int(n) for status, n in rows.fetchall()}

    # --- labels: the learning loop -------------------------------------------------------------------

    def record_label(
        self,
        mention_id: str,
        action: str,
        category: str | None,
        labelled_by: str,
        now: datetime,
        *,
        handle: str | None = None,
    ) -> bool:
        """Store a human's decision on a recorded mention; a re-label replaces it (the latest word wins).

        Text, language and account come from the mention; ``model_action``/``model_category`` keep what the bot
        had decided when the mention was first labelled. ``ignore`` has no category. False if the mention is
        unknown; ValueError for an action or category outside the closed sets."""
        if action not in LABEL_ACTIONS:
            raise ValueError(f"action {action!r}: expected one of {', '.join(LABEL_ACTIONS)}")
        if category is not None and category not in LABEL_CATEGORIES:
            raise ValueError(f"category {category!r}: expected one of {', '.join(LABEL_CATEGORIES)} or none")
        if action == "ignore":
            category = None
        cursor = self.db.execute(
            "INSERT INTO labels (mention_id, account, lang, handle, text, action, category, labelled_by, "
            "labelled_at, model_action, model_category) "
            "SELECT id, account, lang, ?, text, ?, ?, ?, ?, action, category FROM mentions WHERE id = ? "
            "ON CONFLICT (mention_id) DO UPDATE SET action = excluded.action, category = excluded.category, "
            "labelled_by = excluded.labelled_by, labelled_at = excluded.labelled_at, "
            "handle = COALESCE(excluded.handle, labels.handle)",
            [handle, action, category, labelled_by, iso(now), mention_id],
        )
        return cursor.rowcount == 1

    def label(self, mention_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM labels WHERE mention_id = ?", [mention_id]))
        return rows[0] if rows else None

    def labels(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Every label (labelled at or after ``since``), in the order they were given."""
        clause, args = ("WHERE labelled_at >= ?", [iso(since)]) if since else ("", [])
        yield from self.db.query(f"SELECT * FROM labels {clause} ORDER BY labelled_at, mention_id", args)
