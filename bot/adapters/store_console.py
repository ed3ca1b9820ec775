"""What the web console reads from the store beyond what the bot needs: mentions per minute, the queue's
counts and filters, a mention's thread and history. Part of :class:`bot.adapters.store.Store` (a mixin, so the
store stays the only path to the database); every method holds the store's lock. Texts are returned only where
a page shows them (escaped there): the per-minute counts carry none."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from bot.core.lifecycle import STALE_BY_BUDGET, UNANSWERED

QUEUE_WHERE = (
    "reviewed_at IS NULL AND (action = 'escalate' OR status IN ('failed', 'awaiting_approval', 'unsure', 'expired'))"
)
"""The human queue: every escalation and every failed, awaiting, unsure or expired mention not yet reviewed."""
QUEUE_KINDS = ("escalations", "unsure", "failed", "awaiting_approval", "expired")
"""What waits for a human, as the console counts it: every escalation, then the other queued statuses."""
NO_CATEGORY = "none"


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="seconds")


def _epoch_minute(iso_minute: str) -> int:
    """``2023-02-06T10:15`` (UTC, as stored) -> minutes since the epoch."""
    return int(datetime.fromisoformat(iso_minute).replace(tzinfo=UTC).timestamp() // 60)


class ConsoleQueries:
    """Mixed into :class:`Store`, which provides ``db`` and ``lock``."""

    db: sqlite_utils.Database
    lock: threading.RLock

    def _rows(self, sql: str, args: list[Any]) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.db.query(sql, args))

    def per_minute(self, account: str, since: datetime) -> dict[tuple[int, str], int]:
        """(epoch minute, the bot's decision) -> mentions written in that minute (or first seen, when X did not
        say when), since ``since``; what a human did later does not move them. Counts only: no text."""
        rows = self._rows(
            "SELECT substr(COALESCE(created_at, seen_at), 1, 16) AS minute, "
            "COALESCE(decided_action, action) AS action, COUNT(*) AS n FROM mentions "
            "WHERE account = ? AND (created_at >= ? OR (created_at IS NULL AND seen_at >= ?)) GROUP BY 1, 2",
            [account, _iso(since), _iso(since)],
        )
        return {(_epoch_minute(r["minute"]), r["action"]): int(r["n"]) for r in rows}

    def complaints_per_minute(self, account: str, since: datetime) -> dict[int, int]:
        """Epoch minute -> complaints, as the spike detector counted them: the bot's ``reply`` and ``escalate``
        decisions (not a human's later ones), not the escalations it made because it could not decide
        (``error:``)."""
        rows = self._rows(
            "SELECT substr(COALESCE(created_at, seen_at), 1, 16) AS minute, COUNT(*) AS n FROM mentions "
            "WHERE account = ? AND (created_at >= ? OR (created_at IS NULL AND seen_at >= ?)) "
            "AND COALESCE(decided_action, action) IN ('reply', 'escalate') AND reason NOT LIKE 'error:%' GROUP BY 1",
            [account, _iso(since), _iso(since)],
        )
        return {_epoch_minute(r["minute"]): int(r["n"]) for r in rows}

    def queue_counts(self, account: str | None = None) -> dict[str, int]:
        """kind -> mentions waiting for a human (``QUEUE_KINDS``; an escalation counts once, as an escalation)."""
        clause, args = (" AND account = ?", [account]) if account else ("", [])
        rows = self._rows(
            "SELECT CASE WHEN action = 'escalate' THEN 'escalations' ELSE status END AS kind, COUNT(*) AS n "
            f"FROM mentions WHERE {QUEUE_WHERE}{clause} GROUP BY 1",
            args,
        )
        found = {r["kind"]: int(r["n"]) for r in rows}
        return {kind: found.get(kind, 0) for kind in QUEUE_KINDS}

    def unanswered_by_cause(self, account: str | None = None) -> dict[str, int]:
        """Complaints nobody answered one by one (expired, or covered by the status post), split by what the
        outbox recorded: ``budget`` (the post budget was spent when they went stale), ``other`` (X trouble, a
        backlog, the bot stopped; or recorded before the cause was: the store does not say)."""
        clause, args = (" AND account = ?", [account]) if account else ("", [])
        marks = ", ".join("?" for _ in UNANSWERED)
        rows = self._rows(
            "SELECT CASE WHEN error = ? THEN 'budget' ELSE 'other' END AS cause, COUNT(*) AS n FROM mentions "
            f"WHERE status IN ({marks}){clause} GROUP BY 1",
            [STALE_BY_BUDGET, *sorted(UNANSWERED), *args],
        )
        found = {r["cause"]: int(r["n"]) for r in rows}
        return {"budget": found.get("budget", 0), "other": found.get("other", 0)}

    def queue_filtered(
        self, account: str | None, category: str | None, lang: str | None, limit: int = 200
    ) -> tuple[list[dict[str, Any]], int]:
        """The human queue, oldest first, filtered (``category`` ``none``: mentions without one); at most
        ``limit`` rows, and how many matched in all."""
        where, args = [QUEUE_WHERE], []
        if account:
            where.append("account = ?")
            args.append(account)
        if category == NO_CATEGORY:
            where.append("category IS NULL")
        elif category:
            where.append("category = ?")
            args.append(category)
        if lang:
            where.append("lang = ?")
            args.append(lang)
        clause = " AND ".join(f"({w})" for w in where)
        total = self._rows(f"SELECT COUNT(*) AS n FROM mentions WHERE {clause}", args)[0]["n"]
        rows = self._rows(f"SELECT * FROM mentions WHERE {clause} ORDER BY seen_at, id LIMIT ?", [*args, limit])
        return rows, int(total)

    def thread_of(self, row: dict[str, Any], limit: int = 50) -> list[dict[str, Any]]:
        """The recorded mentions of the same conversation (this one included), oldest first, each with the
        account's reply to it if one was posted (``our_reply``)."""
        return self._rows(
            "SELECT m.id, m.author_handle, m.created_at, m.text, m.status, m.action, p.text AS our_reply "
            "FROM mentions m LEFT JOIN posts p ON p.in_reply_to = m.id "
            "WHERE m.account = ? AND m.conversation_id = ? "
            "ORDER BY COALESCE(m.created_at, m.seen_at), length(m.id), m.id LIMIT ?",
            [row["account"], row["conversation_id"], limit],
        )

    def parent_of(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """The post this mention replied to, when recorded: a mention (``kind`` mention) or one of the account's
        own posts (``kind`` ours). None when it replied to nothing or to a post the bot never stored."""
        parent = row.get("parent_id")
        if not parent:
            return None
        found = self._rows("SELECT id, author_handle, text, 'mention' AS kind FROM mentions WHERE id = ?", [parent])
        found = found or self._rows("SELECT id, '' AS author_handle, text, 'ours' AS kind FROM posts WHERE id = ?",
                                    [parent])  # fmt: skip
        return found[0] if found else None

    def history_of(self, mention_id: str) -> list[dict[str, Any]]:
        """Who did what to this mention (the audit trail), oldest first."""
        return self._rows("SELECT * FROM audit WHERE target = ? ORDER BY id", [mention_id])

    def posts_for(self, mention_id: str) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM posts WHERE in_reply_to = ? ORDER BY posted_at", [mention_id])
