"""Incidents and budgets: the state that picks the wording, and how many posts an account may still make."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

from bot.core.incident import Incident, effective_state, reopen_fresh, transition
from bot.core.models import IncidentState
from bot.ports import MentionStore
from bot.settings import UNVERIFIED_REPLIES_PER_24H, Account, Limits

log = logging.getLogger("bot.service")


def move_incident(
    store: MentionStore,
    code: str,
    new: IncidentState,
    now: datetime,
    quiet_s: float,
    note: str | None = None,
    *,
    fresh: bool = False,
) -> Incident:
    """Move a country's incident to ``new`` if that transition is allowed (raises ``InvalidTransition``).

    A resolved incident whose quiet period is over counts as ``none``, so it can be declared afresh. ``fresh``
    (``incident open``) declares a new incident over a resolved one: new start time, only the given note.
    """
    current = store.incident(code)
    state = effective_state(current, now, quiet_s)
    if state is not current.state:
        current = dataclasses.replace(current, state=state, started_at=None, note="")
    if fresh:
        current = reopen_fresh(current)
    updated = transition(current, new, now, note)
    store.save_incident(updated)
    return updated


def declare_on_spike(store: MentionStore, code: str, at: datetime, quiet_s: float) -> None:
    """A complaint spike opens an ``investigating`` incident unless one is already open."""
    if effective_state(store.incident(code), at, quiet_s) in (IncidentState.NONE, IncidentState.RESOLVED):
        move_incident(store, code, IncidentState.INVESTIGATING, at, quiet_s)
        log.warning("complaint spike: incident declared (investigating)", extra={"account": code})


def money_left(store: MentionStore, limits: Limits, account: str, now: datetime) -> float:
    """Dollars of ``budget_per_24h_usd`` not yet spent on reads and posts in the last 24 hours."""
    return limits.budget_per_24h_usd - store.spent_since(account, now - timedelta(hours=24))


def budget_left(store: MentionStore, limits: Limits, account: Account, now: datetime, with_url: bool = False) -> int:
    """Replies this account may still post now: the 15 min and 24 h caps, X's cap on an unverified account,
    and the money left at the price of the next reply (``with_url``: the incident note is a link)."""
    code = account.code
    last_24h = store.posts_since(code, now - timedelta(hours=24))
    last_15m = store.posts_since(code, now - timedelta(minutes=15))
    price = limits.cost_per_url_post_usd if with_url else limits.cost_per_reply_usd
    by_money = int(money_left(store, limits, code, now) / price + 1e-9) if price > 0 else 10**9
    caps = [limits.posts_per_15min - last_15m, limits.posts_per_24h - last_24h, by_money]
    if not account.verified:
        caps.append(UNVERIFIED_REPLIES_PER_24H - last_24h)
    return max(0, min(caps))


@dataclasses.dataclass(frozen=True)
class IncidentNow:
    """An account's incident as the outbox sees it at one moment."""

    state: IncidentState
    note: str
    started_at: datetime | None

    @property
    def open(self) -> bool:
        return self.state is not IncidentState.NONE and self.started_at is not None


def incident_now(
    store: MentionStore, code: str, now: datetime, quiet_s: float, override: IncidentState | None = None
) -> IncidentNow:
    if override is not None:
        return IncidentNow(override, "", None)
    incident = store.incident(code)
    state = effective_state(incident, now, quiet_s)
    return IncidentNow(state, incident.note, incident.started_at if state is not IncidentState.NONE else None)
