"""The store port in plain Python: the in-memory fake that unit tests wire instead of SQLite.

It keeps the same rules as ``bot.adapters.store.Store`` where the service can see them (the lifecycle's
transition table, one record per mention id, newest-first pending, posts counted against the budget,
checkpoints, incidents and status posts); ``tests/test_store_contract.py`` runs the same checks on both.
Not for production: nothing survives the process.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from bot.core.incident import Incident
from bot.core.lifecycle import BOT_POSTER, Handled, InvalidStatusTransition, Status, allowed
from bot.core.models import Decision, IncidentState, Mention, Posted, Quarantined


def _key(mention_id: str) -> tuple[int, str]:
    return (len(mention_id), mention_id)


def _erase(row: dict[str, Any], now: datetime) -> None:
    """What a mention said and who wrote it, gone; its id, decision and status stay (as Store.erase)."""
    row.update(
        text="", author_handle="", reply_text=None, manual_text=None, review_note=None, erased_at=now.isoformat()
    )


class MemoryStore:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.posts: list[dict[str, Any]] = []
        self.checkpoints: dict[str, str] = {}
        self.incidents: dict[str, Incident] = {}
        self.opt_outs: set[str] = set()
        self.spend: list[tuple[str, datetime, str, int, float]] = []
        self.kept: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.status_posts_: dict[tuple[str, datetime, IncidentState], dict[str, Any]] = {}
        self.lock = threading.RLock()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All the writes inside, or none: a snapshot is put back if the block raises."""
        with self.lock:
            saved = copy.deepcopy((self.rows, self.posts, self.checkpoints, self.opt_outs))
            try:
                yield
            except BaseException:
                self.rows, self.posts, self.checkpoints, self.opt_outs = saved
                raise

    # --- mentions ---------------------------------------------------------------------------------------

    def has_mention(self, mention_id: str) -> bool:
        return mention_id in self.rows

    def record_decision(self, mention: Mention, decision: Decision, status: Status, now: datetime) -> bool:
        if mention.id in self.rows:
            return False
        self.rows[mention.id] = {
            "id": mention.id,
            "account": mention.account,
            "author_id": mention.author_id,
            "author_handle": mention.author_handle,
            "conversation_id": mention.thread_id,
            "created_at": mention.created_at.isoformat() if mention.created_at else None,
            "lang": decision.verdict.lang,
            "text": mention.text,
            "action": decision.action.value,
            "category": decision.verdict.category.value if decision.verdict.category else None,
            "reason": decision.reason,
            "confidence": decision.verdict.score,
            "parent_id": mention.replied_to_id,
            "decided_action": decision.action.value,
            "status": Status(status).value,
            "seen_at": now.isoformat(),
            "reviewed_at": None,
            "manual_text": None,
            "template": None,
            "error": None,
        }
        return True

    def handled(self, mention_id: str) -> Handled | None:
        row = self.rows.get(mention_id)
        return Handled.from_row(row) if row else None

    def set_status(self, mention_id: str, status: Status, now: datetime, **fields: Any) -> bool:
        row = self.rows.get(mention_id)
        if row is None:
            return False
        current = Status(row["status"])
        if not allowed(current, status):
            raise InvalidStatusTransition(mention_id, current, status)
        row.update(fields, status=status.value, updated_at=now.isoformat())
        return True

    def claim(self, mention_id: str, now: datetime, template: str | None = None, by: str = BOT_POSTER) -> bool:
        row = self.rows.get(mention_id)
        if row is None or row["status"] != Status.PENDING:
            return False
        row.update(status=Status.CLAIMED.value, template=template, updated_at=now.isoformat(), claimed_by=by)
        return True

    def _of(self, account: str, status: Status) -> list[dict[str, Any]]:
        return [r for r in self.rows.values() if r["account"] == account and r["status"] == status]

    def quarantine(self, account: str, record: Quarantined, now: datetime) -> bool:
        key = (account, record.id, record.raw)
        if key in self.kept:
            return False
        self.kept[key] = {"account": account, "record_id": record.id, "reason": record.reason, "raw": record.raw}
        return True

    def quarantined(self, account: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.kept.values() if account is None or r["account"] == account]

    def settle_unposted(self, mention_id: str, now: datetime) -> bool:
        row = self.rows.get(mention_id)
        if row is None or row["status"] != Status.CLAIMED:
            return False
        again = int(row.get("unknown_outcomes") or 0) < 1
        row.update(
            status=(Status.PENDING if again else Status.FAILED).value,
            unknown_outcomes=int(row.get("unknown_outcomes") or 0) + 1,
            updated_at=now.isoformat(),
            error=None if again else "outcome_unknown_twice",
        )
        return again

    def claimed(self, account: str) -> list[Handled]:
        return [Handled.from_row(r) for r in self._of(account, Status.CLAIMED)]

    def pending(self, account: str, limit: int = 1000, born_after: datetime | None = None) -> list[Handled]:
        rows = [Handled.from_row(r) for r in self._of(account, Status.PENDING)]
        if born_after is not None:
            released = {r["id"] for r in self._of(account, Status.PENDING) if r["manual_text"] or r["reviewed_at"]}
            rows = [h for h in rows if h.id in released or (h.born is not None and h.born >= born_after)]
        rows.sort(
            key=lambda h: (h.action == "escalate", h.born.timestamp() if h.born else 0.0, _key(h.id)), reverse=True
        )
        return rows[:limit]

    def waiting_count(self, account: str) -> int:
        return len(self._of(account, Status.PENDING)) + len(self._of(account, Status.AWAITING_APPROVAL))

    def stale_pending(self, account: str, born_before: datetime) -> list[Handled]:
        return [
            Handled.from_row(r)
            for r in self._of(account, Status.PENDING)
            if not r["manual_text"] and not r["reviewed_at"] and (Handled.from_row(r).born or born_before) < born_before
        ]

    def history_flags(
        self, account: str, conversation_id: str, author_id: str, since: datetime
    ) -> tuple[bool, bool, bool]:
        open_ = {"pending", "claimed", "replied", "awaiting_approval"}
        thread = any(
            r["account"] == account and r["conversation_id"] == conversation_id and r["status"] in open_
            for r in self.rows.values()
        )
        author = bool(author_id) and self.author_replied_since(account, author_id, since, other_than="")
        return thread, author, bool(author_id) and author_id in self.opt_outs

    def author_replied_since(self, account: str, author_id: str, since: datetime, other_than: str) -> bool:
        if not author_id:  # X did not say who wrote it: never one shared author
            return False
        for post in self.posts:
            row = self.rows.get(post["in_reply_to"])
            if (
                row
                and post["account"] == account
                and row["author_id"] == author_id
                and row["id"] != other_than
                and post["posted_at"] >= since
            ):
                return True
        return False

    def record_spend(self, account: str, kind: str, units: int, usd: float, now: datetime) -> None:
        self.spend.append((account, now, kind, units, usd))

    def spent_since(self, account: str, since: datetime) -> float:
        return float(sum(usd for a, at, _, _, usd in self.spend if a == account and at >= since))

    def spend_by_kind(self, since: datetime) -> dict[tuple[str, str], tuple[int, float]]:
        out: dict[tuple[str, str], tuple[int, float]] = {}
        for account, at, kind, units, usd in self.spend:
            if at >= since:
                n, total = out.get((account, kind), (0, 0.0))
                out[(account, kind)] = (n + units, total + usd)
        return out

    def erase(self, mention_id: str, now: datetime) -> bool:
        row = self.rows.get(mention_id)
        if row is None or row.get("erased_at"):
            return False
        _erase(row, now)
        for post in self.posts:
            if post["in_reply_to"] == mention_id:
                post["text"] = ""
        return True

    def purge(self, before: datetime, now: datetime) -> dict[str, int]:
        cut = before.isoformat()
        old = [
            r["id"]
            for r in self.rows.values()
            if r["seen_at"] < cut and r["status"] != Status.CLAIMED and not r.get("erased_at")
        ]
        for mention_id in old:
            _erase(self.rows[mention_id], now)
        posts = [p for p in self.posts if p["posted_at"] < before and p["text"]]
        for post in posts:
            post["text"] = ""
        return {"mentions": len(old), "posts": len(posts), "labels": 0}

    def add_opt_out(self, account: str, author_id: str, now: datetime) -> None:
        self.opt_outs.add(author_id)

    # --- posts ------------------------------------------------------------------------------------------

    def record_post(
        self, account: str, mention_id: str, post_id: str, text: str, template: str | None, now: datetime
    ) -> None:
        with self.transaction():
            if not any(p["id"] == post_id for p in self.posts):
                self.posts.append(
                    {"id": post_id, "account": account, "in_reply_to": mention_id, "text": text, "posted_at": now}
                )
            self.set_status(mention_id, Status.REPLIED, now, reply_id=post_id, reply_text=text, template=template)

    def adopt_reply(self, account: str, post: Posted, now: datetime) -> bool:
        if post.in_reply_to in self.rows:
            return False
        self.rows[post.in_reply_to] = {
            **dict.fromkeys(("author_handle", "created_at", "lang", "category", "manual_text", "template", "error")),
            "id": post.in_reply_to,
            "account": account,
            "author_id": "",
            "conversation_id": post.in_reply_to,
            "text": "",
            "action": "reply",
            "reason": "adopted:own_reply",
            "status": Status.REPLIED.value,
            "seen_at": now.isoformat(),
            "reviewed_at": None,
        }
        self.posts.append({"id": post.id, "account": account, "in_reply_to": post.in_reply_to, "text": post.text,
                           "posted_at": now})  # fmt: skip
        return True

    def recent_post_texts(self, account: str, limit: int) -> list[str]:
        mine = [p for p in self.posts if p["account"] == account]
        return [p["text"] for p in reversed(mine)][:limit]

    def recent_post_texts_elsewhere(self, account: str, limit: int) -> list[str]:
        theirs = [p for p in self.posts if p["account"] != account]
        return [p["text"] for p in reversed(theirs)][:limit]

    def posts_since(self, account: str, since: datetime) -> int:
        return sum(1 for p in self.posts if p["account"] == account and p["posted_at"] >= since)

    # --- checkpoints --------------------------------------------------------------------------------------

    def checkpoint(self, account: str) -> str | None:
        return self.checkpoints.get(account)

    def set_checkpoint(self, account: str, since_id: str, now: datetime) -> None:
        self.checkpoints[account] = since_id

    def reread_from(self, account: str, checkpoint: str | None, overlap_s: float) -> str | None:
        if checkpoint is None or overlap_s <= 0 or checkpoint not in self.rows:
            return checkpoint
        mark = Handled.from_row(self.rows[checkpoint]).created_at
        if mark is None:
            return checkpoint
        boundary = mark - timedelta(seconds=overlap_s)
        mine = [
            h
            for h in (Handled.from_row(r) for r in self.rows.values() if r["account"] == account)
            if h.created_at is not None
        ]
        older = [h for h in mine if h.created_at is not None and h.created_at < boundary]
        if older:
            return max(older, key=lambda h: (h.created_at, _key(h.id))).id
        since = [h for h in mine if h.created_at is not None and h.created_at >= boundary]
        return min(since, key=lambda h: (h.created_at, _key(h.id))).id if since else checkpoint

    # --- incidents and status posts ---------------------------------------------------------------------

    def incident(self, account: str) -> Incident:
        return self.incidents.get(account, Incident(account, IncidentState.NONE, None, None, ""))

    def save_incident(self, incident: Incident) -> None:
        self.incidents[incident.code] = incident

    def status_post(self, account: str, incident_started_at: datetime, state: IncidentState) -> dict[str, Any] | None:
        return self.status_posts_.get((account, incident_started_at, state))

    def incident_has_status_post(self, account: str, incident_started_at: datetime) -> bool:
        return any(
            a == account and started == incident_started_at and p["status"] in ("posted", "proposed", "claimed")
            for (a, started, _), p in self.status_posts_.items()
        )

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
        key = (account, incident_started_at, state)
        if key in self.status_posts_:
            return False
        self.status_posts_[key] = {"text": text, "status": "proposed" if proposed else "claimed", "post_id": None}
        return True

    def release_status_post(self, account: str, incident_started_at: datetime, state: IncidentState) -> None:
        key = (account, incident_started_at, state)
        if self.status_posts_.get(key, {}).get("status") == "claimed":
            del self.status_posts_[key]

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
        post = self.status_posts_[(account, incident_started_at, state)]
        post.update(status="failed" if error else "posted", post_id=post_id, error=error)
        if text:
            post["text"] = text
        if post_id:
            self.posts.append({"id": post_id, "account": account, "in_reply_to": "", "text": post["text"],
                               "posted_at": now})  # fmt: skip
