"""``replybot purge``: erase texts and handles past the retention period, now rather than on the hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from bot.entrypoints.common import common_options, load
from bot.entrypoints.ops import open_store


@click.command()
@common_options
@click.option(
    "--older-than-days",
    "days",
    type=click.IntRange(min=0),
    help="Erase what is older than this many days (default: [limits] retention_days).",
)
def purge(config_path: Path | None, db_path: Path | None, days: int | None) -> None:
    """Erase the texts and handles of mentions, posts and labels older than the retention period.

    Ids, decisions, statuses and counts stay, so stats and exactly-once still work; the running bot does the
    same every hour. Export labels (`replybot export --labelled`) before they are erased if you retrain on them.
    """
    settings = load(config_path, db_path)
    store = open_store(settings, db_path)
    keep = settings.limits.retention_days if days is None else days
    now = datetime.now(UTC)
    erased = store.purge(now - timedelta(days=keep), now)
    click.echo(
        f"erased the text and handles of {erased['mentions']} mentions, {erased['posts']} posts and "
        f"{erased['labels']} labels older than {keep} days ({db_path or settings.db_path})"
    )
