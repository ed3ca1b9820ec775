"""The service: intake (read, decide, record) and the outbox (post what waits), wired by the composition root.

- ``intake``: fetch an account's mentions, decide about each, record the decisions (never posts);
- ``outbox``: post what waits, freshest first, within the budget; ``announce``: the incident's status post;
- ``incidents``: the incident state and the post budget; ``observer``: who hears about all of it.

:class:`Service` is the two put together for one account at a time: :meth:`Service.read` and
:meth:`Service.send` are what the runner's lanes call on their own schedules, :meth:`Service.poll` is one of
each in turn (``run --once``, the demo, simulations and tests).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.lifecycle import SendOutcome
from bot.core.models import IncidentState, Me
from bot.ports import MentionStore, TextClassifier
from bot.service.incidents import budget_left, declare_on_spike, incident_now, money_left, move_incident
from bot.service.intake import AccountStopped, Intake, IntakeResult
from bot.service.observer import LogObserver, Observer
from bot.service.outbox import Outbox, OutboxResult
from bot.settings import Account, Settings

__all__ = [
    "AccountStopped",
    "LogObserver",
    "Observer",
    "PollResult",
    "Service",
    "budget_left",
    "declare_on_spike",
    "incident_now",
    "money_left",
    "move_incident",
]


@dataclass
class PollResult:
    fetched: int = 0
    recorded: int = 0
    posted: int = 0
    errors: int = 0
    waiting: int = 0
    lost: int = 0
    covered: int = 0
    expired: int = 0


@dataclass
class Service:
    intake: Intake
    outbox: Outbox
    observer: Observer

    @property
    def settings(self) -> Settings:
        return self.intake.settings

    @property
    def store(self) -> MentionStore:
        return self.intake.store

    @property
    def classifier(self) -> TextClassifier:
        return self.intake.classifier

    def me(self, account: Account) -> Me:
        return self.intake.me(account)

    def read(self, account: Account) -> IntakeResult:
        """One read of the account's mentions (the intake lane). Raises AccountStopped."""
        result = self.intake.poll(account)
        self.observer.poll_done(account)
        return result

    def send(self, account: Account, limit: int | None = None) -> OutboxResult:
        """One round of the outbox (the outbox lane). Raises AccountStopped."""
        return self.outbox.send_due(account, limit)

    def poll(self, account: Account) -> PollResult:
        """Read, then send: one account's whole loop body once."""
        read = self.intake.poll(account)
        sent = self.outbox.send_due(account)
        self.observer.poll_done(account)
        return PollResult(
            read.fetched, read.recorded, sent.posted, sent.errors, sent.waiting, read.lost, sent.covered, sent.expired
        )

    def send_pending(self, account: Account) -> OutboxResult:
        return self.outbox.send_due(account)

    def send_mention(self, account: Account, mention_id: str) -> SendOutcome:
        return self.outbox.send_mention(account, mention_id)

    def budget_left(self, account: Account) -> int:
        return self.outbox.budget_left(account)

    def incident_state(self, account: Account) -> tuple[IncidentState, str]:
        incident = self.outbox.incident(account)
        return incident.state, incident.note
