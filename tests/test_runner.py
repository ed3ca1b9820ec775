"""The runner's lanes: each account read on its own schedule and posted from apart, until stopped."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from bot.adapters.mock import MockPlatform
from bot.bootstrap import App
from bot.entrypoints.runner import Lanes, run_loop

COMPLAINT = "aplikasinya error terus, ga bisa dibuka sama sekali"


@pytest.mark.parametrize(
    ("new", "since", "expected"),
    [
        (0, 60.0, 60.0),  # quiet: the poll interval
        (10, 60.0, 60.0),
        (1000, 60.0, 30.0),  # 1,000 a minute: read again before 500 more arrive
        (10_000, 1.0, 1.0),  # never busier than once a second
        (50, None, 60.0),  # the first read has no rate yet
    ],
)
def test_the_next_read_comes_before_half_the_window_can_fill(
    make_app: Callable[..., App], new: int, since: float | None, expected: float
) -> None:
    lanes = Lanes(make_app(), 60.0, threading.Event())
    assert lanes.next_read_in(new, since) == pytest.approx(expected)


def test_the_lanes_answer_every_account_and_stop_on_request(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    for code, x in platforms.items():
        x.add_mention(f"{COMPLAINT} ({code})", f"user{code}", lang="in")
    app = make_app()
    stop = threading.Event()
    runner = threading.Thread(target=run_loop, args=(app, 0.05, stop))
    runner.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not all(x.posts for x in platforms.values() if x.account == "ID"):
        time.sleep(0.05)
    stop.set()
    runner.join(timeout=10)
    assert not runner.is_alive()
    assert len(platforms["ID"].posts) == 1  # once, although both lanes ran many rounds
    assert {p.in_reply_to for p in platforms["ID"].posts} == {platforms["ID"].mentions[0].id}
