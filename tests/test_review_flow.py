"""An unsure mention waits for a human: nothing is posted until someone approves it, and then exactly once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.adapters.mock import MockPlatform
from bot.adapters.store import Store
from bot.bootstrap import App, build
from bot.model.decide import OperatingPoint, Unsure
from bot.settings import Settings

COMPLAINT_ID = "aplikasinya error terus, gabisa dibuka dari tadi pagi"


def app_at(settings: Settings, platforms: dict[str, MockPlatform], point: OperatingPoint) -> App:
    """Every account at ``point``: the account's own operating point is what the service applies."""
    accounts = tuple(replace(a, point=point) for a in settings.accounts)
    return build(
        replace(settings, accounts=accounts), dry_run=False, platforms=platforms, store=Store.open(settings.db_path)
    )


NEVER_SURE = OperatingPoint(reply_threshold=1.0, escalate_threshold=1.0, review_threshold=0.0)


def test_an_unsure_complaint_is_queued_for_a_human_and_not_posted(
    settings: Settings, platforms: dict[str, MockPlatform]
) -> None:
    mention = platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    app = app_at(settings, platforms, NEVER_SURE)
    app.service.poll(app.service.settings.account("ID"))
    row = app.store.mention(mention.id)
    assert row is not None
    assert (row["action"], row["status"]) == ("review", "unsure")
    assert row["reason"].startswith("model:unsure p=")
    assert platforms["ID"].replies_to(mention.id) == []
    assert [r["id"] for r in app.store.queue("ID")] == [mention.id]


def test_approving_an_unsure_complaint_posts_the_template_once(
    settings: Settings, platforms: dict[str, MockPlatform]
) -> None:
    mention = platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    app = app_at(settings, platforms, NEVER_SURE)
    account = app.service.settings.account("ID")
    app.service.poll(account)
    assert app.store.release_for_posting(mention.id, datetime.now(UTC))
    assert app.service.send_mention(account, mention.id) == "posted"
    app.service.poll(account)
    replies = platforms["ID"].replies_to(mention.id)
    assert len(replies) == 1 and replies[0].text.startswith("@rina ")
    row = app.store.mention(mention.id)
    assert row is not None and (row["action"], row["status"]) == ("reply", "replied")
    assert app.store.queue("ID") == []


def test_with_unsure_ignore_an_unsure_complaint_is_left_alone(
    settings: Settings, platforms: dict[str, MockPlatform]
) -> None:
    mention = platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    app = app_at(settings, platforms, replace(NEVER_SURE, unsure=Unsure.IGNORE))
    app.service.poll(app.service.settings.account("ID"))
    row = app.store.mention(mention.id)
    assert row is not None and (row["action"], row["status"]) == ("ignore", "ignored")
    assert app.store.queue("ID") == []


def test_an_eager_account_answers_what_a_strict_one_reviews(
    settings: Settings, platforms: dict[str, MockPlatform]
) -> None:
    mention = platforms["ID"].add_mention(COMPLAINT_ID, "rina")
    app = app_at(settings, platforms, OperatingPoint(reply_threshold=0.0, escalate_threshold=1.0))
    app.service.poll(app.service.settings.account("ID"))
    assert len(platforms["ID"].replies_to(mention.id)) == 1
