"""Spike detection on synthetic complaint streams: a clock we drive, no sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.spike import SpikeDetector, SpikeEvent, SpikeKind

T0 = datetime(2023, 2, 6, 8, 0, tzinfo=UTC)


def feed(
    detector: SpikeDetector, start: datetime, minutes: int, per_minute: int, account: str = "ID"
) -> tuple[list[SpikeEvent], datetime]:
    """Spread ``per_minute`` complaints evenly over each minute, checking after each one and every 10 s."""
    events: list[SpikeEvent] = []
    for _ in range(minutes):
        complaints = [(start + timedelta(seconds=60 * i / per_minute), True) for i in range(per_minute)]
        checks = [(start + timedelta(seconds=s), False) for s in range(0, 60, 10)]
        for at, is_complaint in sorted(complaints + checks):
            if is_complaint:
                detector.observe(account, at)
            event = detector.check(account, at)
            if event:
                events.append(event)
        start += timedelta(minutes=1)
    return events, start


def test_a_burst_over_a_quiet_hour_starts_a_spike_then_ends_it_when_calm_returns() -> None:
    detector = SpikeDetector()
    quiet, burst_began = feed(detector, T0, 60, 2)
    burst, now = feed(detector, burst_began, 5, 60)
    calm, _ = feed(detector, now, 5, 2)
    assert quiet == []
    assert [e.kind for e in burst] == [SpikeKind.START]
    start = burst[0]
    assert start.account == "ID" and start.kind == "start"
    assert burst_began <= start.at < burst_began + timedelta(minutes=1)
    assert start.rate_per_minute >= 30
    assert start.baseline_per_minute == pytest.approx(2.0, abs=0.1)
    assert [e.kind for e in calm] == [SpikeKind.END]
    assert calm[0].rate_per_minute < 15 and calm[0].baseline_per_minute == pytest.approx(2.0, abs=0.1)


def test_a_rise_that_stays_below_min_per_minute_is_no_spike() -> None:
    detector = SpikeDetector(threshold_ratio=5.0, min_per_minute=30)
    feed(detector, T0, 60, 1)
    events, _ = feed(detector, T0 + timedelta(minutes=60), 10, 25)  # 25x the baseline, but only 25/min
    assert events == []


def test_a_busy_account_needs_threshold_ratio_times_its_baseline() -> None:
    detector = SpikeDetector(threshold_ratio=5.0, min_per_minute=30)
    feed(detector, T0, 60, 10)
    below, now = feed(detector, T0 + timedelta(minutes=60), 3, 40)  # above min, below 5 x 10
    above, _ = feed(detector, now, 2, 80)
    assert below == []
    assert [e.kind for e in above] == [SpikeKind.START]
    assert above[0].baseline_per_minute > 9


def hover_around_30_per_minute(detector: SpikeDetector) -> list[SpikeEvent]:
    _, now = feed(detector, T0, 60, 2)
    events: list[SpikeEvent] = []
    for minute in range(60):
        more, now = feed(detector, now, 1, 36 if minute % 2 else 24)
        events += more
    return events


def test_a_rate_hovering_around_the_threshold_does_not_flap() -> None:
    assert [e.kind for e in hover_around_30_per_minute(SpikeDetector())] == [SpikeKind.START]


def test_without_hysteresis_the_same_stream_would_flap() -> None:
    assert len(hover_around_30_per_minute(SpikeDetector(end_fraction=1.0))) > 4


def test_a_long_outage_does_not_become_the_new_normal() -> None:
    detector = SpikeDetector()
    _, now = feed(detector, T0, 60, 2)
    events, now = feed(detector, now, 120, 60)  # two hours: the rolling baseline would reach 60/min
    assert [e.kind for e in events] == [SpikeKind.START]
    assert detector.active("ID")
    assert detector.baseline("ID", now) == pytest.approx(2.0, abs=0.1)


def test_accounts_are_independent() -> None:
    detector = SpikeDetector()
    feed(detector, T0, 60, 2, account="TH")
    events, _ = feed(detector, T0 + timedelta(minutes=60), 2, 60, account="ID")
    assert [e.account for e in events] == ["ID"]
    assert detector.check("TH", T0 + timedelta(minutes=62)) is None
    assert not detector.active("TH")


def test_an_unknown_account_has_no_event() -> None:
    assert SpikeDetector().check("VN", T0) is None


def test_memory_stays_bounded_to_the_baseline_and_window() -> None:
    detector = SpikeDetector(baseline_minutes=10, window_minutes=2)
    feed(detector, T0, 300, 3)
    buckets = detector._accounts["ID"].buckets
    assert len(buckets) <= 10 + 2 + 1


def test_complaints_older_than_the_history_are_ignored() -> None:
    detector = SpikeDetector(baseline_minutes=10)
    detector.observe("ID", T0)
    detector.observe("ID", T0 - timedelta(hours=3), count=1000)
    assert detector.rate("ID", T0) == pytest.approx(1.0)
    assert detector.baseline("ID", T0 + timedelta(minutes=5)) == pytest.approx(0.1)


def test_the_rate_does_not_drop_to_zero_at_a_minute_boundary() -> None:
    detector = SpikeDetector()
    detector.observe("ID", T0 + timedelta(seconds=30), count=60)
    assert detector.rate("ID", T0 + timedelta(minutes=1)) == pytest.approx(60.0)
    assert detector.rate("ID", T0 + timedelta(minutes=1, seconds=30)) == pytest.approx(30.0)
    assert detector.rate("ID", T0 + timedelta(minutes=2)) == pytest.approx(0.0)


def test_nonsense_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        SpikeDetector(window_minutes=0)
    with pytest.raises(ValueError):
        SpikeDetector(end_fraction=1.5)
