"""Readable output of what the bot decided and would post (dry-run and demo)."""

from __future__ import annotations

import textwrap
import threading
from collections import Counter

import click

from bot.core.lifecycle import Event, Handled
from bot.core.models import Action, Decision, Mention
from bot.core.replies import ComposedReply
from bot.settings import Account

_COLOURS = {Action.REPLY: "green", Action.ESCALATE: "red", Action.REVIEW: "yellow", Action.IGNORE: "bright_black"}


def _indent(text: str, prefix: str = "     ") -> str:
    lines = [wrapped for line in text.splitlines() for wrapped in (textwrap.wrap(line, 96) or [""])]
    return "\n".join(prefix + line for line in lines or [""])


class ConsoleObserver:
    """Prints one block per mention: who wrote what, the decision and its reason, and the reply."""

    def __init__(self, verb: str = "would post") -> None:
        self.verb = verb
        self.blocks: dict[str, str] = {}
        """Blocks of the current poll, in mention order, printed by ``poll_done``."""
        self.tally: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()
        """The runner's intake and outbox lanes both print through this observer."""

    def _block(self, account: Account, handle: str, text: str, lang: str, decision: str, reason: str) -> str:
        action = Action(decision)
        head = click.style(f"[{account.code}] @{account.handle} ← @{handle}", bold=True)
        verdict = click.style(f"{action.value.upper():8}", fg=_COLOURS[action], bold=True)
        return f"{head}  ({lang})\n{_indent(repr(text)[1:-1])}\n  → {verdict} {reason}"

    def decided(self, account: Account, mention: Mention, decision: Decision, status: str) -> None:
        self.tally[(account.code, decision.action.value)] += 1
        category = decision.verdict.category.value if decision.verdict.category else "-"
        block = self._block(
            account,
            mention.author_handle,
            mention.text,
            decision.verdict.lang,
            decision.action.value,
            f"category={category} reason={decision.reason}",
        )
        if decision.action is Action.ESCALATE and status != "pending":
            block += "\n  ↳ " + click.style("queued for a human (no public reply)", fg="red")
        elif decision.action is Action.REVIEW:
            block += "\n  ↳ " + click.style("not sure enough to post: queued for a human to decide", fg="yellow")
        with self.lock:
            self.blocks[mention.id] = block

    def posted(self, account: Account, row: Handled, reply: ComposedReply, post_id: str) -> None:
        note = "holding reply, queued for a human" if row.action == Action.ESCALATE.value else reply.template
        label = click.style(f"↳ {self.verb} ({note}):", fg="cyan")
        with self.lock:
            waiting = self.blocks.get(row.id)
            if waiting is not None:  # decided in this round: printed together by poll_done
                self.blocks[row.id] = f"{waiting}\n  {label}\n{_indent(reply.text)}"
                return
        # decided in an earlier round (the runner's outbox lane posts after the intake printed): print it now
        block = self._block(account, row.author_handle, row.text, row.lang or "", row.action, row.reason)
        click.echo(f"{block}\n  {label}\n{_indent(reply.text)}\n")

    def noted(self, account: Account, event: Event, count: int) -> None:
        words = {
            Event.WINDOW_OVERRUN: f"{count} mentions lost: they fell out of X's window before they were read",
            Event.EXPIRED: f"{count} complaints too old to answer, no status post: left for a human",
            Event.COVERED: f"{count} complaints too old to answer one by one: covered by the status post",
            Event.STATUS_POSTED: f"status post {self.verb.replace('would post', 'would be posted')}",
            Event.STATUS_PROPOSED: "status post proposed for approval",
            Event.CREDITS_EXHAUSTED: "X refused for billing (credits used up or a usage cap): paused",
            Event.QUARANTINED: f"{count} malformed records from X quarantined for a human",
            Event.BUDGET_SPENT: "the 24-hour budget is spent on reads and posts: reading paused",
        }
        click.echo(click.style(f"[{account.code}] {words[event]}", fg="magenta") + "\n")

    def poll_done(self, account: Account) -> None:
        with self.lock:
            blocks, self.blocks = list(self.blocks.values()), {}
        for block in blocks:
            click.echo(block + "\n")

    def summary(self) -> str:
        accounts = sorted({code for code, _ in self.tally})
        lines = [f"{'account':8}" + "".join(f"{a.value:>9}" for a in Action)]
        for code in accounts:
            lines.append(f"{code:8}" + "".join(f"{self.tally[(code, a.value)]:>9}" for a in Action))
        return "\n".join(lines)
