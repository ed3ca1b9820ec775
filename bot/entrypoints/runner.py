"""The long-running loop: poll every account every interval until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from bot.bootstrap import App
from bot.ports import PlatformError
from bot.service import AccountStopped
from bot.settings import Account

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


def update_gauges(app: App, account: Account, ok: bool) -> None:
    if app.metrics is None:
        return
    app.metrics.polled(account.code, ok, time.time())
    try:
        counts = app.store.counts(account.code)
        app.metrics.set_gauges(
            account.code,
            queue=app.store.queue_length(account.code),
            pending=counts.get("pending", 0),
            budget=app.service.budget_left(account),
        )
    except Exception:  # metrics must never stop the loop
        log.exception("could not update gauges", extra={"account": account.code})


def run_loop(app: App, interval_s: float, stop: threading.Event, once: bool = False) -> int:
    """Poll until stopped. Returns the process exit status (0, or 1 when every account had to stop)."""
    active = list(app.accounts)
    app.service.should_stop = stop.is_set
    log.info("polling %s every %ss", ",".join(a.code for a in active) or "no accounts", interval_s)
    while active and not stop.is_set():
        for account in list(active):
            if stop.is_set():
                break
            ok = False
            try:
                result = app.service.poll(account)
                ok = True
                log.debug("polled: %s", result, extra={"account": account.code})
                if app.metrics and result.errors:
                    app.metrics.error(account.code, "send", result.errors)
            except AccountStopped as exc:
                log.error("%s; the other accounts keep running", exc, extra={"account": account.code})
                active.remove(account)
                if app.metrics:
                    app.metrics.error(account.code, "account_stopped")
            except PlatformError as exc:
                log.warning("poll failed, will retry next interval: %s", exc, extra={"account": account.code})
            except Exception:
                log.exception("poll failed unexpectedly, will retry next interval", extra={"account": account.code})
            update_gauges(app, account, ok)
        if once:
            break
        stop.wait(interval_s)
    if not active and app.accounts:
        log.error("every account stopped")
        return 1
    return 0
