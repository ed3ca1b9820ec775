"""The outbox: post what waits, freshest first, within the budget; never a reply too late to help.

- Escalations' holding replies go first, then replies newest first, and only those written within the
  freshness window (``[limits] freshness_minutes``, 15 by default): a complaint answered an hour late helps nobody.
- A complaint that goes stale unanswered is never dropped silently. When an incident is open and the backlog is
  more than the budget can serve, the account makes one public status post for the incident's state (proposed to
  a human in approval mode; see ``bot.core.status_posts``), and each stale complaint is recorded
  ``covered_by_status``. Without a status post it is ``expired`` and waits in the human queue.
- The author cooldown counts replies actually posted: it is checked again just before posting.
- Posting is claim → post → record; a crash between post and record is settled by :meth:`Outbox.reconcile`
  against the account's own replies before anything is posted again. What each failure of X means for the
  mention is the table ``POST_FAILURES``.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.core.ids import snowflake_time
from bot.core.lifecycle import BOT_POSTER, STALE, STALE_BY_BUDGET, Event, Handled, SendOutcome, Status
from bot.core.models import Action, Category, IncidentState
from bot.core.pricing import has_url
from bot.core.refs import REF_PATTERN, reference_code
from bot.core.replies import ComposedReply, ReplyComposer, ReplyError
from bot.core.similarity import OtherAccounts
from bot.ports import (
    Clock,
    CreditsExhausted,
    DuplicateContent,
    MentionStore,
    NotSummoned,
    Platform,
    PlatformError,
    PostGone,
    PostOutcomeUnknown,
    TransientPlatformError,
    Unauthorized,
)
from bot.service.announce import Announcer
from bot.service.billing import BillingPause
from bot.service.incidents import IncidentNow, budget_left, incident_now
from bot.service.intake import AccountStopped
from bot.service.observer import Observer
from bot.settings import Account, Settings

log = logging.getLogger("bot.service")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PURGE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Failure:
    """What one kind of refusal from X does to the mention being posted."""

    error: type[PlatformError]
    status: Status
    outcome: SendOutcome
    note: str
    detail: bool = True
    """Keep X's message in the mention's ``error`` (``note:message``)."""
    stops_account: bool = False
    erase: bool = False
    """Erase what the mention said and who wrote it (the post is gone: X's terms allow no copy of it)."""


POST_FAILURES: tuple[Failure, ...] = (
    Failure(NotSummoned, Status.SKIPPED, SendOutcome.SKIPPED, "not_summoned", detail=False),
    # the author deleted it (or X hides it): never retried, and what it said is erased now (X's terms)
    Failure(PostGone, Status.SKIPPED, SendOutcome.SKIPPED, "deleted", detail=False, erase=True),
    # X answered (nothing was posted): the reply waits, the outbox pauses (bot.service.billing)
    Failure(CreditsExhausted, Status.PENDING, SendOutcome.TRANSIENT, "credits"),
    # the post may exist: it stays claimed and is reconciled before anything is posted again
    Failure(PostOutcomeUnknown, Status.CLAIMED, SendOutcome.TRANSIENT, "unknown"),
    Failure(TransientPlatformError, Status.PENDING, SendOutcome.TRANSIENT, "transient"),
    Failure(Unauthorized, Status.PENDING, SendOutcome.TRANSIENT, "unauthorized", detail=False, stops_account=True),
    Failure(PlatformError, Status.FAILED, SendOutcome.ERROR, "platform"),
)
"""First match wins (subclasses before their parents). ``DuplicateContent`` is retried with another wording
before it gets here."""


def failure_for(exc: PlatformError) -> Failure:
    return next(f for f in POST_FAILURES if isinstance(exc, f.error))


@dataclass
class OutboxResult:
    posted: int = 0
    errors: int = 0
    waiting: int = 0
    expired: int = 0
    covered: int = 0


@dataclass
class Outbox:
    settings: Settings
    store: MentionStore
    composer: ReplyComposer
    platforms: dict[str, Platform]
    observer: Observer
    clock: Clock
    announcer: Announcer
    should_stop: Callable[[], bool] | None = None
    incident_override: IncidentState | None = None
    """A simulation's fixed incident state (``replybot simulate --incident``); None: the store's."""
    poster: str = BOT_POSTER
    """Who this outbox posts as: the bot, or a door beside it (``console``, ``cli``); its claims say so."""
    _budget_warned: dict[str, datetime] = field(default_factory=dict)
    _others: dict[str, OtherAccounts] = field(default_factory=dict)
    """Per account: what the other accounts posted lately, read with :meth:`recent`."""
    _purged_at: datetime | None = None
    _purge_lock: threading.Lock = field(default_factory=threading.Lock)
    billing: BillingPause = field(init=False)

    def __post_init__(self) -> None:
        self.billing = BillingPause("posting", self.clock, self.observer)

    def stopping(self) -> bool:
        return self.should_stop is not None and self.should_stop()

    @property
    def freshness(self) -> timedelta:
        return timedelta(seconds=self.settings.limits.freshness_s)

    def incident(self, account: Account) -> IncidentNow:
        limits = self.settings.limits
        return incident_now(self.store, account.code, self.clock.now(), limits.resolved_quiet_s, self.incident_override)

    def budget_left(self, account: Account, incident: IncidentNow | None = None) -> int:
        """Replies the account may post now, at the price the incident's note gives them (read if not given)."""
        note = (incident or self.incident(account)).note
        return budget_left(self.store, self.settings.limits, account, self.clock.now(), with_url=has_url(note))

    def retain(self) -> dict[str, int] | None:
        """At most once an hour: erase texts and handles older than ``retention_days`` (X's terms)."""
        now = self.clock.now()
        with self._purge_lock:
            if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
                return None
            self._purged_at = now
        erased = self.store.purge(now - timedelta(days=self.settings.limits.retention_days), now)
        if any(erased.values()):
            log.info("retention: erased the text of %(mentions)d mentions, %(posts)d posts, %(labels)d labels", erased)
        return erased

    def recent(self, account: Account) -> collections.deque[str]:
        """The account's last posts (refreshed with the other accounts' ones, which no wording may repeat)."""
        window = self.settings.limits.rotation_window
        elsewhere = self.store.recent_post_texts_elsewhere(
            account.code, window * max(1, len(self.settings.accounts) - 1)
        )
        self._others[account.code] = OtherAccounts.of(elsewhere)
        return collections.deque(self.store.recent_post_texts(account.code, window), maxlen=window)

    # --- the round ----------------------------------------------------------------------------------------

    def send_due(self, account: Account, limit: int | None = None) -> OutboxResult:
        """Settle stale complaints, make the status post if one is due, then post up to ``limit`` replies."""
        result = OutboxResult()
        self.retain()
        if self.billing.active(account):
            return result
        if not self.reconcile(account):
            return result
        incident = self.incident(account)
        budget = self.budget_left(account, incident)
        if self.announcer.due(account, incident, budget, self.freshness):
            self.announcer.announce(account, incident)
            budget = self.budget_left(account, incident)
        self.settle_stale(account, incident, result, budget_spent=budget <= 0)
        fresh_since = self.clock.now() - self.freshness
        pending = self.store.pending(
            account.code, limit=max(1, min(limit or budget or 1, 1000)), born_after=fresh_since
        )
        recent = self.recent(account)
        for row in pending:
            if self.stopping() or (limit is not None and result.posted >= limit):
                break
            if budget <= 0:
                result.waiting = self.store.waiting_count(account.code)
                self._warn_budget(account, result.waiting)
                break
            outcome = self.send_one(account, row, incident, recent)
            if outcome is SendOutcome.POSTED:
                result.posted += 1
                budget -= 1
            elif outcome is SendOutcome.TRANSIENT:
                result.errors += 1
                break  # X is struggling: try again on the next round
            elif outcome is SendOutcome.ERROR:
                result.errors += 1
        return result

    def _warn_budget(self, account: Account, waiting: int) -> None:
        """Once per 15 minutes per account: the outbox comes back every few seconds while the budget is spent."""
        now = self.clock.now()
        last = self._budget_warned.get(account.code)
        if last is None or now - last >= timedelta(minutes=15):
            self._budget_warned[account.code] = now
            log.warning("post budget spent; %d replies wait", waiting, extra={"account": account.code})

    def settle_stale(
        self, account: Account, incident: IncidentNow, result: OutboxResult, *, budget_spent: bool = False
    ) -> None:
        """Complaints older than the freshness window: covered by the incident's status post, else expired.

        Their ``error`` says ``stale:budget`` when the post budget was spent as they went stale (the console counts
        them as unanswered by budget), else ``stale``."""
        now = self.clock.now()
        stale = self.store.stale_pending(account.code, now - self.freshness)
        if not stale:
            return
        covered = incident.open and self.announcer.covers(account, incident)
        why = STALE_BY_BUDGET if budget_spent else STALE
        for row in stale:
            if row.action == Action.ESCALATE.value:  # a holding reply too late: the escalation stays for a human
                self.store.set_status(row.id, Status.ESCALATED, now, error=why)
            elif covered:
                self.store.set_status(row.id, Status.COVERED, now, error=why)
                result.covered += 1
            else:
                self.store.set_status(row.id, Status.EXPIRED, now, error=why)
                result.expired += 1
        if result.covered:
            self.observer.noted(account, Event.COVERED, result.covered)
        if result.expired:
            self.observer.noted(account, Event.EXPIRED, result.expired)

    # --- one mention ------------------------------------------------------------------------------------

    def send_mention(self, account: Account, mention_id: str) -> SendOutcome:
        """Post the reply of one pending mention now (a human approved it or wrote it)."""
        if not self.reconcile(account):
            return SendOutcome.TRANSIENT
        row = self.store.handled(mention_id)
        if row is None or row.status is not Status.PENDING:
            return SendOutcome.SKIPPED
        incident = self.incident(account)
        if self.budget_left(account, incident) <= 0:
            return SendOutcome.BUDGET
        return self.send_one(account, row, incident, self.recent(account))

    def _too_old(self, row: Handled) -> bool:
        born = row.born
        if born is None:
            return False
        return (self.clock.now() - born).total_seconds() > self.settings.limits.max_mention_age_s

    def send_one(
        self, account: Account, row: Handled, incident: IncidentNow, recent: collections.deque[str]
    ) -> SendOutcome:
        """Claim, post and record one reply; ``recent`` (the account's last posts) is kept up to date."""
        now = self.clock.now()
        escalation = row.action == Action.ESCALATE.value
        if self._too_old(row):
            self.store.set_status(row.id, Status.ESCALATED if escalation else Status.EXPIRED, now, error="too_old")
            return SendOutcome.SKIPPED
        cooldown_since = now - timedelta(seconds=self.settings.limits.author_cooldown_s)
        if not row.manual_text and self.store.author_replied_since(account.code, row.author_id, cooldown_since, row.id):
            self.store.set_status(row.id, Status.ESCALATED if escalation else Status.SKIPPED, now, error="cooldown")
            return SendOutcome.SKIPPED
        try:
            reply = self.compose(account, row, incident, exclude=(), recent=recent)
        except Exception as exc:  # a template mistake: keep the mention for a human, go on
            log.exception("template error", extra={"account": account.code, "mention_id": row.id})
            self.store.set_status(row.id, Status.FAILED, now, error=f"template:{type(exc).__name__}")
            return SendOutcome.ERROR
        if reply is None:
            self.store.set_status(row.id, Status.ESCALATED if escalation else Status.REPLIED, now)
            return SendOutcome.SKIPPED
        if not self.store.claim(row.id, now, reply.template, by=self.poster):
            return SendOutcome.SKIPPED
        return self._post(account, row, reply, incident, recent)

    def _post(
        self,
        account: Account,
        row: Handled,
        reply: ComposedReply,
        incident: IncidentNow,
        recent: collections.deque[str],
    ) -> SendOutcome:
        platform = self.platforms[account.code]
        for attempt in (1, 2):
            try:
                posted = platform.post_reply(row.id, reply.text)
            except DuplicateContent:
                retry = None
                if attempt == 1:
                    with contextlib.suppress(ReplyError):
                        retry = self.compose(account, row, incident, exclude=(reply.variant,), recent=recent)
                if retry is None:
                    self.store.set_status(row.id, Status.FAILED, self.clock.now(), error="duplicate_content")
                    return SendOutcome.ERROR
                reply = retry
                continue
            except PlatformError as exc:
                failure = failure_for(exc)
                error = f"{failure.note}:{exc}"[:200] if failure.detail else failure.note
                self.store.set_status(row.id, failure.status, self.clock.now(), error=error)
                if failure.erase:
                    self.store.erase(row.id, self.clock.now())
                if isinstance(exc, CreditsExhausted):
                    self.billing.start(account, exc)
                if failure.stops_account:
                    raise AccountStopped(f"account {account.code}: X refused the credentials ({exc})") from exc
                return failure.outcome
            self.store.record_post(account.code, row.id, posted.id, posted.text, reply.template, self.clock.now())
            recent.appendleft(posted.text)
            if row.action == Action.ESCALATE.value:
                self.store.set_status(row.id, Status.ESCALATED, self.clock.now())
            self.observer.posted(account, row, reply, posted.id)
            return SendOutcome.POSTED
        return SendOutcome.ERROR

    def compose(
        self,
        account: Account,
        row: Handled,
        incident: IncidentNow,
        exclude: tuple[int, ...],
        recent: collections.deque[str] | None = None,
    ) -> ComposedReply | None:
        if row.manual_text:  # written by a human in `replybot review reply`
            if exclude:
                return None
            return ComposedReply(row.manual_text, "manual", -1, row.lang or account.default_language)
        return self.composer.compose(
            account=account,
            lang=row.lang or account.default_language,
            state=incident.state,
            action=Action(row.action),
            category=Category(row.category) if row.category else None,
            author_handle=row.author_handle,
            mention_id=row.id,
            text=row.text,
            note=incident.note,
            recent_texts=recent or (),
            exclude_variants=exclude,
            others=self._others.get(account.code),
            first_to_author=not self.store.author_replied_since(account.code, row.author_id, _EPOCH, row.id),
        )

    # --- after a crash ------------------------------------------------------------------------------------

    def reconcile(self, account: Account) -> bool:
        """Settle claims left by a crash or a lost answer against the account's own recent replies.

        A claim whose reply is found (as a reply to the mention, or by its reference code) is recorded as
        posted. One that is not found stays unknown until the timeline is known to cover it: X's timeline lags,
        so "not visible yet" is not "not posted". It is covered when the timeline shows a post of ours made
        after the claim, or once ``settle_seconds`` have passed; then it goes back to pending, and the second
        time a human decides (failed, ``outcome_unknown_twice``). Returns False when the platform could not be
        asked, so nothing is posted that might be posted twice.
        """
        claims = self.store.claimed(account.code)
        if not claims:
            return True
        try:
            replies = self.platforms[account.code].own_replies(100)
        except PlatformError as exc:
            log.warning("cannot reconcile %d claims yet: %s", len(claims), exc, extra={"account": account.code})
            return False
        by_mention = {p.in_reply_to: p for p in replies}
        by_ref = {code: p for p in replies for code in REF_PATTERN.findall(p.text)}
        newest = max((t for p in replies if (t := snowflake_time(p.id)) is not None), default=None)
        now = self.clock.now()
        for row in claims:
            where = {"account": account.code, "mention_id": row.id}
            found = by_mention.get(row.id) or by_ref.get(reference_code(row.id))
            if found:
                self.store.record_post(account.code, row.id, found.id, found.text, row.template, now)
                if row.action == Action.ESCALATE.value:
                    self.store.set_status(row.id, Status.ESCALATED, now)
                log.info("reconciled: the reply was posted", extra=where)
            elif not self._covered(row, newest, now):
                log.debug("reconcile: X's timeline may not show the reply yet; waiting", extra=where)
            elif self.store.settle_unposted(row.id, now):
                log.info("reconciled: no reply found, will post", extra=where)
            else:
                log.warning("the post's outcome was unknown twice: left for a human, not posted again", extra=where)
        return True

    @property
    def claim_in_flight_s(self) -> float:
        """How long a claim may belong to a post still on its way: two X calls (a duplicate-content retry) at their
        whole deadline each, with a margin for the claim's time being kept to the second."""
        return 2 * self.settings.http_call_deadline_s + 2

    def _covered(self, row: Handled, newest_post: datetime | None, now: datetime) -> bool:
        """The timeline would show the claim's post by now: it shows a later post of ours, or time has passed.

        The bot is the only bot on its database (its lock), so a claim of the bot's that the bot finds belongs to a
        predecessor that died: settled as soon as the timeline allows. Any other claim (the console's threads and
        the review commands post beside the bot) may be a post still on its way: never settled younger than
        :attr:`claim_in_flight_s`, whatever the timeline shows."""
        claimed = row.updated_at
        if claimed is None:
            return True
        age = (now - claimed).total_seconds()
        predecessors_claim = self.poster == BOT_POSTER and (row.claimed_by or BOT_POSTER) == BOT_POSTER
        if not predecessors_claim and age < self.claim_in_flight_s:
            return False
        return (newest_post is not None and newest_post > claimed) or age >= self.settings.limits.settle_s
