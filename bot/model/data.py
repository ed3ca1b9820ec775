"""Labelled rows for training and evaluation: the corpus format, reserved posts kept out. Standard library only.

A row is the corpus's JSON object: ``text``, ``lang``, ``action``, ``category`` and, where known, ``handle``,
``repo`` (the source, for holding sources out), ``confidence``. Team-written files use the same fields.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

ACTIONS = ("reply", "escalate", "ignore")
CATEGORIES = ("outage", "login", "wallet", "checkout", "cart", "scan", "chat")
NO_CATEGORY = "none"
"""The category class of a reply/escalate row whose category is null (a scam report, a billing dispute)."""

_HANDLE = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+|pic\.twitter\.com/\S+")
_RT = re.compile(r"^\s*rt\b[: ]*", re.I)


class DataError(ValueError):
    """A labelled file that cannot be used: names the file, the line and what is wrong."""


def fingerprint(text: str) -> str:
    """The corpus's de-duplication key: the first 80 letters/digits, lower-cased, without handles and URLs."""
    t = unicodedata.normalize("NFKC", str(text)).lower()
    t = _RT.sub(" ", _HANDLE.sub(" ", _URL.sub(" ", t)))
    return hashlib.sha256("".join(ch for ch in t if ch.isalnum())[:80].encode("utf-8")).hexdigest()[:16]


def read_fingerprints(path: Path) -> frozenset[str]:
    """One fingerprint a line; a missing file means none."""
    if not path.is_file():
        return frozenset()
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def _check(row: Any, where: str) -> dict[str, Any]:
    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
        raise DataError(f"{where}: expected an object with a string 'text'")
    if row.get("action") not in ACTIONS:
        raise DataError(f"{where}: 'action' must be one of {', '.join(ACTIONS)}")
    category = row.get("category")
    if category is not None and category not in CATEGORIES:
        raise DataError(f"{where}: 'category' must be null or one of {', '.join(CATEGORIES)}")
    if row["action"] == "ignore":
        row = {**row, "category": None}
    return {**row, "lang": str(row.get("lang") or ""), "repo": str(row.get("repo") or row.get("source") or "")}


def read_rows(path: Path, default_repo: str | None = None) -> Iterator[dict[str, Any]]:
    """The labelled rows of one JSONL file, checked. ``default_repo`` names the source of rows without one."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{where}: not JSON ({exc.msg})") from exc
            row = _check(raw, where)
            if default_repo and not raw.get("repo"):
                row["repo"] = default_repo
            yield row


def load(paths: Iterable[Path], reserved: frozenset[str] = frozenset()) -> tuple[list[dict[str, Any]], int]:
    """Rows of every file, without reserved or repeated posts; also how many were dropped."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    dropped = 0
    for path in paths:
        team = "team:" + path.stem
        for row in read_rows(path, default_repo=team):
            key = fingerprint(row["text"])
            if key in reserved or key in seen:
                dropped += 1
                continue
            seen.add(key)
            rows.append(row)
    return rows, dropped
