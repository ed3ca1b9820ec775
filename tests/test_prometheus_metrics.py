"""Metrics, the fan-out and spike alerts as observers: fed the calls the service makes, read back by name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.metrics import Metrics, MetricsObserver, label
from bot.adapters.mock import MockPlatform
from bot.adapters.observers import FanOut, SpikeAlerts
from bot.bootstrap import App
from bot.core.lifecycle import Event, Handled, Status
from bot.core.models import Action, Category, Decision, Mention, Verdict
from bot.core.replies import ComposedReply
from bot.core.spike import SpikeDetector, SpikeEvent, SpikeKind
from bot.service import Observer
from bot.settings import Account, Settings

NOW = datetime(2023, 2, 6, 9, 0, tzinfo=UTC)
REPLY = ComposedReply("@rina maaf ya", "ID/id/general", 0, "id")


def mention(created_at: datetime | None = NOW) -> Mention:
    return Mention("101", "@ShopeeID error terus", "u-rina", "rina", "ID", created_at=created_at)


def decision(action: Action = Action.REPLY, reason: str = "complaint:login") -> Decision:
    return Decision(action, reason, Verdict(action, Category.LOGIN, "id", reason))


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


@pytest.fixture
def account_id(settings: Settings) -> Account:
    return settings.account("ID")


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def observer(metrics: Metrics) -> MetricsObserver:
    return MetricsObserver(metrics, clock=lambda: (NOW + timedelta(seconds=90)).timestamp())


def test_every_decision_is_counted_by_action_and_reason(
    observer: MetricsObserver, metrics: Metrics, account_id: Account
) -> None:
    observer.decided(account_id, mention(), decision(), "pending")
    observer.decided(account_id, mention(), decision(), "pending")
    observer.decided(account_id, mention(), decision(Action.IGNORE, "skip:retweet"), "skipped")
    assert value(metrics, "replybot_mentions_total", account="ID", action="reply", reason="complaint:login") == 2
    assert value(metrics, "replybot_mentions_total", account="ID", action="ignore", reason="skip:retweet") == 1


def test_a_decision_the_service_could_not_make_is_also_an_error(
    observer: MetricsObserver, metrics: Metrics, account_id: Account
) -> None:
    observer.decided(account_id, mention(), decision(Action.ESCALATE, "error:KeyError"), "escalated")
    assert value(metrics, "replybot_errors_total", account="ID", kind="decide") == 1


def handled(mention_id: str, created_at: datetime | None) -> Handled:
    return Handled(mention_id, "ID", "reply", Status.REPLIED, "u1", "rina", "id", "login", created_at, None)


def test_events_are_counted_per_account_and_kind(
    observer: MetricsObserver, metrics: Metrics, account_id: Account
) -> None:
    observer.noted(account_id, Event.COVERED, 40)
    observer.noted(account_id, Event.WINDOW_OVERRUN, 3)
    observer.noted(account_id, Event.COVERED, 2)
    assert value(metrics, "replybot_events_total", account="ID", event="covered_by_status") == 42
    assert value(metrics, "replybot_events_total", account="ID", event="window_overrun") == 3


def test_a_reply_is_counted_with_its_delay_since_the_mention(
    observer: MetricsObserver, metrics: Metrics, account_id: Account
) -> None:
    observer.posted(account_id, handled("101", NOW), REPLY, "900")
    assert value(metrics, "replybot_replies_total", account="ID") == 1
    assert value(metrics, "replybot_mention_to_reply_seconds_sum", account="ID") == pytest.approx(90)
    assert value(metrics, "replybot_mention_to_reply_seconds_bucket", account="ID", le="60.0") == 0
    assert value(metrics, "replybot_mention_to_reply_seconds_bucket", account="ID", le="120.0") == 1
    assert value(metrics, "replybot_mention_to_reply_seconds_bucket", account="ID", le="7200.0") == 1


def test_a_reply_without_a_creation_time_has_no_delay(
    observer: MetricsObserver, metrics: Metrics, account_id: Account
) -> None:
    observer.posted(account_id, handled("101", None), REPLY, "900")
    assert value(metrics, "replybot_replies_total", account="ID") == 1
    assert value(metrics, "replybot_mention_to_reply_seconds_count", account="ID") in (None, 0)


def test_polls_gauges_and_api_calls(observer: MetricsObserver, metrics: Metrics, account_id: Account) -> None:
    observer.polled("TH", ok=True, at=1_675_670_400.0)
    observer.polled("TH", ok=False, at=1_675_670_460.0)
    observer.poll_done(account_id)
    observer.set_gauges("TH", queue=4, pending=7, budget=43)
    observer.api_call("TH", "mentions", 200)
    observer.api_call("TH", "post", "timeout")
    observer.error("TH", "send", 2)
    assert value(metrics, "replybot_last_poll_timestamp_seconds", account="TH") == 1_675_670_400.0
    assert (
        value(metrics, "replybot_last_poll_timestamp_seconds", account="ID")
        == (NOW + timedelta(seconds=90)).timestamp()
    )
    assert value(metrics, "replybot_errors_total", account="TH", kind="poll") == 1
    assert value(metrics, "replybot_errors_total", account="TH", kind="send") == 2
    assert value(metrics, "replybot_queue_length", account="TH") == 4
    assert value(metrics, "replybot_pending_replies", account="TH") == 7
    assert value(metrics, "replybot_budget_left", account="TH") == 43
    assert value(metrics, "replybot_api_calls_total", account="TH", endpoint="mentions", status="200") == 1
    assert value(metrics, "replybot_api_calls_total", account="TH", endpoint="post", status="timeout") == 1


def test_each_metrics_object_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.replies.labels("ID").inc()
    assert second.registry.get_sample_value("replybot_replies_total", {"account": "ID"}) is None
    assert b"replybot_replies_total" in first.exposition()


def test_label_values_stay_short_and_plain() -> None:
    assert label("complaint:login") == "complaint:login"
    assert label('Weird Reason\n{with} "quotes"') == "weird_reason_with_quotes_"
    assert len(label("x" * 500)) == 48
    assert label("") == "none"


# --- fan-out ----------------------------------------------------------------------------------------


class Exploding:
    def decided(self, account: Account, mention: Mention, decision: Decision, status: str) -> None:
        raise RuntimeError("boom")

    def posted(self, account: Account, row: Handled, reply: ComposedReply, post_id: str) -> None:
        raise RuntimeError("boom")

    def noted(self, account: Account, event: Event, count: int) -> None:
        raise RuntimeError("boom")

    def poll_done(self, account: Account) -> None:
        raise RuntimeError("boom")


def test_fan_out_reaches_every_observer_even_after_one_fails(
    metrics: Metrics, observer: MetricsObserver, account_id: Account, caplog: pytest.LogCaptureFixture
) -> None:
    fan: Observer = FanOut(Exploding(), observer)
    fan.decided(account_id, mention(), decision(), "pending")
    fan.posted(account_id, handled("101", None), REPLY, "900")
    fan.noted(account_id, Event.EXPIRED, 1)
    fan.poll_done(account_id)
    assert value(metrics, "replybot_mentions_total", account="ID", action="reply", reason="complaint:login") == 1
    assert value(metrics, "replybot_replies_total", account="ID") == 1
    assert value(metrics, "replybot_last_poll_timestamp_seconds", account="ID") is not None
    assert value(metrics, "replybot_events_total", account="ID", event="expired") == 1
    assert caplog.text.count("observer Exploding failed") == 4


# --- spike alerts ------------------------------------------------------------------------------------


class RecordingNotifier:
    def __init__(self) -> None:
        self.events: list[SpikeEvent] = []

        self.texts: list[str] = []

    def notify(self, event: SpikeEvent) -> bool:
        self.events.append(event)
        return True

    def notify_text(self, text: str, account: str = "") -> bool:
        self.texts.append(text)
        return True


def test_a_burst_of_complaints_sends_one_start_alert_and_ignores_the_rest(account_id: Account) -> None:
    notifier = RecordingNotifier()
    now = [NOW]
    alerts: Observer = SpikeAlerts(SpikeDetector(min_per_minute=30), notifier, clock=lambda: now[0])
    for i in range(40):
        alerts.decided(account_id, mention(NOW - timedelta(seconds=i)), decision(), "pending")
    for _ in range(40):  # not complaints: never counted
        alerts.decided(account_id, mention(NOW), decision(Action.IGNORE, "praise"), "ignored")
        alerts.decided(account_id, mention(NOW), decision(Action.ESCALATE, "error:KeyError"), "escalated")
    alerts.poll_done(account_id)
    alerts.poll_done(account_id)
    assert [(e.account, e.kind) for e in notifier.events] == [("ID", SpikeKind.START)]
    now[0] = NOW + timedelta(minutes=3)
    alerts.poll_done(account_id)
    assert [e.kind for e in notifier.events] == [SpikeKind.START, SpikeKind.END]


def test_mentions_lost_to_the_window_are_alerted_with_their_number(account_id: Account) -> None:
    notifier = RecordingNotifier()
    alerts: Observer = SpikeAlerts(SpikeDetector(), notifier, clock=lambda: NOW)
    alerts.noted(account_id, Event.COVERED, 12)  # not news for the on-call channel
    alerts.noted(account_id, Event.WINDOW_OVERRUN, 37)
    assert len(notifier.texts) == 1 and "[ID]" in notifier.texts[0] and "37 mentions" in notifier.texts[0]


def test_metrics_and_spikes_hear_a_real_poll_through_the_fan_out(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    metrics = Metrics()
    platforms["ID"].add_mention("aplikasinya error terus, gabisa login dari tadi pagi", "rina")
    app = make_app(observer=FanOut(MetricsObserver(metrics), SpikeAlerts(SpikeDetector())))
    for account in app.accounts:
        app.service.poll(account)
    assert value(metrics, "replybot_replies_total", account="ID") == 1
    assert value(metrics, "replybot_mention_to_reply_seconds_count", account="ID") == 1
    assert (
        sum(s.value for m in metrics.registry.collect() for s in m.samples if s.name == "replybot_mentions_total") == 1
    )
