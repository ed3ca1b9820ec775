"""The human queue's decisions, one function each, shared by ``replybot review`` and the web console: the two
doors change a mention through the same store calls, label it through the same :func:`labels.record`, and
write the same line to the audit trail.

Nothing here posts. A decision that needs a post (approve, reply, hand back) only releases the mention to
``pending``; the caller then posts it through the outbox's claim -> post -> record path (``send_mention``), so a
second click, a double submit or the running bot's own outbox can never post it twice: the claim lets one
through. A decision that no longer applies (already answered, no longer waiting) raises :class:`Refused` and
changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.adapters.store import Store
from bot.core.lifecycle import Status
from bot.core.policy import OPTED_OUT
from bot.core.replies import MAX_WEIGHT, clean_text, weighted_length
from bot.entrypoints.labels import human_default, record
from bot.settings import HANDLE_RE, Settings

APPROVABLE = frozenset({Status.AWAITING_APPROVAL.value, Status.UNSURE.value})
"""What ``approve`` releases: replies approval mode held back, and mentions the model was unsure about."""
ANSWERED = frozenset({Status.PENDING.value, Status.CLAIMED.value, Status.REPLIED.value})
"""A reply is out, being posted, or about to be: a human reply or a hand-back would be a second one."""


NOT_A_CUSTOMER = ("skip:own_post", "skip:brand_account")
"""Reasons of mentions nobody answers from the brand account: its own posts, other brand accounts."""
NOT_A_CUSTOMER_WHY = "it is the account's own post or another brand account's: nothing is posted to it"


class Refused(Exception):
    """The decision does not apply to the mention as it is now; nothing was changed."""


def template_refusal(store: Store, row: dict[str, Any]) -> str | None:
    """Why the bot's template must not go to this mention even when a human says so (approve, hand back), or
    None. The bot's own rules that a human cannot overrule from the queue: nothing automated to an author who
    opted out, nothing to its own or another brand's posts, one reply per thread."""
    reason = str(row.get("reason") or "")
    if reason.startswith(NOT_A_CUSTOMER):
        return NOT_A_CUSTOMER_WHY
    if reason.startswith(tuple(OPTED_OUT)) or (row.get("author_id") and store.opted_out(row["author_id"])):
        return "its author opted out (STOP): the bot posts no template to them; a person may write a reply"
    if store.thread_answered_elsewhere(row):
        return "its thread already has the bot's reply (or one on its way): one reply per thread"
    return None


def written_refusal(row: dict[str, Any]) -> str | None:
    """Why no reply may be posted to this mention, written or the template (a reply is out or on its way, or it
    is no customer's), or None."""
    if row["status"] in ANSWERED or row["reply_id"]:
        return f"{row['id']} already has a reply ({row['reply_id'] or row['status']}); nothing was posted"
    if str(row.get("reason") or "").startswith(NOT_A_CUSTOMER):
        return NOT_A_CUSTOMER_WHY
    return None


def approve(settings: Settings, store: Store, row: dict[str, Any], who: str, now: datetime) -> bool:
    """Release a reply approval mode held back (or an unsure mention's template reply) and label it ``reply``
    (``escalate`` for an escalation's holding reply). False, with nothing changed but the audit line, when it no
    longer waits or the template must not go to it (:func:`template_refusal`)."""
    why_not = f"status {row['status']}" if row["status"] not in APPROVABLE else template_refusal(store, row)
    if why_not:
        store.audit(who, "approve-refused", row["id"], now, why_not)
        return False
    if not store.release_for_posting(row["id"], now):  # another click got there first
        store.audit(who, "approve-refused", row["id"], now, "released by another click")
        return False
    said = record(settings, store, row, human_default(row), None, "approve")
    store.audit(who, "approve", row["id"], now, said)
    return True


def reply_text(row: dict[str, Any], text: str) -> str:
    """A human's reply as it will be posted: cleaned, addressed to the author. Refused when too long."""
    body = clean_text(text)
    if not body:
        raise Refused("the reply is empty")
    handle = row["author_handle"]
    if HANDLE_RE.match(handle) and not body.lower().startswith(f"@{handle.lower()}"):
        body = f"@{handle} {body}"
    if weighted_length(body) > MAX_WEIGHT:
        raise Refused(f"the reply is {weighted_length(body)} characters as X counts them; the limit is {MAX_WEIGHT}")
    return body


def reply(
    settings: Settings,
    store: Store,
    row: dict[str, Any],
    text: str,
    action: str | None,
    category: str | None,
    who: str,
    now: datetime,
) -> str:
    """Queue a human-written reply (posted exactly once, like the bot's own) and label the mention
    (default: ``escalate`` for an escalation, else ``reply``). Returns what was labelled."""
    if why_not := written_refusal(row):
        raise Refused(why_not)
    body = reply_text(row, text)
    if not store.release_for_posting(row["id"], now, manual_text=body):
        raise Refused(f"{row['id']} is already answered or being answered; nothing was posted")
    said = record(settings, store, row, action or human_default(row), category, "reply")
    store.audit(who, "reply", row["id"], now, said)
    return said


def done(
    settings: Settings,
    store: Store,
    row: dict[str, Any],
    action: str | None,
    category: str | None,
    note: str | None,
    who: str,
    now: datetime,
) -> str:
    """Take a mention off the queue; unless labelled otherwise it was not a complaint (``ignore``), and a mention
    that already has a label keeps it (closing a mention you answered does not undo that)."""
    store.mark_reviewed(row["id"], now, note)
    existing = store.label(row["id"])
    if action is None and existing is not None:
        said = f"label {existing['action']} kept"
    else:
        said = record(settings, store, row, action or "ignore", category, "done")
    store.audit(who, "done", row["id"], now, said)
    return said


def escalate(
    settings: Settings,
    store: Store,
    row: dict[str, Any],
    category: str | None,
    note: str | None,
    who: str,
    now: datetime,
) -> str:
    """Say a mention needs a human: label it ``escalate``; it waits in the queue and is never auto-replied."""
    said = record(settings, store, row, "escalate", category, "escalate")
    store.escalate(row["id"], now, note)
    store.audit(who, "escalate", row["id"], now, said)
    return said


def hand_back(settings: Settings, store: Store, row: dict[str, Any], who: str, now: datetime) -> str:
    """Give a mention back to the bot: it becomes an ordinary complaint (a ``reply`` decision, label ``reply``,
    its recorded category) that the bot answers with the account's template for the incident's state at the
    time of posting, by the normal rules (author cooldown, maximum age, budget). Refused when a reply is out or
    on its way, and where the bot must not post its template (:func:`template_refusal`)."""
    if why_not := written_refusal(row) or template_refusal(store, row):
        raise Refused(f"not handed back: {why_not}")
    if not store.hand_back(row["id"], now):
        raise Refused(f"{row['id']} was handed back by another click")
    said = record(settings, store, row, "reply", None, "hand-back")
    store.audit(who, "hand-back", row["id"], now, said)
    return said
