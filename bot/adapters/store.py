"""SQLite persistence through sqlite-utils: mentions, decisions, replies, checkpoints, incidents.

Every handled thread is recorded here so the bot never replies twice: not after a restart, not after a
crash. The schema is created idempotently and migrated forward by small recorded functions
(see ``bot.adapters.migrations``).

Mention ``status`` values are :class:`bot.core.lifecycle.Status`; :meth:`Store.set_status` refuses a move its
transition table does not allow (:class:`InvalidStatusTransition`).

The human queue is every escalation and every failed, awaiting, unsure or expired mention not yet marked
reviewed. Complaints covered by a status post are counted there, not listed.

``status_posts`` holds the account's public status posts, at most one per incident and state.

``labels`` holds the latest human decision per mention (the learning loop), beside what the bot had decided.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from bot.adapters.migrations import migrate
from bot.adapters.store_console import QUEUE_WHERE as QUEUE_WHERE
from bot.adapters.store_console import ConsoleQueries
from bot.core import redact
from bot.core.incident import Incident
from bot.core.lifecycle import BOT_POSTER, POSTED, UNANSWERED, Handled, InvalidStatusTransition, Status, predecessors
from bot.core.models import Decision, IncidentState, Mention, Posted, Quarantined
from bot.core.normalize import mend_surrogates

log = logging.getLogger(__name__)

"""A str holds these only from broken input (escaped in JSON); SQLite cannot store them as UTF-8."""

OPEN_STATUSES = ("pending", "claimed", "replied", "awaiting_approval")
"""A thread with a mention in one of these is answered, or about to be: a second mention in it is skipped."""
_THREAD_TAKEN = (
    "EXISTS(SELECT 1 FROM mentions WHERE account = ? AND conversation_id = ? AND id != ? "
    f"AND status IN ({', '.join('?' for _ in OPEN_STATUSES)}))"
)
"""Another mention of the thread is answered or about to be; args: account, conversation, mention, *OPEN_STATUSES."""
RELEASABLE = tuple(sorted(predecessors(Status.PENDING) - {Status.CLAIMED}))
"""Where a human may send a mention back to ``pending`` (a written reply, a hand-back): never from ``claimed``."""
LABEL_ACTIONS = ("reply", "escalate", "ignore")
"""What a human can say a mention needed (the corpus's closed set; the bot's own ``review`` is not one)."""
LABEL_CATEGORIES = ("outage", "login", "wallet", "checkout", "cart", "scan", "chat")


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime | None) -> str | None:
    return ts.astimezone(UTC).isoformat(timespec="seconds") if ts else None


F = TypeVar("F", bound=Callable[..., Any])


def _serialized(method: F) -> F:
    @functools.wraps(method)
    def locked(self: Store, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    return locked  # type: ignore[return-value]


def _like(text: str) -> str:
    """``text`` for a LIKE pattern: its own % and _ match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Store(ConsoleQueries):
    """The bot's memory. One per process, shared by the runner's lanes: every method and every transaction
    holds one lock, so the intake's page of decisions and the outbox's claim never interleave on the one
    connection. (The generators ``mentions`` and ``labels`` are for commands, not for the lanes.)"""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.lock = threading.RLock()
        migrate(db)

    @classmethod
    def open(cls, path: Path | str) -> Store:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(sqlite3.connect(str(path), check_same_thread=False))
        with db.ensure_autocommit_on():
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=5000")
        return cls(db)

    @classmethod
    def in_memory(cls) -> Store:
        return cls(sqlite_utils.Database(sqlite3.connect(":memory:", check_same_thread=False)))

    @classmethod
    def preview_of(cls, live: Path, *, checkpoints: bool = True) -> Store:
        """An in-memory store that starts from the live database's incidents (and checkpoints), read only:
        a dry run or a simulation then words its replies for the incident the live bot is in, and writes
        nothing to the live file. A live file that is missing or unreadable gives an empty store (logged)."""
        store = cls.in_memory()
        if not live.is_file():
            return store
        try:
            source = sqlite3.connect(f"{live.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            log.warning("cannot read %s for the preview (%s): incidents start as none", live, exc)
            return store
        tables = [("incidents", "account, state, started_at, updated_at, note")]
        if checkpoints:
            tables.append(("checkpoints", "account, since_id, updated_at"))
        try:
            for table, columns in tables:
                rows = source.execute(f"SELECT {columns} FROM {table}").fetchall()
                marks = ", ".join("?" for _ in columns.split(","))
                store.db.conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
            store.db.conn.commit()
        except sqlite3.Error as exc:
            log.warning("cannot read %s for the preview (%s): incidents start as none", live, exc)
        finally:
            source.close()
        return store

    def close(self) -> None:
        with self.lock:
            self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one commit (a whole page of decisions); all of them or none. Nests."""
        with self.lock, self.db.atomic():
            yield

    # --- mentions -------------------------------------------------------------------------------------

    @_serialized
    def has_mention(self, mention_id: str) -> bool:
        return bool(self.db.execute("SELECT 1 FROM mentions WHERE id = ?", [mention_id]).fetchone())

    @_serialized
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
            "text": mend_surrogates(mention.text),
            "action": decision.action.value,
            "category": decision.verdict.category.value if decision.verdict.category else None,
            "reason": decision.reason,
            "status": status,
            "seen_at": iso(now),
            "updated_at": iso(now),
            "attempts": 0,
            "confidence": decision.verdict.score,
            "parent_id": mention.replied_to_id,
            "decided_action": decision.action.value,
        }
        cursor = self.db.execute(
            f"INSERT OR IGNORE INTO mentions ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
        return cursor.rowcount == 1

    @_serialized
    def mention(self, mention_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM mentions WHERE id = ?", [mention_id]))
        return rows[0] if rows else None

    @_serialized
    def set_status(self, mention_id: str, status: Status, now: datetime, **fields: Any) -> bool:
        """Move a mention to ``status`` if the lifecycle allows it from where it is. False if it is unknown;
        :class:`InvalidStatusTransition` if it is in a status that may not move there."""
        if isinstance(fields.get("error"), str):  # X's error texts may echo request headers back
            fields["error"] = redact.scrub(fields["error"])
        updates = {"status": status.value, "updated_at": iso(now), **fields}
        sets = ", ".join(f"{k} = ?" for k in updates)
        sources = sorted(predecessors(status))
        cursor = self.db.execute(
            f"UPDATE mentions SET {sets} WHERE id = ? AND status IN ({', '.join('?' for _ in sources)})",
            [*updates.values(), mention_id, *sources],
        )
        if cursor.rowcount == 1:
            return True
        current = self.db.execute("SELECT status FROM mentions WHERE id = ?", [mention_id]).fetchone()
        if current is None:
            return False
        raise InvalidStatusTransition(mention_id, Status(current[0]), status)

    @_serialized
    def claim(self, mention_id: str, now: datetime, template: str | None = None, by: str = BOT_POSTER) -> bool:
        """Move a pending mention to ``claimed`` by ``by`` (committed before posting); False if it was not pending."""
        cursor = self.db.execute(
            "UPDATE mentions SET status = 'claimed', attempts = attempts + 1, updated_at = ?, template = ?, "
            "claimed_by = ? WHERE id = ? AND status = 'pending'",
            [iso(now), template, by, mention_id],
        )
        return cursor.rowcount == 1

    @_serialized
    def pending(self, account: str, limit: int = 1000, born_after: datetime | None = None) -> list[Handled]:
        """Mentions waiting for a post: escalations' holding replies first, then replies, newest first.

        With ``born_after``, only those written since then, and those a human released (approved or wrote)."""
        fresh = (
            "AND (COALESCE(created_at, seen_at) >= ? OR manual_text IS NOT NULL OR reviewed_at IS NOT NULL) "
            if born_after
            else ""
        )
        rows = self.db.query(
            f"SELECT * FROM mentions WHERE account = ? AND status = 'pending' {fresh}"
            "ORDER BY action = 'escalate' DESC, COALESCE(created_at, seen_at) DESC, length(id) DESC, id DESC "
            "LIMIT ?",
            [account, *([iso(born_after)] if born_after else []), limit],
        )
        return [Handled.from_row(r) for r in rows]

    @_serialized
    def handled(self, mention_id: str) -> Handled | None:
        row = self.mention(mention_id)
        return Handled.from_row(row) if row else None

    @_serialized
    def waiting_count(self, account: str) -> int:
        """Replies waiting to go out: pending, or awaiting a human's approval."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM mentions WHERE account = ? AND status IN ('pending', 'awaiting_approval')",
            [account],
        )
        return int(row.fetchone()[0])

    @_serialized
    def stale_pending(self, account: str, born_before: datetime) -> list[Handled]:
        """Pending mentions written before ``born_before``: too old to answer one by one. One a human released
        (approved or wrote) is not among them: a person chose to send it."""
        rows = self.db.query(
            "SELECT * FROM mentions WHERE account = ? AND status = 'pending' AND manual_text IS NULL "
            "AND reviewed_at IS NULL AND COALESCE(created_at, seen_at) < ?",
            [account, iso(born_before)],
        )
        return [Handled.from_row(r) for r in rows]

    @_serialized
    def author_replied_since(self, account: str, author_id: str, since: datetime, other_than: str) -> bool:
        """True when the account posted a reply to another mention of this author at or after ``since``."""
        if not author_id:
            return False
        row = self.db.execute(
            "SELECT 1 FROM posts p JOIN mentions m ON m.id = p.in_reply_to WHERE p.account = ? AND m.author_id = ? "
            "AND p.posted_at >= ? AND m.id != ? LIMIT 1",
            [account, author_id, iso(since), other_than],
        ).fetchone()
        return row is not None

    @_serialized
    def decisions_since(self, account: str, since: datetime) -> dict[str, int]:
        """action -> mentions decided since ``since`` (the console's last hour)."""
        rows = self.db.execute(
            "SELECT action, COUNT(*) FROM mentions WHERE account = ? AND seen_at >= ? GROUP BY action",
            [account, iso(since)],
        ).fetchall()
        return {a: int(n) for a, n in rows}

    @_serialized
    def audit(self, who: str, action: str, target: str, now: datetime, detail: str = "") -> None:
        self.db.execute(
            "INSERT INTO audit (at, who, action, target, detail) VALUES (?, ?, ?, ?, ?)",
            [iso(now), who, action, target, redact.scrub(detail)],
        )

    @_serialized
    def replies_posted(self, search: str = "", limit: int = 200) -> list[dict[str, Any]]:
        """The accounts' latest posts, newest first; ``search`` (a reference code a customer quotes, or any
        words) matches their text."""
        clause, args = ("WHERE text LIKE ? ESCAPE '\\'", [f"%{_like(search)}%"]) if search else ("", [])
        return list(self.db.query(f"SELECT * FROM posts {clause} ORDER BY posted_at DESC, rowid DESC LIMIT ?",
                                  [*args, limit]))  # fmt: skip

    @_serialized
    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM audit ORDER BY id DESC LIMIT ?", [limit]))

    @_serialized
    def quarantine(self, account: str, record: Quarantined, now: datetime) -> bool:
        """Keep a record that cannot be a mention; False when it was kept before (a re-read)."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO quarantine (account, record_id, reason, raw, seen_at) VALUES (?, ?, ?, ?, ?)",
            [account, record.id, record.reason, record.raw, iso(now)],
        )
        return cursor.rowcount == 1

    @_serialized
    def quarantined(self, account: str | None = None) -> list[dict[str, Any]]:
        clause, args = ("WHERE account = ?", [account]) if account else ("", [])
        return list(self.db.query(f"SELECT * FROM quarantine {clause} ORDER BY seen_at", args))

    @_serialized
    def settle_unposted(self, mention_id: str, now: datetime) -> bool:
        """A claim whose post was not found once the timeline covers it: back to pending (True), or, when that
        already happened once, to the human queue as failed (False): never a third try at an unknown post."""
        with self.db.atomic():
            row = self.db.execute(
                "SELECT unknown_outcomes FROM mentions WHERE id = ? AND status = 'claimed'", [mention_id]
            ).fetchone()
            if row is None:
                return False
            again = int(row[0]) < 1
            self.db.execute(
                "UPDATE mentions SET status = ?, unknown_outcomes = unknown_outcomes + 1, updated_at = ?, "
                "error = ? WHERE id = ?",
                ["pending" if again else "failed", iso(now), None if again else "outcome_unknown_twice", mention_id],
            )
        return again

    @_serialized
    def claimed(self, account: str) -> list[Handled]:
        rows = self.db.query("SELECT * FROM mentions WHERE account = ? AND status = 'claimed'", [account])
        return [Handled.from_row(r) for r in rows]

    @_serialized
    def reread_from(self, account: str, checkpoint: str | None, overlap_s: float) -> str | None:
        """Where the next read of mentions starts: the checkpoint, moved back to re-read the mentions written in
        the ``overlap_s`` seconds before it (X sometimes delivers a mention late). None with no checkpoint."""
        if checkpoint is None or overlap_s <= 0:
            return checkpoint
        mark = self.db.execute("SELECT created_at FROM mentions WHERE id = ?", [checkpoint]).fetchone()
        if not mark or not mark[0]:
            return checkpoint
        boundary = datetime.fromisoformat(mark[0]) - timedelta(seconds=overlap_s)
        row = self.db.execute(
            "SELECT id FROM mentions WHERE account = ? AND created_at < ? "
            "ORDER BY created_at DESC, length(id) DESC, id DESC LIMIT 1",
            [account, iso(boundary)],
        ).fetchone()
        if row is None:  # nothing recorded that long before: re-read from the oldest mention recorded since
            row = self.db.execute(
                "SELECT id FROM mentions WHERE account = ? AND created_at >= ? "
                "ORDER BY created_at, length(id), id LIMIT 1",
                [account, iso(boundary)],
            ).fetchone()
        return row[0] if row else checkpoint

    @_serialized
    def history_flags(
        self, account: str, conversation_id: str, author_id: str, since: datetime, mention_id: str = ""
    ) -> tuple[bool, bool, bool]:
        """(thread answered by another mention than ``mention_id``, author answered since ``since``, author opted
        out) in one round trip.

        The author cooldown counts replies actually posted, not ones still waiting (which may never go out)."""
        row = self.db.execute(
            f"SELECT {_THREAD_TAKEN}, "
            "EXISTS(SELECT 1 FROM posts p JOIN mentions m ON m.id = p.in_reply_to WHERE p.account = ? "
            "AND m.author_id = ? AND p.posted_at >= ?), EXISTS(SELECT 1 FROM opt_outs WHERE author_id = ?)",
            [account, conversation_id, mention_id, *OPEN_STATUSES, account, author_id, iso(since), author_id],
        ).fetchone()
        return bool(row[0]), bool(author_id) and bool(row[1]), bool(author_id) and bool(row[2])

    @_serialized
    def thread_answered_elsewhere(self, row: dict[str, Any]) -> bool:
        """Another mention of this one's conversation has a reply out, being posted, about to be, or waiting for
        approval: the bot's one reply per thread is taken."""
        found = self.db.execute(
            f"SELECT {_THREAD_TAKEN}", [row["account"], row["conversation_id"], row["id"], *OPEN_STATUSES]
        ).fetchone()
        return bool(found[0])

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

    @_serialized
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
            self.set_status(mention_id, Status.REPLIED, now, reply_id=post_id, reply_text=text, template=template)

    @_serialized
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

    @_serialized
    def recent_post_texts(self, account: str, limit: int) -> list[str]:
        rows = self.db.execute(
            "SELECT text FROM posts WHERE account = ? ORDER BY posted_at DESC, rowid DESC LIMIT ?",
            [account, limit],
        ).fetchall()
        return [r[0] for r in rows]

    @_serialized
    def recent_post_texts_elsewhere(self, account: str, limit: int) -> list[str]:
        rows = self.db.execute(
            "SELECT text FROM posts WHERE account != ? ORDER BY posted_at DESC, rowid DESC LIMIT ?",
            [account, limit],
        ).fetchall()
        return [r[0] for r in rows]

    @_serialized
    def posts_since(self, account: str, since: datetime) -> int:
        row = self.db.execute(
            "SELECT COUNT(*) FROM posts WHERE account = ? AND posted_at >= ?", [account, iso(since)]
        ).fetchone()
        return int(row[0])

    # --- checkpoints ------------------------------------------------------------------------------------

    @_serialized
    def checkpoint(self, account: str) -> str | None:
        row = self.db.execute("SELECT since_id FROM checkpoints WHERE account = ?", [account]).fetchone()
        return row[0] if row else None

    @_serialized
    def set_checkpoint(self, account: str, since_id: str, now: datetime) -> None:
        self.db.execute(
            "INSERT INTO checkpoints (account, since_id, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(account) DO UPDATE SET since_id = excluded.since_id, updated_at = excluded.updated_at",
            [account, since_id, iso(now)],
        )

    # --- incidents and opt-outs ------------------------------------------------------------------------

    @_serialized
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

    @_serialized
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

    @_serialized
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

    # --- spending -------------------------------------------------------------------------------------

    @_serialized
    def record_spend(self, account: str, kind: str, units: int, usd: float, now: datetime) -> None:
        self.db.execute(
            "INSERT INTO spend (account, at, kind, units, usd) VALUES (?, ?, ?, ?, ?)",
            [account, iso(now), kind, units, usd],
        )

    @_serialized
    def spent_since(self, account: str, since: datetime) -> float:
        row = self.db.execute(
            "SELECT COALESCE(SUM(usd), 0) FROM spend WHERE account = ? AND at >= ?", [account, iso(since)]
        ).fetchone()
        return float(row[0])

    @_serialized
    def spend_by_kind(self, since: datetime) -> dict[tuple[str, str], tuple[int, float]]:
        """(account, kind) -> (units, dollars) since ``since``: for stats."""
        rows = self.db.execute(
            "SELECT account, kind, SUM(units), SUM(usd) FROM spend WHERE at >= ? GROUP BY account, kind",
            [iso(since)],
        ).fetchall()
        return {(a, k): (int(n), float(usd)) for a, k, n, usd in rows}

    # --- retention ------------------------------------------------------------------------------------

    _ERASE_MENTION = (
        "UPDATE mentions SET text = '', author_handle = '', reply_text = NULL, manual_text = NULL, "
        "review_note = NULL, erased_at = ? WHERE erased_at IS NULL AND "
    )

    @_serialized
    def erase(self, mention_id: str, now: datetime) -> bool:
        """Erase what one mention said and who wrote it (its post was deleted); ids and decisions stay."""
        with self.db.atomic():
            erased = self.db.execute(self._ERASE_MENTION + "id = ?", [iso(now), mention_id]).rowcount
            self.db.execute("UPDATE posts SET text = '' WHERE in_reply_to = ?", [mention_id])
            self.db.execute("UPDATE labels SET text = '', handle = NULL WHERE mention_id = ?", [mention_id])
        return bool(erased)

    @_serialized
    def purge(self, before: datetime, now: datetime) -> dict[str, int]:
        """Erase texts and handles older than ``before``: mentions (except a claim still being settled), the
        account's posts (they name the author) and labels. Counts of what was erased."""
        cut = iso(before)
        with self.db.atomic():
            mentions = self.db.execute(
                self._ERASE_MENTION + "seen_at < ? AND status != 'claimed'", [iso(now), cut]
            ).rowcount
            posts = self.db.execute("UPDATE posts SET text = '' WHERE posted_at < ? AND text != ''", [cut]).rowcount
            labels = self.db.execute(
                "UPDATE labels SET text = '', handle = NULL WHERE labelled_at < ? AND text != ''", [cut]
            ).rowcount
            self.db.execute("DELETE FROM quarantine WHERE seen_at < ?", [cut])
        return {"mentions": mentions, "posts": posts, "labels": labels}

    @_serialized
    def add_opt_out(self, account: str, author_id: str, now: datetime) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO opt_outs (author_id, account, at) VALUES (?, ?, ?)",
            [author_id, account, iso(now)],
        )

    @_serialized
    def opted_out(self, author_id: str) -> bool:
        return bool(self.db.execute("SELECT 1 FROM opt_outs WHERE author_id = ?", [author_id]).fetchone())

    # --- the human queue ---------------------------------------------------------------------------------

    @_serialized
    def queue(self, account: str | None = None) -> list[dict[str, Any]]:
        clause, args = (" AND account = ?", [account]) if account else ("", [])
        return list(self.db.query(f"SELECT * FROM mentions WHERE {QUEUE_WHERE}{clause} ORDER BY seen_at, id", args))

    @_serialized
    def queue_length(self, account: str) -> int:
        row = self.db.execute(f"SELECT COUNT(*) FROM mentions WHERE {QUEUE_WHERE} AND account = ?", [account])
        return int(row.fetchone()[0])

    @_serialized
    def mark_reviewed(self, mention_id: str, now: datetime, note: str | None) -> bool:
        cursor = self.db.execute(
            "UPDATE mentions SET reviewed_at = ?, review_note = ?, updated_at = ? WHERE id = ?",
            [iso(now), note, iso(now), mention_id],
        )
        return cursor.rowcount == 1

    @_serialized
    def escalate(self, mention_id: str, now: datetime, note: str | None = None) -> bool:
        """A human says this needs a human: back on the queue as an escalation, never auto-replied.

        A mention whose reply is posted or being posted keeps that status (the thread stays answered)."""
        kept = ", ".join(f"'{s.value}'" for s in sorted(POSTED))
        cursor = self.db.execute(
            "UPDATE mentions SET action = 'escalate', "
            f"status = CASE WHEN status IN ({kept}) THEN status ELSE 'escalated' END, "
            "reviewed_at = NULL, review_note = COALESCE(?, review_note), updated_at = ? WHERE id = ?",
            [note, iso(now), mention_id],
        )
        return cursor.rowcount == 1

    @_serialized
    def release_for_posting(self, mention_id: str, now: datetime, manual_text: str | None = None) -> bool:
        """Approve a waiting reply, or queue a human-written one: it goes through the normal claim path.

        Approving an ``unsure`` mention makes it a reply: the account's template for it is posted. A written reply
        is refused where a reply is already out (a second click holding an older copy of the mention)."""
        sources = (Status.AWAITING_APPROVAL, Status.UNSURE) if manual_text is None else RELEASABLE
        cursor = self.db.execute(
            "UPDATE mentions SET action = CASE WHEN status = 'unsure' THEN 'reply' ELSE action END, "
            f"status = 'pending', manual_text = COALESCE(?, manual_text), updated_at = ?, "
            f"reviewed_at = ? WHERE id = ? AND status IN ({', '.join('?' for _ in sources)}) "
            f"{'' if manual_text is None else 'AND reply_id IS NULL'}",
            [manual_text, iso(now), iso(now), mention_id, *sources],
        )
        return cursor.rowcount == 1

    @_serialized
    def hand_back(self, mention_id: str, now: datetime) -> bool:
        """A human gives a mention back to the bot: it becomes a ``reply`` decision, pending, answered with the
        account's template (any human-written text is dropped) through the normal claim path. Only a mention
        with no reply out and not already pending or being posted; False otherwise (a second click)."""
        cursor = self.db.execute(
            "UPDATE mentions SET action = 'reply', status = 'pending', manual_text = NULL, error = NULL, "
            f"updated_at = ?, reviewed_at = ? WHERE id = ? AND reply_id IS NULL AND status IN "
            f"({', '.join('?' for _ in RELEASABLE)})",
            [iso(now), iso(now), mention_id, *RELEASABLE],
        )
        return cursor.rowcount == 1

    @_serialized
    def counts(self, account: str | None = None) -> dict[str, int]:
        args = [account] if account else []
        clause = "WHERE account = ?" if account else ""
        rows = self.db.execute(f"SELECT status, COUNT(*) FROM mentions {clause} GROUP BY status", args)
        return {status: int(n) for status, n in rows.fetchall()}

    @_serialized
    def unanswered(self, account: str | None = None) -> dict[tuple[str, str, str], int]:
        """Complaints nobody answered one by one: (account, category, status) -> count, expired or covered."""
        clause, args = (" AND account = ?", [account]) if account else ("", [])
        marks = ", ".join("?" for _ in UNANSWERED)
        rows = self.db.execute(
            f"SELECT account, COALESCE(category, ''), status, COUNT(*) FROM mentions WHERE status IN ({marks})"
            f"{clause} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            [*sorted(UNANSWERED), *args],
        )
        return {(a, c, st): int(n) for a, c, st, n in rows.fetchall()}

    # --- status posts: one public post per incident and state --------------------------------------------

    @_serialized
    def status_post(self, account: str, incident_started_at: datetime, state: IncidentState) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                "SELECT * FROM status_posts WHERE account = ? AND incident_started_at = ? AND state = ?",
                [account, iso(incident_started_at), state.value],
            )
        )
        return rows[0] if rows else None

    @_serialized
    def status_posts(self, account: str | None = None) -> list[dict[str, Any]]:
        clause, args = ("WHERE account = ?", [account]) if account else ("", [])
        return list(self.db.query(f"SELECT * FROM status_posts {clause} ORDER BY created_at, account", args))

    @_serialized
    def incident_has_status_post(self, account: str, incident_started_at: datetime) -> bool:
        """True when the account posted (or proposed) a status post for any state of this incident."""
        row = self.db.execute(
            "SELECT 1 FROM status_posts WHERE account = ? AND incident_started_at = ? "
            "AND status IN ('posted', 'proposed', 'claimed') LIMIT 1",
            [account, iso(incident_started_at)],
        ).fetchone()
        return row is not None

    @_serialized
    def claim_status_post(
        self,
        account: str,
        incident_started_at: datetime,
        state: IncidentState,
        text: str,
        now: datetime,
        *,
        proposed: bool = False,
    ) -> bool:
        """Reserve the status post of this incident and state (committed before posting: at most one is ever
        posted, even after a crash). ``proposed``: approval mode, a human posts it. False if one exists."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO status_posts (account, incident_started_at, state, text, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [account, iso(incident_started_at), state.value, text, "proposed" if proposed else "claimed", iso(now)],
        )
        return cursor.rowcount == 1

    @_serialized
    def take_proposed_status_post(self, account: str, incident_started_at: datetime, state: IncidentState) -> bool:
        """A human approves a proposed status post: it becomes claimed, to be posted now. False if none waits."""
        cursor = self.db.execute(
            "UPDATE status_posts SET status = 'claimed' WHERE account = ? AND incident_started_at = ? AND state = ? "
            "AND status = 'proposed'",
            [account, iso(incident_started_at), state.value],
        )
        return cursor.rowcount == 1

    @_serialized
    def release_status_post(self, account: str, incident_started_at: datetime, state: IncidentState) -> None:
        """Give up a claim that X certainly did not act on (it refused before posting): it may be tried again."""
        self.db.execute(
            "DELETE FROM status_posts WHERE account = ? AND incident_started_at = ? AND state = ? "
            "AND status = 'claimed'",
            [account, iso(incident_started_at), state.value],
        )

    @_serialized
    def finish_status_post(
        self,
        account: str,
        incident_started_at: datetime,
        state: IncidentState,
        now: datetime,
        *,
        post_id: str | None = None,
        text: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record how a claimed or proposed status post ended: posted (with its id), or failed (``error``)."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE status_posts SET status = ?, post_id = ?, text = COALESCE(?, text), posted_at = ?, "
                "error = ? WHERE account = ? AND incident_started_at = ? AND state = ?",
                [
                    "failed" if error else "posted",
                    post_id,
                    text,
                    iso(now) if post_id else None,
                    redact.scrub(error) if error else None,
                    account,
                    iso(incident_started_at),
                    state.value,
                ],
            )
            if post_id:  # it counts against the account's post budget like any post
                self.db.execute(
                    "INSERT OR IGNORE INTO posts (id, account, in_reply_to, text, template, posted_at) "
                    "VALUES (?, ?, '', ?, 'status', ?)",  # in reply to nothing
                    [post_id, account, text or "", iso(now)],
                )

    # --- labels: the learning loop -------------------------------------------------------------------

    @_serialized
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
            "SELECT id, account, lang, ?, text, ?, ?, ?, ?, COALESCE(decided_action, action), category FROM mentions "
            "WHERE id = ? "
            "ON CONFLICT (mention_id) DO UPDATE SET action = excluded.action, category = excluded.category, "
            "labelled_by = excluded.labelled_by, labelled_at = excluded.labelled_at, "
            "handle = COALESCE(excluded.handle, labels.handle)",
            [handle, action, category, labelled_by, iso(now), mention_id],
        )
        return cursor.rowcount == 1

    @_serialized
    def label(self, mention_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM labels WHERE mention_id = ?", [mention_id]))
        return rows[0] if rows else None

    def labels(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Every label (labelled at or after ``since``), in the order they were given."""
        clause, args = ("WHERE labelled_at >= ?", [iso(since)]) if since else ("", [])
        yield from self.db.query(f"SELECT * FROM labels {clause} ORDER BY labelled_at, mention_id", args)
