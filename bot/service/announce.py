"""The status post of an incident: when one is due, making it (or proposing it), and whom it covers.

One per account, incident and state, reserved in the store before it is posted, so a crash can never post it
twice (an unknown outcome keeps the reservation: at most once, like a brand account would want). Due when:

- the incident is open, the account has a status template for its state, and none was made for this state; and
- the backlog of replies is more than the budget can post now, or a complaint already went stale, or an
  earlier state of the same incident had one (followers hear every state change, "it's back" included).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.core.lifecycle import Event
from bot.core.pricing import has_url
from bot.core.replies import ReplyComposer, ReplyError
from bot.core.status_posts import compose_status, has_status_template
from bot.ports import (
    Clock,
    CreditsExhausted,
    MentionStore,
    Platform,
    PlatformError,
    PostOutcomeUnknown,
    TransientPlatformError,
    Unauthorized,
)
from bot.service.incidents import IncidentNow, budget_left
from bot.service.intake import AccountStopped
from bot.service.observer import Observer
from bot.settings import Account, Settings

log = logging.getLogger("bot.service")


@dataclass
class Announcer:
    settings: Settings
    store: MentionStore
    composer: ReplyComposer
    platforms: dict[str, Platform]
    observer: Observer
    clock: Clock

    def covers(self, account: Account, incident: IncidentNow) -> bool:
        """True when a status post of this incident (any state) is out, or proposed to a human."""
        return incident.started_at is not None and self.store.incident_has_status_post(
            account.code, incident.started_at
        )

    def due(self, account: Account, incident: IncidentNow, budget: int, freshness: timedelta) -> bool:
        if not incident.open or incident.started_at is None:
            return False
        if not has_status_template(self.composer, account, incident.state):
            return False
        if self.store.status_post(account.code, incident.started_at, incident.state) is not None:
            return False
        if self.covers(account, incident):
            return True  # the state changed since the last status post
        if self.store.waiting_count(account.code) > budget:
            return True
        return bool(self.store.stale_pending(account.code, self.clock.now() - freshness))

    def announce(self, account: Account, incident: IncidentNow) -> bool:
        """Make (or, in approval mode, propose) the status post for the incident's state. True when one exists
        afterwards, or may (an unknown outcome)."""
        assert incident.started_at is not None
        now = self.clock.now()
        window = self.settings.limits.rotation_window
        try:
            status = compose_status(
                self.composer,
                account,
                incident.state,
                incident.note,
                self.store.recent_post_texts(account.code, window),
            )
        except ReplyError as exc:
            log.error("no status post possible: %s", exc, extra={"account": account.code})
            return False
        if account.approval:
            if self.store.claim_status_post(
                account.code, incident.started_at, incident.state, status.text, now, proposed=True
            ):
                self.observer.noted(account, Event.STATUS_PROPOSED, 1)
            return True
        if budget_left(self.store, self.settings.limits, account, now, with_url=has_url(status.text)) <= 0:
            return False
        if not self.store.claim_status_post(account.code, incident.started_at, incident.state, status.text, now):
            return True
        return self.post(account, incident, status.text)

    def post(self, account: Account, incident: IncidentNow, text: str) -> bool:
        """Post a reserved (claimed or proposed) status post and record how it went."""
        assert incident.started_at is not None
        started, state = incident.started_at, incident.state
        try:
            posted = self.platforms[account.code].post_status(text)
        except PostOutcomeUnknown as exc:
            log.warning("status post outcome unknown (%s): not posted again", exc, extra={"account": account.code})
            return True
        except Unauthorized as exc:
            self.store.release_status_post(account.code, started, state)
            raise AccountStopped(f"account {account.code}: X refused the credentials ({exc})") from exc
        except (TransientPlatformError, CreditsExhausted) as exc:  # X answered: nothing was posted
            self.store.release_status_post(account.code, started, state)
            log.warning("status post not sent, will try again: %s", exc, extra={"account": account.code})
            return False
        except PlatformError as exc:
            self.store.finish_status_post(account.code, started, state, self.clock.now(), error=str(exc)[:200])
            log.error("X refused the status post: %s", exc, extra={"account": account.code})
            return False
        self.store.finish_status_post(
            account.code, started, state, self.clock.now(), post_id=posted.id, text=posted.text
        )
        self.observer.noted(account, Event.STATUS_POSTED, 1)
        return True
