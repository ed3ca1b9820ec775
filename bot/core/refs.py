"""The reference code a reply carries ("Ref: A7K2QX"): what a customer quotes and staff search for."""

from __future__ import annotations

import hashlib
import re

REF_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no I, L, O, U, 0, 1: easy to read out on the phone
REF_LENGTH = 6
REF_PATTERN = re.compile(rf"\b[{REF_ALPHABET}]{{{REF_LENGTH}}}\b")
"""A reference code inside a text (one of our posts, or a customer's message quoting it)."""


def reference_code(mention_id: str) -> str:
    """Six readable characters derived from the mention id, e.g. ``A7K2QX``; staff search for it."""
    n = int.from_bytes(hashlib.sha256("\x1f".join(("ref", mention_id)).encode()).digest()[:8], "big")
    out = []
    for _ in range(REF_LENGTH):
        n, i = divmod(n, len(REF_ALPHABET))
        out.append(REF_ALPHABET[i])
    return "".join(out)
