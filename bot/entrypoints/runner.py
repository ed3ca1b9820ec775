"""The long-running loop until SIGINT/SIGTERM: for each account, an intake lane and an outbox lane.

Each lane is a thread with its own schedule, so reading never waits for posting and one slow account never
delays another: the intake reads every ``interval``, sooner at the rate mentions arrive so that X's
800-mention window is never outrun while X allows reads; the outbox posts whenever something fresh waits and
the budget allows. ``--once`` is one read and one round of posting per account, in turn, then exit.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
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
    app.metrics.polled(account.code, ok, app.clock.now().timestamp())
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


def _poll_once(app: App, active: list[Account]) -> bool:
    """One poll of every account; False when any of them failed (``run --once`` then exits 1)."""
    all_ok = True
    for account in list(active):
        ok = False
        try:
            result = app.service.poll(account)
            ok = True
            log.debug("polled: %s", result, extra={"account": account.code})
            if app.metrics and result.errors:
                app.metrics.error(account.code, "send", result.errors)
        except AccountStopped as exc:
            _stopped(app, active, account, exc)
        except PlatformError as exc:
            log.warning("poll failed, will retry next interval: %s", exc, extra={"account": account.code})
        except Exception:
            log.exception("poll failed unexpectedly, will retry next interval", extra={"account": account.code})
        update_gauges(app, account, ok)
        all_ok = all_ok and ok
    return all_ok


def _stopped(app: App, active: list[Account], account: Account, exc: AccountStopped) -> None:
    if account in active:
        log.error("%s; the other accounts keep running", exc, extra={"account": account.code})
        active.remove(account)
        if app.metrics:
            app.metrics.error(account.code, "account_stopped")


WINDOW_MARGIN = 500
"""Mentions: the intake reads again before this many can arrive, of the 800 X keeps. Fewer, larger reads
waste fewer partial pages of X's 300 reads per 15 minutes; the rest of the window is the margin for a rate
that grows between two reads."""
STOP_GRACE_S = 6.0
"""After a stop signal, how long the lanes may take to finish what is in hand: the process exits well within
Docker's 10 s even when an X call hangs (its lane is a daemon thread, abandoned)."""
OUTBOX_IDLE_S = 5.0
"""How long the outbox lane waits when nothing could be posted (nothing fresh waits, or the budget is spent)."""


class Lanes:
    """The intake and outbox threads of every account."""

    def __init__(
        self,
        app: App,
        interval_s: float,
        stop: threading.Event,
        pause: Callable[[float], object] | None = None,
    ) -> None:
        self.app = app
        self.interval_s = interval_s
        self.stop = stop
        self.pause = pause or stop.wait
        """Waits this many seconds of the app's clock, or until stopped (a drill's clock runs faster)."""
        self.active = list(app.accounts)
        self.gone: set[str] = set()
        self._lock = threading.Lock()

    def _alive(self, account: Account) -> bool:
        return not self.stop.is_set() and account.code not in self.gone

    def _account_stopped(self, account: Account, exc: AccountStopped) -> None:
        with self._lock:
            self.gone.add(account.code)
            _stopped(self.app, self.active, account, exc)

    def next_read_in(self, new: int, since_last_s: float | None) -> float:
        """Seconds until the next read: the poll interval, shorter when mentions arrive fast enough to bring
        WINDOW_MARGIN of X's 800-mention window before it (at the rate the last read saw)."""
        if not new or not since_last_s:
            return self.interval_s
        rate = new / since_last_s
        return min(self.interval_s, max(1.0, WINDOW_MARGIN / rate))

    def intake(self, account: Account) -> None:
        last: datetime | None = None
        while self._alive(account):
            ok, wait = False, self.interval_s
            started = self.app.clock.now()
            try:
                result = self.app.service.read(account)
                ok = True
                since = (started - last).total_seconds() if last else None
                wait = self.next_read_in(result.new, since)
                last = started
                log.debug(
                    "read %d new of %d fetched; next read in %.0f s",
                    result.new,
                    result.fetched,
                    wait,
                    extra={"account": account.code},
                )
            except AccountStopped as exc:
                self._account_stopped(account, exc)
            except PlatformError as exc:
                log.warning("read failed, will retry next interval: %s", exc, extra={"account": account.code})
            except Exception:
                log.exception("read failed unexpectedly, will retry", extra={"account": account.code})
            update_gauges(self.app, account, ok)
            if wait:
                self.pause(wait)

    def outbox(self, account: Account) -> None:
        while self._alive(account):
            wait = min(self.interval_s, OUTBOX_IDLE_S)
            try:
                result = self.app.service.send(account)
                if self.app.metrics and result.errors:
                    self.app.metrics.error(account.code, "send", result.errors)
                if result.posted and not result.errors:
                    wait = 0.0
            except AccountStopped as exc:
                self._account_stopped(account, exc)
            except PlatformError as exc:
                log.warning("sending failed, will retry: %s", exc, extra={"account": account.code})
            except Exception:
                log.exception("sending failed unexpectedly, will retry", extra={"account": account.code})
            if wait:
                self.pause(wait)

    def run(self) -> None:
        threads = [
            threading.Thread(target=lane, args=(account,), name=f"{name}-{account.code}", daemon=True)
            for account in self.app.accounts
            for name, lane in (("intake", self.intake), ("outbox", self.outbox))
        ]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads) and not self.stop.is_set():
            for thread in threads:
                thread.join(timeout=0.2)
        deadline = time.monotonic() + STOP_GRACE_S  # a lane in an X call that hangs is not waited for
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            for thread in threads:
                thread.join(timeout=0.1)
        left = [t.name for t in threads if t.is_alive()]
        if left:
            log.warning(
                "stopping without waiting for %s: an X call in flight is abandoned (a post it may have made is "
                "reconciled at the next start)",
                ", ".join(left),
            )


def run_loop(app: App, interval_s: float, stop: threading.Event, once: bool = False) -> int:
    """Run until stopped (or once). Returns the process exit status: 0, or 1 when every account had to stop or
    (``once``) a poll failed."""
    log.info("polling %s every %ss", ",".join(a.code for a in app.accounts) or "no accounts", interval_s)
    failed = False
    if once:
        active = list(app.accounts)
        failed = not _poll_once(app, active)
    else:
        lanes = Lanes(app, interval_s, stop)
        lanes.run()
        active = lanes.active
    if not active and app.accounts:
        log.error("every account stopped")
        return 1
    if failed:
        log.error("a poll failed: nothing is lost, the next run reads from the same checkpoint")
        return 1
    return 0
