"""``replybot simulate``: the run pipeline (classifier, policy, templates) over JSONL rows, offline."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.adapters.clock import ManualClock
from bot.adapters.mock import MockPlatform
from bot.adapters.store import Store
from bot.bootstrap import build
from bot.core.models import IncidentState, Mention
from bot.core.normalize import mend_surrogates
from bot.settings import HANDLE_RE, Account, Settings

log = logging.getLogger(__name__)


class QuietObserver:
    def decided(self, *args: Any) -> None:
        pass

    def posted(self, *args: Any) -> None:
        pass

    def noted(self, *args: Any) -> None:
        pass

    def poll_done(self, *args: Any) -> None:
        pass


def _created_at(value: Any) -> datetime | None:
    """The row's time; None (judged now) when missing, unreadable or before X existed (year 0001)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    if ts.year < 2006:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _account(settings: Settings, row: dict[str, Any], fallback: str | None, warned: set[str]) -> Account:
    handle = row.get("handle")
    chosen = settings.account(fallback) if fallback else settings.accounts[0]
    if isinstance(handle, str) and handle:
        found = settings.account_for_handle(handle)
        if found:
            return found
        if handle.lower() not in warned:
            warned.add(handle.lower())
            configured = ", ".join(f"@{a.handle}" for a in settings.accounts)
            log.warning(
                "handle @%s is not a configured account (%s): its rows run as %s",
                handle.lstrip("@"),
                configured,
                chosen.code,
            )
    return chosen


def _mention(row: dict[str, Any], number: int, account: Account) -> Mention:
    author = mend_surrogates(row["author"]) if isinstance(row.get("author"), str) else None
    handle = author.lstrip("@") if author and HANDLE_RE.match(author.lstrip("@")) else "customer"
    lang = mend_surrogates(row["lang"]) if isinstance(row.get("lang"), str) else None
    conversation = row.get("conversation_id")
    return Mention(
        id=mend_surrogates(str(row["id"])),
        text=mend_surrogates(row["text"]),
        author_id=f"sim-author-{author}" if author else f"sim-line-{number}",
        author_handle=handle,
        account=account.code,
        created_at=_created_at(row.get("created_at")),
        conversation_id=mend_surrogates(str(conversation)) if conversation not in (None, "") else None,
        lang=lang or None,
    )


def simulate_rows(
    settings: Settings,
    rows: Iterable[tuple[int, dict[str, Any] | None, str | None]],
    incident: str | None,
    account_code: str | None,
    independent: bool = False,
    live_db: Path | None = None,
) -> Iterator[dict[str, Any]]:
    """One output object per input row, in input order; a bad row yields ``{"line", "error"}``.

    Budgets never hold a simulated reply back. With ``independent`` (eval), every row is its own author and
    thread, so the one-reply-per-thread and per-author rules do not blur what each labelled mention gets.
    Without ``incident``, replies are worded for the incidents of ``live_db`` (read only), as the live bot would.
    """
    limits = dataclasses.replace(
        settings.limits, posts_per_15min=10**9, posts_per_24h=10**9, budget_per_24h_usd=float(10**9)
    )
    settings = dataclasses.replace(settings, limits=limits)
    platforms = {a.code: MockPlatform(handle=a.handle, account=a.code) for a in settings.accounts}
    now = datetime.now(UTC)
    clock = ManualClock(now)
    app = build(
        settings,
        dry_run=True,
        platforms=platforms,
        observer=QuietObserver(),
        store=Store.preview_of(live_db, checkpoints=False) if live_db else Store.in_memory(),
        incident_override=IncidentState(incident) if incident else None,
        clock=clock,
    )
    service = app.service
    warned: set[str] = set()
    for number, row, error in rows:
        if row is None:
            yield {"line": number, "error": error}
            continue
        try:
            account = _account(settings, row, account_code, warned)
            mention = _mention(row, number, account)
            if independent:
                mention = dataclasses.replace(mention, author_id=f"sim-line-{number}", conversation_id=None)
            clock.set(mention.created_at or now)  # judge each row at its own time
            decision = service.intake.handle(account, service.me(account), mention)
            if decision is None:
                yield {"line": number, "error": f"duplicate id {mention.id!r}"}
                continue
            service.send_pending(account)
            stored = app.store.mention(mention.id) or {}
            yield {
                "id": mention.id,
                "action": decision.action.value,
                "category": decision.verdict.category.value if decision.verdict.category else None,
                "lang": decision.verdict.lang,
                "reply": stored.get("reply_text"),
                "reason": decision.reason,
            }
        except Exception as exc:  # one bad row never stops the rest
            log.debug("simulate failed on line %d", number, exc_info=True)
            yield {"line": number, "error": f"{type(exc).__name__}: {exc}"}
