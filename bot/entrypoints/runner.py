"""The long-running loop: poll every account every interval until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from bot.bootstrap import App
from bot.ports import PlatformError
from bot.service import AccountStopped

log = logging.getLogger(__name__)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM ask the loop to stop after the mention in hand."""

    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("received %s: finishing the mention in hand, then stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_loop(app: App, interval_s: float, stop: threading.Event, once: bool = False) -> int:
    """Poll until stopped. Returns the process exit status (0, or 1 when every account had to stop)."""
    active = list(app.accounts)
    app.service.should_stop = stop.is_set
    log.info("polling %s every %ss", ",".join(a.code for a in active) or "no accounts", interval_s)
    while active and not stop.is_set():
        for account in list(active):
            if stop.is_set():
                break
            try:
                result = app.service.poll(account)
                log.debug("polled: %s", result, extra={"account": account.code})
            except AccountStopped as exc:
                log.error("%s; the other accounts keep running", exc, extra={"account": account.code})
                active.remove(account)
            except PlatformError as exc:
                log.warning("poll failed, will retry next interval: %s", exc, extra={"account": account.code})
            except Exception:
                log.exception("poll failed unexpectedly, will retry next interval", extra={"account": account.code})
        if once:
            break
        stop.wait(interval_s)
    if not active and app.accounts:
        log.error("every account stopped")
        return 1
    return 0
