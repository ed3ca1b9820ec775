"""X refusing for billing (402 credits used up, 429 usage-capped): the account pauses, nothing stays claimed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import CONFIG, fake_env
from fakex_clients import admin_post, mention
from test_outbox import COMPLAINT, NOW, rig

from bot.adapters.clock import ManualClock
from bot.adapters.memory_store import MemoryStore
from bot.adapters.metered import MeteredPlatform
from bot.adapters.mock import MockPlatform
from bot.adapters.x_api import XPlatform
from bot.bootstrap import App
from bot.core.lifecycle import Event, Status
from bot.core.pricing import Spend, post_kind, unit_price
from bot.fakex import FakeX
from bot.ports import CreditsExhausted
from bot.service import budget_left
from bot.settings import UNVERIFIED_REPLIES_PER_24H, Settings, load_settings


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


# --- what the calls cost (pay-per-use, bot.core.pricing) ------------------------------------------------


def test_x_bills_a_url_post_apart_whatever_it_replies_to(settings: Settings) -> None:
    assert post_kind("@rina sorry, we are on it", reply=True) is Spend.REPLY
    assert post_kind("We are on it. Updates: https://status.example.com", reply=False) is Spend.URL_POST
    assert post_kind("@rina see https://shopee.co.id/s", reply=True) is Spend.URL_POST
    assert post_kind("Login is back to normal.", reply=False) is Spend.POST
    limits = settings.limits
    prices = [unit_price(kind, limits) for kind in (Spend.REPLY, Spend.POST, Spend.URL_POST)]
    assert prices == [limits.cost_per_reply_usd, limits.cost_per_post_usd, limits.cost_per_url_post_usd]


def test_every_read_and_post_is_recorded_at_its_price(settings: Settings) -> None:
    store, clock = MemoryStore(), ManualClock(NOW)
    mock = MockPlatform(handle="ShopeeID", account="ID")
    metered = MeteredPlatform(mock, "ID", store, settings.limits, clock)
    for n in range(3):
        mock.add_mention(f"error {n}", f"u{n}")
    page = metered.fetch_mentions(None)
    metered.post_reply(page.mentions[0].id, "@u0 maaf ya")
    metered.post_reply(page.mentions[1].id, "@u1 maaf, info: https://status.example.com")
    metered.post_status("Kendala login sedang kami tangani.")
    metered.own_replies()
    mock.fail_next.append(CreditsExhausted("402"))
    with pytest.raises(CreditsExhausted):
        metered.post_reply(page.mentions[2].id, "@u2 maaf")  # refused: not billed
    limits = settings.limits
    spent = store.spend_by_kind(NOW - timedelta(hours=1))
    assert spent[("ID", "read")] == pytest.approx((5, 5 * limits.cost_per_read_usd))  # 3 mentions + 2 own replies
    assert spent[("ID", "reply")] == pytest.approx((1, limits.cost_per_reply_usd))
    assert spent[("ID", "url_post")] == pytest.approx((1, limits.cost_per_url_post_usd))
    assert spent[("ID", "post")] == pytest.approx((1, limits.cost_per_post_usd))
    total = sum(usd for _, usd in spent.values())
    assert store.spent_since("ID", NOW - timedelta(hours=1)) == pytest.approx(total)


def test_the_budget_counts_money_spent_on_reads_at_the_next_replys_price(settings: Settings) -> None:
    limits = dataclasses.replace(settings.limits, budget_per_24h_usd=1.0, posts_per_15min=1000, posts_per_24h=1000)
    account = dataclasses.replace(settings.account("ID"), verified=True)
    store = MemoryStore()
    assert budget_left(store, limits, account, NOW) == 100  # $1 at $0.01 a reply
    assert budget_left(store, limits, account, NOW, with_url=True) == 5  # at $0.20 with a status link
    store.record_spend("ID", "read", 100, 0.5, NOW)
    assert budget_left(store, limits, account, NOW) == 50
    assert budget_left(store, limits, account, NOW + timedelta(hours=25)) == 100  # rolled off
    unverified = dataclasses.replace(account, verified=False)
    for n in range(UNVERIFIED_REPLIES_PER_24H):
        store.record_post("ID", f"m{n}", f"p{n}", "@x maaf", None, NOW)
    big = dataclasses.replace(limits, budget_per_24h_usd=1000.0)
    assert budget_left(store, big, unverified, NOW) == 0  # X: 200 replies a day unverified
    assert budget_left(store, big, account, NOW) > 0


def test_reading_stops_when_the_budget_is_spent_and_says_so_once(settings: Settings) -> None:
    r = rig(settings)
    account = r.settings.account("ID")
    r.complaints(2, minutes_ago=1)
    r.store.record_spend("ID", "read", 2000, r.settings.limits.budget_per_24h_usd, r.clock.now())
    assert r.service.intake.poll(account).fetched == 0
    r.service.intake.poll(account)
    assert r.x.fetch_calls == 0
    assert [e for e in r.heard.events if e[1] is Event.BUDGET_SPENT] == [("ID", Event.BUDGET_SPENT, 1)]
    r.clock.advance(24 * 3600 + 1)  # the spending rolls off
    assert r.service.intake.poll(account).fetched == 2


def test_the_wired_app_bills_what_it_reads_and_posts(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    platforms["ID"].add_mention("aplikasinya error terus, gabisa login dari tadi pagi", "rina")
    app = make_app()
    app.service.poll(app.settings.account("ID"))
    spent = app.store.spend_by_kind(NOW - timedelta(days=3650))
    assert spent[("ID", "read")][0] >= 1 and spent[("ID", "reply")][0] == 1  # no status link: a reply
