"""Secrets out of every text that is stored or shown: logs, ``mentions.error``, ``review show``, exports.

Two kinds: the values the settings know (API keys, tokens, the webhook URL), registered once per process,
and shapes that are secrets whatever their value: the password in ``https://user:PASS@host``, OAuth header
parameters (``oauth_consumer_key="..."``, ``oauth_signature="..."``) and ``Bearer`` tokens, which X's error
texts may echo back from the request headers.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

MASK = "***"
_PATTERNS = (
    (re.compile(r"\b([a-z][a-z0-9+.-]*://)[^/\s:@]+(?::[^/\s@]*)?@", re.IGNORECASE), r"\1" + MASK + "@"),
    (re.compile(r"\b(oauth_[a-z_]+)=(\"[^\"]*\"|'[^']*'|[^,\s\"']+)", re.IGNORECASE), r'\1="' + MASK + '"'),
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=%-]{8,}", re.IGNORECASE), r"\1 " + MASK),
)
_lock = threading.Lock()
_known: list[str] = []


def register(secrets: Iterable[str]) -> None:
    """Add the secret values of this process's settings (longest first, so a prefix never shows)."""
    global _known
    with _lock:
        _known = sorted({*_known, *(s for s in secrets if s and len(s) >= 4)}, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every registered (and given) secret and every secret-shaped part replaced by ``***``."""
    extra = [s for s in secrets if s and len(s) >= 4]
    for secret in sorted({*_known, *extra}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
