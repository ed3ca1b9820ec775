"""The loop body: fetch → decide → record → act. Everything it touches is handed in by the composition root."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.adapters.store import Store, utcnow
from bot.core.incident import Incident, effective_state, reopen_fresh, transition
from bot.core.models import Action, Category, Decision, IncidentState, Me, Mention, Verdict
from bot.core.policy import History, decide, is_opt_out
from bot.core.replies import ComposedReply, ReplyComposer, ReplyError
from bot.ports import (
    DuplicateContent,
    NotSummoned,
    Platform,
    PlatformError,
    PostOutcomeUnknown,
    TextClassifier,
    TransientPlatformError,
    Unauthorized,
)
from bot.settings import Account, Limits, Settings

log = logging.getLogger(__name__)


def move_incident(
    store: Store,
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


def declare_on_spike(store: Store, code: str, at: datetime, quiet_s: float) -> None:
    """A complaint spike opens an ``investigating`` incident unless one is already open."""
    if effective_state(store.incident(code), at, quiet_s) in (IncidentState.NONE, IncidentState.RESOLVED):
        move_incident(store, code, IncidentState.INVESTIGATING, at, quiet_s)
        log.warning("complaint spike: incident declared (investigating)", extra={"account": code})


def budget_left(store: Store, limits: Limits, account: str, now: datetime) -> int:
    """Posts this account may still make now: the 15 min and 24 h caps and the money budget."""
    last_24h = store.posts_since(account, now - timedelta(hours=24))
    last_15m = store.posts_since(account, now - timedelta(minutes=15))
    by_money = int(limits.budget_per_24h_usd / limits.cost_per_reply_usd) if limits.cost_per_reply_usd else 10**9
    return max(0, min(limits.posts_per_15min - last_15m, limits.posts_per_24h - last_24h, by_money - last_24h))


class Observer(Protocol):
    """Hears what the service does; the console printer in dry-run, logs and metrics in production."""

    def decided(self, account: Account, mention: Mention, decision: Decision, status: str) -> None: ...

    def posted(self, account: Account, row: dict[str, Any], reply: ComposedReply, post_id: str) -> None: ...

    def poll_done(self, account: Account) -> None: ...


class LogObserver:
    def decided(self, account: Account, mention: Mention, decision: Decision, status: str) -> None:
        log.info(
            "decided %s",
            decision.action.value,
            extra={"account": account.code, "mention_id": mention.id, "reason": decision.reason},
        )

    def posted(self, account: Account, row: dict[str, Any], reply: ComposedReply, post_id: str) -> None:
        log.info(
            "replied with %s",
            reply.template,
            extra={"account": account.code, "mention_id": row["id"], "post_id": post_id},
        )

    def poll_done(self, account: Account) -> None:
        pass


class AccountStopped(Exception):
    """The account cannot go on (bad credentials); the others keep running."""


@dataclass
class PollResult:
    fetched: int = 0
    recorded: int = 0
    posted: int = 0
    errors: int = 0
    waiting: int = 0


@dataclass
class Service:
    settings: Settings
    store: Store
    classifier: TextClassifier
    composer: ReplyComposer
    platforms: dict[str, Platform]
    observer: Observer = field(default_factory=LogObserver)
    clock: Callable[[], datetime] = utcnow
    should_stop: Callable[[], bool] = lambda: False
    incident_override: IncidentState | None = None
    _me: dict[str, Me] = field(default_factory=dict)
    _adopted: set[str] = field(default_factory=set)

    # --- one account, one poll ------------------------------------------------------------------------

    def me(self, account: Account) -> Me:
        if account.code not in self._me:
            self._me[account.code] = self.platforms[account.code].me()
        return self._me[account.code]

    def poll(self, account: Account) -> PollResult:
        """Fetch new mentions, record a decision for each, then send what waits. Raises AccountStopped."""
        result = PollResult()
        platform = self.platforms[account.code]
        try:
            me = self.me(account)
            checkpoint = self.store.checkpoint(account.code)
            if checkpoint is None and not self.adopt_own_replies(account):
                return result  # the account's own replies could not be read: answer nothing yet
            page = platform.fetch_mentions(checkpoint)
        except Unauthorized as exc:
            raise AccountStopped(f"account {account.code}: X refused the credentials ({exc})") from exc
        result.fetched = len(page.mentions)
        last_recorded: str | None = None
        # One commit per page instead of one per mention: the decisions and the checkpoint land together or
        # not at all (then the page is fetched again). Nothing is posted before this commit.
        with self.store.transaction():
            for mention in page.mentions:
                if self.should_stop():
                    break
                self.handle(account, me, mention)
                last_recorded = mention.id
                result.recorded += 1
            if last_recorded:
                self.store.set_checkpoint(account.code, last_recorded, self.clock())
        self.send_pending(account, result)
        self.observer.poll_done(account)
        return result

    # --- decide and record ----------------------------------------------------------------------------

    def history(self, account: Account, me: Me, mention: Mention) -> History:
        now = self.clock()
        limits = self.settings.limits
        cooldown_since = now - timedelta(seconds=limits.author_cooldown_s)
        thread, author, opted_out = self.store.history_flags(
            account.code, mention.thread_id, mention.author_id, cooldown_since
        )
        return History(
            own_user_id=me.id,
            brand_handles=frozenset(a.handle.lower() for a in self.settings.accounts),
            now=now,
            max_age_s=limits.max_mention_age_s,
            thread_answered=thread,
            author_recently_answered=author,
            author_opted_out=opted_out,
        )

    def handle(self, account: Account, me: Me, mention: Mention) -> Decision | None:
        """Decide about one mention and record it. Never raises for a bad mention; returns None if seen before."""
        if self.store.has_mention(mention.id):
            return None
        try:
            verdict = self.classifier.classify(mention.text, mention.lang, account.point)
            history = self.history(account, me, mention)
            decision = decide(mention, verdict, history)
        except Exception as exc:  # one bad mention must not stop the loop: record it for a human
            log.exception("could not decide", extra={"account": account.code, "mention_id": mention.id})
            verdict = Verdict(Action.ESCALATE, None, mention.lang or "und", f"error:{type(exc).__name__}")
            decision = Decision(Action.ESCALATE, verdict.reason, verdict)
        if is_opt_out(mention, me.id):
            self.store.add_opt_out(account.code, mention.author_id, self.clock())
        status = self._initial_status(account, decision)
        self.store.record_decision(mention, decision, status, self.clock())
        self.observer.decided(account, mention, decision, status)
        return decision

    @staticmethod
    def _initial_status(account: Account, decision: Decision) -> str:
        if decision.action is Action.IGNORE:
            return "skipped" if decision.reason.startswith("skip:") else "ignored"
        if decision.action is Action.ESCALATE and not account.holding_reply:
            return "escalated"
        if decision.action is Action.REVIEW:  # the model is not sure: a human decides, nothing is posted
            return "unsure"
        return "awaiting_approval" if account.approval else "pending"

    # --- act ------------------------------------------------------------------------------------------

    def incident_state(self, account: Account) -> tuple[IncidentState, str]:
        if self.incident_override is not None:
            return self.incident_override, ""
        incident = self.store.incident(account.code)
        state = effective_state(incident, self.clock(), self.settings.limits.resolved_quiet_s)
        return state, incident.note

    def budget_left(self, account: Account) -> int:
        return budget_left(self.store, self.settings.limits, account.code, self.clock())

    def send_mention(self, account: Account, mention_id: str) -> str:
        """Post the reply of one pending mention now (a human approved it or wrote it)."""
        if not self.reconcile(account):
            return "transient"
        row = self.store.mention(mention_id)
        if row is None or row["status"] != "pending":
            return "skipped"
        if self.budget_left(account) <= 0:
            return "budget"
        state, note = self.incident_state(account)
        return self.send_one(account, row, state, note)

    def send_pending(self, account: Account, result: PollResult | None = None) -> PollResult:
        """Post the replies that wait, oldest first, within the budget."""
        result = result or PollResult()
        if not self.reconcile(account):
            return result
        pending = self.store.pending(account.code)
        budget = self.budget_left(account)
        window = self.settings.limits.rotation_window
        recent = collections.deque(self.store.recent_post_texts(account.code, window), maxlen=window)
        state, note = self.incident_state(account)
        for row in pending:
            if self.should_stop():
                break
            if budget <= 0:
                result.waiting = len(pending) - result.posted
                log.warning("post budget spent; %d replies wait", result.waiting, extra={"account": account.code})
                break
            outcome = self.send_one(account, row, state, note, recent)
            if outcome == "posted":
                result.posted += 1
                budget -= 1
            elif outcome == "transient":
                result.errors += 1
                break  # the platform is struggling: try again on the next poll
            elif outcome == "error":
                result.errors += 1
        return result

    def adopt_own_replies(self, account: Account) -> bool:
        """On a first start (no checkpoint: a new or lost database), record every mention the account has
        already answered on X as handled, before anything is answered. Once per account and process."""
        if account.code in self._adopted:
            return True
        try:
            replies = self.platforms[account.code].own_replies(100)
        except PlatformError as exc:
            log.warning("cannot read own replies on a first start yet: %s", exc, extra={"account": account.code})
            return False
        now = self.clock()
        adopted = sum(self.store.adopt_reply(account.code, post, now) for post in replies)
        if adopted:
            log.info(
                "first start: %d mentions already answered on X recorded as handled",
                adopted,
                extra={"account": account.code},
            )
        self._adopted.add(account.code)
        return True

    def reconcile(self, account: Account) -> bool:
        """Settle claims left by a crash or a lost answer against the account's own recent replies.

        A claim whose reply is found is recorded as posted; one that is not goes back to pending. Returns
        False when the platform could not be asked, so nothing is posted that might be posted twice.
        """
        claims = self.store.claimed(account.code)
        if not claims:
            return True
        try:
            replies = {p.in_reply_to: p for p in self.platforms[account.code].own_replies(100)}
        except PlatformError as exc:
            log.warning("cannot reconcile %d claims yet: %s", len(claims), exc, extra={"account": account.code})
            return False
        now = self.clock()
        for row in claims:
            found = replies.get(row["id"])
            if found:
                self.store.record_post(account.code, row["id"], found.id, found.text, row["template"], now)
                if row["action"] == Action.ESCALATE.value:
                    self.store.set_status(row["id"], "escalated", now)
                log.info("reconciled: the reply was posted", extra={"account": account.code, "mention_id": row["id"]})
            else:
                self.store.set_status(row["id"], "pending", now)
                log.info(
                    "reconciled: no reply found, will post", extra={"account": account.code, "mention_id": row["id"]}
                )
        return True

    def _expired(self, row: dict[str, Any]) -> bool:
        if not row["created_at"]:
            return False
        age = (self.clock() - datetime.fromisoformat(row["created_at"])).total_seconds()
        return age > self.settings.limits.max_mention_age_s

    def send_one(
        self,
        account: Account,
        row: dict[str, Any],
        state: IncidentState,
        note: str,
        recent: collections.deque[str] | None = None,
    ) -> str:
        """Claim, post and record one reply. ``recent`` (the account's last posts, newest first) is read from
        the store when not given and kept up to date when it is."""
        if recent is None:
            window = self.settings.limits.rotation_window
            recent = collections.deque(self.store.recent_post_texts(account.code, window), maxlen=window)
        now = self.clock()
        escalation = row["action"] == Action.ESCALATE.value
        done_status = "escalated" if escalation else "replied"
        if self._expired(row):
            self.store.set_status(row["id"], "escalated" if escalation else "skipped", now, error="expired")
            return "skipped"
        try:
            reply = self.compose(account, row, state, note, exclude=(), recent=recent)
        except Exception as exc:  # a template mistake: keep the mention for a human, go on
            log.exception("template error", extra={"account": account.code, "mention_id": row["id"]})
            self.store.set_status(row["id"], "failed", now, error=f"template:{type(exc).__name__}")
            return "error"
        if reply is None:
            self.store.set_status(row["id"], done_status, now)
            return "skipped"
        if not self.store.claim(row["id"], now, reply.template):
            return "skipped"
        platform = self.platforms[account.code]
        for attempt in (1, 2):
            try:
                posted = platform.post_reply(row["id"], reply.text)
            except DuplicateContent:
                retry = None
                if attempt == 1:
                    with contextlib.suppress(ReplyError):
                        retry = self.compose(account, row, state, note, exclude=(reply.variant,), recent=recent)
                if retry is None:
                    self.store.set_status(row["id"], "failed", self.clock(), error="duplicate_content")
                    return "error"
                reply = retry
                continue
            except NotSummoned:
                self.store.set_status(row["id"], "skipped", self.clock(), error="not_summoned")
                return "skipped"
            except PostOutcomeUnknown as exc:  # stays claimed: reconciled before anything is posted again
                self.store.set_status(row["id"], "claimed", self.clock(), error=f"unknown:{exc}"[:200])
                return "transient"
            except TransientPlatformError as exc:  # not sent: waits for the next poll
                self.store.set_status(row["id"], "pending", self.clock(), error=f"transient:{exc}"[:200])
                return "transient"
            except Unauthorized as exc:
                self.store.set_status(row["id"], "pending", self.clock(), error="unauthorized")
                raise AccountStopped(f"account {account.code}: X refused the credentials ({exc})") from exc
            except PlatformError as exc:
                self.store.set_status(row["id"], "failed", self.clock(), error=f"platform:{exc}"[:200])
                return "error"
            self.store.record_post(account.code, row["id"], posted.id, posted.text, reply.template, self.clock())
            recent.appendleft(posted.text)
            if escalation:
                self.store.set_status(row["id"], "escalated", self.clock())
            self.observer.posted(account, row, reply, posted.id)
            return "posted"
        return "error"

    def compose(
        self,
        account: Account,
        row: dict[str, Any],
        state: IncidentState,
        note: str,
        exclude: tuple[int, ...],
        recent: Collection[str] = (),
    ) -> ComposedReply | None:
        if row.get("manual_text"):  # written by a human in `replybot review reply`
            if exclude:
                return None
            return ComposedReply(row["manual_text"], "manual", -1, row["lang"] or account.default_language)
        return self.composer.compose(
            account=account,
            lang=row["lang"] or account.default_language,
            state=state,
            action=Action(row["action"]),
            category=Category(row["category"]) if row["category"] else None,
            author_handle=row["author_handle"],
            mention_id=row["id"],
            note=note,
            recent_texts=recent,
            exclude_variants=exclude,
        )
