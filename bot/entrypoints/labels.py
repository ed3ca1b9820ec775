"""The learning loop, operator side: human decisions from the review queue stored as labels, and their export
in the training-corpus format (one JSON object a line, the fields of ``CORPUS_FIELDS``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

import click

from bot.adapters.store import LABEL_ACTIONS, LABEL_CATEGORIES, Store
from bot.settings import Settings

NO_CATEGORY = "none"
"""``--category none``: a reply/escalate label without a category (a scam report, a billing dispute)."""
ACTION_CHOICE = click.Choice(LABEL_ACTIONS)
CATEGORY_CHOICE = click.Choice((*LABEL_CATEGORIES, NO_CATEGORY))
CORPUS_FIELDS = ("id", "lang", "handle", "kind", "text", "action", "category", "confidence", "part", "repo", "source")


def account_handle(settings: Settings, code: str) -> str | None:
    """The account's X handle, or None for an account no longer configured."""
    try:
        return settings.account(code).handle
    except KeyError:
        return None


def human_default(row: dict[str, Any]) -> str:
    """What a human who answers or approves a mention says it was: an escalation stays one (a human answered
    what needed a human, never the outage template); anything else needed a reply."""
    return "escalate" if row["action"] == "escalate" else "reply"


def record(
    settings: Settings, store: Store, row: dict[str, Any], action: str, category: str | None, labelled_by: str
) -> str:
    """Label a recorded mention; ``category`` None means the mention's recorded one. Returns what was stored."""
    chosen = row["category"] if category is None else None if category == NO_CATEGORY else category
    if action == "ignore" and category not in (None, NO_CATEGORY):
        click.echo(f"replybot: an ignore label has no category; {category} was not stored", err=True)
    handle = account_handle(settings, row["account"])
    store.record_label(row["id"], action, chosen, labelled_by, datetime.now(UTC), handle=handle)
    return f"labelled {action}" + (f"/{chosen}" if action != "ignore" and chosen else "")


def corpus_row(label: dict[str, Any], handle: str | None) -> dict[str, Any]:
    """One label as a training-corpus row; ``repo`` names the account so evaluation can hold it out."""
    return {
        "id": label["mention_id"],
        "lang": label["lang"] or "",
        "handle": label["handle"] or handle or "",
        "kind": "tweet",
        "text": label["text"],
        "action": label["action"],
        "category": label["category"] if label["action"] != "ignore" else None,
        "confidence": "high",
        "part": "operator",
        "repo": f"operator:{label['account']}",
        "source": f"replybot review {label['labelled_by']}",
    }


def write_corpus(labels: Iterable[dict[str, Any]], settings: Settings, out: TextIO) -> int:
    """Write labels as corpus JSONL; returns how many."""
    n = 0
    for label in labels:
        row = corpus_row(label, account_handle(settings, label["account"]))
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n
