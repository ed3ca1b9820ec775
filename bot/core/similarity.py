"""Near-duplicate text across accounts: X forbids identical or substantially similar posts from several accounts.

A post is compared by its *gist*: lower-cased, without @handles, URLs, reference codes, digits and
punctuation, so two replies that differ only in whom they address, their reference code or signature are the
same gist. Two gists are *near the same* when the Jaccard overlap of their character 5-grams is at least
:data:`NEAR`; character n-grams work the same for Thai and Chinese, which have no spaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.core.refs import REF_PATTERN

NEAR = 0.5
"""Light edits of one wording (a word swapped, a sentence added) score above this; two wordings written apart
in the same register score well below it (see tests/test_similarity.py for both)."""
SHINGLE = 5

_HANDLE = re.compile(r"@\w{1,15}")
_URL = re.compile(r"https?://\S+|\b\S+\.(?:com|co|id|sg|my|ph|th|vn)/\S*", re.IGNORECASE)
_NOISE = re.compile(r"[\W\d_]+", re.UNICODE)


def gist(text: str) -> str:
    """The words of a post that say something: no handles, links, reference codes, digits or punctuation."""
    text = REF_PATTERN.sub(" ", _URL.sub(" ", _HANDLE.sub(" ", text)))
    return " ".join(_NOISE.sub(" ", text.lower()).split())


def shingles(text: str) -> frozenset[str]:
    g = gist(text)
    if len(g) <= SHINGLE:
        return frozenset({g}) if g else frozenset()
    return frozenset(g[i : i + SHINGLE] for i in range(len(g) - SHINGLE + 1))


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two shingle sets, 0 to 1."""
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def near(a: frozenset[str], b: frozenset[str]) -> float | None:
    """The overlap of ``a`` and ``b`` when it is at least :data:`NEAR`, else None. Sets whose sizes differ too
    much to reach it are not intersected (the overlap is at most the smaller size over the larger): the
    template check compares every pair of wordings at start-up."""
    small, large = sorted((len(a), len(b)))
    if not small or small < NEAR * large:
        return None
    score = overlap(a, b)
    return score if score >= NEAR else None


@dataclass
class OtherAccounts:
    """What the other accounts posted lately, for refusing a wording that would repeat one of them."""

    posts: list[frozenset[str]] = field(default_factory=list)

    @classmethod
    def of(cls, texts: Iterable[str]) -> OtherAccounts:
        return cls([shingles(t) for t in texts])

    def repeats(self, text: str) -> bool:
        """True when ``text`` is the same or nearly the same as a recent post of another account."""
        mine = shingles(text)
        return any(near(mine, theirs) is not None for theirs in self.posts)
