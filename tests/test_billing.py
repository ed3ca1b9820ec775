"""X refusing for billing (402 credits used up, 429 usage-capped): the account pauses, nothing stays claimed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from conftest import CONFIG, fake_env
from fakex_clients import admin_post, mention
from test_outbox import COMPLAINT, rig

from bot.adapters.x_api import XPlatform
from bot.core.lifecycle import Event, Status
from bot.fakex import FakeX
from bot.ports import CreditsExhausted
from bot.settings import Settings, load_settings


@pytest.mark.parametrize("fault", ["402", "capped"])
def test_the_x_adapter_names_a_billing_refusal_for_reads_and_posts(fault: str, tmp_path: Path) -> None:
    with FakeX(limits="none") as fx:
        (mid,) = admin_post(fx.url, "mentions", [mention("shopeeid", "@shopeeid error", "rina")])["ids"]
        settings = load_settings(CONFIG, {**fake_env(), "X_API_BASE_URL": fx.url}, db_override=tmp_path / "r.db")
        x = XPlatform(settings.account("ID"), settings)
        x.me()
        admin_post(fx.url, "faults", {"spec": f"{fault}=1"})
        with pytest.raises(CreditsExhausted):
            x.fetch_mentions(None)
        with pytest.raises(CreditsExhausted):
            x.post_reply(mid, "@rina maaf")


def test_a_billing_refusal_pauses_posting_and_leaves_the_reply_waiting(settings: Settings) -> None:
    r = rig(settings)
    account = r.settings.account("ID")
    (mid,) = r.complaints(1, minutes_ago=1)
    r.service.intake.poll(account)
    r.x.fail_next.append(CreditsExhausted("402: no credits"))
    r.service.outbox.send_due(account)
    assert r.status(mid) is Status.PENDING  # not claimed: X answered, nothing was posted
    assert ("ID", Event.CREDITS_EXHAUSTED, 1) in r.heard.events
    r.clock.advance(5 * 60)
    r.service.outbox.send_due(account)  # paused: X is not asked again every few seconds
    assert r.x.posts == [] and r.status(mid) is Status.PENDING
    r.store.rows[mid]["created_at"] = (r.clock.now() + timedelta(minutes=11)).isoformat()  # still fresh then
    r.clock.advance(11 * 60)
    r.service.outbox.send_due(account)
    assert [p.in_reply_to for p in r.x.posts] == [mid]


def test_a_billing_refusal_pauses_reading(settings: Settings) -> None:
    r = rig(settings)
    account = r.settings.account("ID")
    r.complaints(1, minutes_ago=1, text=COMPLAINT)
    r.x.fail_next.append(CreditsExhausted("402: no credits"))
    assert r.service.intake.poll(account).fetched == 0
    calls = r.x.fetch_calls
    r.service.intake.poll(account)
    assert r.x.fetch_calls == calls  # paused
    r.clock.advance(16 * 60)
    assert r.service.intake.poll(account).recorded == 1
