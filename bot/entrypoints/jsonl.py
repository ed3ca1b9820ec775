"""JSON lines in, one row at a time, whatever the file holds: ``simulate`` and ``eval`` read with this.

A bad line is an error row, never the end of the run: invalid JSON, JSON nested too deep for Python's
parser, a line longer than :data:`MAX_LINE` characters (``--input /dev/zero`` never ends a line: after
:data:`MAX_SKIP` characters without one, the rest of the input is refused as not JSON lines).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

MAX_LINE = 100_000
"""Characters in one line; a post is at most 25,000 with its fields."""
MAX_SKIP = 10_000_000
"""Characters read past an over-long line looking for its end."""


def _skip_line(fh: IO[str]) -> bool:
    """Read to the end of the current line; False when no end came within MAX_SKIP characters."""
    skipped = 0
    while skipped < MAX_SKIP:
        chunk = fh.readline(MAX_LINE)
        if not chunk or chunk.endswith("\n"):
            return True
        skipped += len(chunk)
    return False


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, row or None, error or None) for every non-blank line."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        number = 0
        while line := fh.readline(MAX_LINE + 1):
            number += 1
            if len(line) > MAX_LINE and not line.endswith("\n"):
                ended = _skip_line(fh)
                yield number, None, f"line longer than {MAX_LINE} characters"
                if not ended:
                    yield number, None, f"no end of line in {MAX_SKIP} more characters: the rest is not JSON lines"
                    return
                continue
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, None, f"invalid JSON: {exc.msg}"
                continue
            except RecursionError:
                yield number, None, "invalid JSON: nested too deep"
                continue
            if not isinstance(row, dict):
                yield number, None, "expected a JSON object"
            elif not isinstance(row.get("text"), str) or row.get("id") in (None, ""):
                yield number, None, "expected at least string fields 'id' and 'text'"
            else:
                yield number, row, None
