"""Intake: read an account's mentions, decide about each, record the decisions. Never posts.

Reading never waits for posting (the outbox is apart), and the runner reads sooner when mentions come fast,
so X's 800-mention window is not outrun while X allows reads. A poll re-reads a small overlap before the
checkpoint, for mentions X delivers late (a mention seen before is recognised by its id and left alone),
except right after a full page: under a spike every read counts against X's limit of 300 reads of 100
mentions per 15 minutes, the account's whole ceiling of 2,000 a minute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.lifecycle import Event, Status
from bot.core.models import Action, Decision, Me, Mention, Verdict
from bot.core.opt_out import OptOutReader
from bot.core.policy import History, decide
from bot.ports import (
    Clock,
    CreditsExhausted,
    MentionStore,
    Platform,
    PlatformError,
    ReadOnlyToken,
    TextClassifier,
    Unauthorized,
)
from bot.service.billing import BillingPause
from bot.service.incidents import money_left
from bot.service.observer import Observer
from bot.settings import Account, Settings

log = logging.getLogger("bot.service")

FULL_PAGE = 100
"""X's largest page of mentions: a poll that read at least this many may have more waiting."""


class AccountStopped(Exception):
    """The account cannot go on (bad credentials); the others keep running."""


@dataclass
class IntakeResult:
    fetched: int = 0
    new: int = 0
    """Fetched mentions newer than the checkpoint (the rest are the re-read overlap)."""
    recorded: int = 0
    lost: int = 0
    """Mentions that fell out of X's window before this read (an estimate X's ids allow)."""

    @property
    def full(self) -> bool:
        """At least a page of new mentions: the account is busy (the next read skips the overlap)."""
        return self.new >= FULL_PAGE


def _newer(a: str, b: str) -> bool:
    """X's ids grow with time: a longer id, or a larger one of the same length, is newer."""
    return (len(a), a) > (len(b), b)


def _reached(mentions: tuple[Mention, ...], checkpoint: str | None) -> bool:
    """True when the read reaches back to the checkpoint: X's window cut only the re-read overlap, and no
    mention was lost."""
    return checkpoint is not None and any(not _newer(m.id, checkpoint) for m in mentions)


def initial_status(account: Account, decision: Decision) -> Status:
    if decision.action is Action.IGNORE:
        return Status.SKIPPED if decision.reason.startswith("skip:") else Status.IGNORED
    if decision.action is Action.ESCALATE and not account.holding_reply:
        return Status.ESCALATED
    if decision.action is Action.REVIEW:  # the model is not sure: a human decides, nothing is posted
        return Status.UNSURE
    return Status.AWAITING_APPROVAL if account.approval else Status.PENDING


@dataclass
class Intake:
    settings: Settings
    store: MentionStore
    classifier: TextClassifier
    platforms: dict[str, Platform]
    observer: Observer
    clock: Clock
    should_stop: Callable[[], bool] | None = None
    """True when the process is stopping (None: never): the page in hand is cut short, its rest re-read."""
    opt_out: OptOutReader | None = None
    """Reads a mention for "stop replying" in the seven languages; None: nobody can opt out (tests only)."""
    _me: dict[str, Me] = field(default_factory=dict)
    _adopted: set[str] = field(default_factory=set)
    billing: BillingPause = field(init=False)
    _busy: set[str] = field(default_factory=set)
    """Accounts whose last read brought a full page: no overlap re-read (X allows 300 reads of 100 per 15 min)."""
    _budget_said: dict[str, datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.billing = BillingPause("reading", self.clock, self.observer)

    def stopping(self) -> bool:
        return self.should_stop is not None and self.should_stop()

    def budget_spent(self, account: Account) -> bool:
        """True when reads and posts have used ``budget_per_24h_usd``: reading stops too (it is billed); said
        once per quarter hour (log, metric, alert webhook)."""
        if money_left(self.store, self.settings.limits, account.code, self.clock.now()) > 0:
            return False
        now = self.clock.now()
        last = self._budget_said.get(account.code)
        if last is None or now - last >= timedelta(minutes=15):
            self._budget_said[account.code] = now
            self.observer.noted(account, Event.BUDGET_SPENT, 1)
        return True

    def me(self, account: Account) -> Me:
        """Who the credentials belong to; AccountStopped when that is not the configured handle (another
        user's token would answer as that user)."""
        if account.code not in self._me:
            me = self.platforms[account.code].me()
            if me.handle.lower() != account.handle.lower():
                raise AccountStopped(
                    f"account {account.code}: the X credentials are those of @{me.handle}, not of the configured "
                    f"@{account.handle}; fix X_{account.code}_ACCESS_TOKEN and X_{account.code}_ACCESS_TOKEN_SECRET "
                    f"or accounts.{account.code}.handle"
                )
            self._me[account.code] = me
        return self._me[account.code]

    def poll(self, account: Account) -> IntakeResult:
        """Fetch new mentions and record a decision for each. Raises AccountStopped."""
        result = IntakeResult()
        platform = self.platforms[account.code]
        if self.billing.active(account) or self.budget_spent(account):
            return result
        try:
            me = self.me(account)
            checkpoint = self.store.checkpoint(account.code)
            if checkpoint is None and not self.adopt_own_replies(account):
                return result  # the account's own replies could not be read: answer nothing yet
            overlap = 0.0 if account.code in self._busy else self.settings.limits.reread_overlap_s
            since = self.store.reread_from(account.code, checkpoint, overlap)
            page = platform.fetch_mentions(since)
        except ReadOnlyToken as exc:
            raise AccountStopped(str(exc)) from exc
        except Unauthorized as exc:
            raise AccountStopped(f"account {account.code}: X refused the credentials ({exc})") from exc
        except CreditsExhausted as exc:
            self.billing.start(account, exc)
            return result
        result.fetched = len(page.mentions)
        if page.extras.get("window_overrun") and not _reached(page.mentions, checkpoint):
            result.lost = int(page.extras.get("estimated_lost", "0") or 0)
            self.observer.noted(account, Event.WINDOW_OVERRUN, result.lost)
        newest = checkpoint
        heard: list[tuple[Mention, Decision, str]] = []
        kept = 0
        # One commit per page instead of one per mention: the decisions and the checkpoint land together or
        # not at all (then the page is fetched again). Nothing is posted here. Observers (metrics, the spike
        # detector, alerts) hear only what was committed, so a page retried after a failed commit is not
        # counted twice.
        with self.store.transaction():
            for record in page.quarantined:
                kept += self.store.quarantine(account.code, record, self.clock.now())
            for mention in page.mentions:
                if self.stopping():
                    break
                if self.handle(account, me, mention, heard.append) is not None:
                    result.recorded += 1
                if checkpoint is None or _newer(mention.id, checkpoint):
                    result.new += 1
                if newest is None or _newer(mention.id, newest):
                    newest = mention.id
            if newest and newest != checkpoint:
                self.store.set_checkpoint(account.code, newest, self.clock.now())
        for mention, decision, status in heard:
            self.observer.decided(account, mention, decision, status)
        if kept:
            self.observer.noted(account, Event.QUARANTINED, kept)
        if result.full:
            self._busy.add(account.code)
        else:
            self._busy.discard(account.code)
        return result

    def history(self, account: Account, me: Me, mention: Mention) -> History:
        now = self.clock.now()
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
            asks_to_stop=self.opt_out is not None and self.opt_out.asks_to_stop(mention.text),
        )

    def handle(
        self,
        account: Account,
        me: Me,
        mention: Mention,
        tell: Callable[[tuple[Mention, Decision, str]], None] | None = None,
    ) -> Decision | None:
        """Decide about one mention and record it. Never raises for a bad mention; returns None if seen before.
        The observers hear of it at once, or through ``tell`` once the caller's transaction is committed."""
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
        if decision.reason == "skip:opt_out_request" and mention.author_id:
            self.store.add_opt_out(account.code, mention.author_id, self.clock.now())
        status = initial_status(account, decision)
        self.store.record_decision(mention, decision, status, self.clock.now())
        if tell is not None:
            tell((mention, decision, status.value))
        else:
            self.observer.decided(account, mention, decision, status.value)
        return decision

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
        now = self.clock.now()
        adopted = sum(self.store.adopt_reply(account.code, post, now) for post in replies if post.in_reply_to)
        if adopted:
            log.info(
                "first start: %d mentions already answered on X recorded as handled",
                adopted,
                extra={"account": account.code},
            )
        self._adopted.add(account.code)
        return True
