"""Spike alerts to a Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat, Google Chat adapters).

An alert is best effort: a failure is logged as a warning and reported as ``False``; it never raises into the
polling loop. The webhook URL carries a secret token in its path, so it is never logged, not even inside a
``requests`` error message (those include the URL): only the host and the exception's type are.
"""

from __future__ import annotations

import logging
from typing import Protocol
from urllib.parse import urlsplit

import requests

from bot.core.spike import SpikeEvent, SpikeKind

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """Somewhere spike alerts go."""

    def notify(self, event: SpikeEvent) -> bool:
        """Deliver one spike alert. True when it was accepted; never raises."""
        ...

    def notify_text(self, text: str, account: str = "") -> bool:
        """Deliver any other alert (mentions lost to X's window). True when accepted; never raises."""
        ...


def alert_text(event: SpikeEvent) -> str:
    """One line a human on call can act on."""
    when = event.at.strftime("%Y-%m-%d %H:%M %Z").strip()
    rates = f"{event.rate_per_minute:.1f}/min (baseline {event.baseline_per_minute:.1f}/min)"
    if event.kind is SpikeKind.START:
        return f":rotating_light: replybot [{event.account}]: outage complaints are spiking: {rates} since {when}"
    return f":white_check_mark: replybot [{event.account}]: the complaint spike is over: {rates} at {when}"


class SlackWebhook:
    """Posts ``{"text": ...}`` to an incoming-webhook URL."""

    def __init__(self, url: str, timeout: float = 5.0, session: requests.Session | None = None) -> None:
        self.url = url
        self.timeout = timeout
        self.session = session or requests.Session()
        parts = urlsplit(url)
        self._host = (f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname) or "(no host)"
        """Host and port only: the rest of the URL (its path, a user:password) is the secret."""

    def __repr__(self) -> str:
        return f"SlackWebhook(host={self._host!r})"

    def notify(self, event: SpikeEvent) -> bool:
        sent = self.notify_text(alert_text(event), event.account)
        if sent:
            log.info("spike alert sent (%s)", event.kind.value, extra={"account": event.account})
        return sent

    def notify_text(self, text: str, account: str = "") -> bool:
        """Deliver one line of text; True when the webhook accepted it. Never raises, never logs the URL."""
        try:
            response = self.session.post(self.url, json={"text": text}, timeout=self.timeout, allow_redirects=False)
        except Exception as exc:  # an alert must never stop the loop; the message would leak the URL
            log.warning("alert not sent: %s talking to %s", type(exc).__name__, self._host, extra={"account": account})
            return False
        if not 200 <= response.status_code < 300:
            log.warning("alert not sent: %s answered %d", self._host, response.status_code, extra={"account": account})
            return False
        return True
