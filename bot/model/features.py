"""Features of a post for the learned model: hashed n-grams plus the lexicon's signals. Pure, numpy only.

No vocabulary is stored: every feature is a string (``c:ab c``, ``w:gabisa``, ``lex:fail``) hashed with CRC-32
into one of ``2**bits`` buckets, so the model file holds weights and nothing of the texts it learned from.

- character 2- to 4-grams of the folded text (spelling variants, Thai and Chinese, which have no spaces);
- word unigrams and bigrams of the folded text;
- the X language tag (or the detected one);
- the lexicon's reading of the post: its action, reason and category, and every signal, area and complaint
  tag it found. The lexicon is the project's memory of hard cases; the model learns how far to trust it.

Each group is scaled to unit length so that a long review does not outweigh a short tweet.
"""

from __future__ import annotations

import itertools
import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass

from bot.core.normalize import normalize, strip_noise

MAX_CHARS = 1000
"""Only the start of a post is featurised: it bounds the cost and the decision sits there."""

_DIGITS = re.compile(r"\d")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class LexiconReading:
    """What the lexicon made of a post, as the features see it."""

    action: str
    reason: str
    category: str | None
    tags: frozenset[str]
    """``kind:name`` of every lexicon hit (``signal:fail``, ``area:login``, ``complaint:outage``)."""


def fold(text: str) -> str:
    """The form n-grams are taken from: no URLs or handles, folded like the lexicon, digits as ``0``."""
    return _DIGITS.sub("0", normalize(strip_noise(text[:MAX_CHARS])))


def feature_strings(text: str, lang: str, reading: LexiconReading | None) -> list[list[str]]:
    """The feature strings of a post, one list per group (chars, words, context)."""
    folded = fold(text)
    padded = f" {folded} "
    chars = [padded[i : i + n] for n in (2, 3, 4) for i in range(len(padded) - n + 1)]
    words = _WORD.findall(folded)
    grams = [f"w:{w}" for w in words] + [f"b:{a} {b}" for a, b in itertools.pairwise(words)]
    context = [f"lang:{lang}"]
    if reading is not None:
        context += [f"lex:{reading.action}", f"lexr:{reading.reason}", f"lexc:{reading.category}"]
        context += [f"lext:{tag}" for tag in sorted(reading.tags)]
    return [chars, grams, context]


def _bucket(feature: str, mask: int) -> int:
    return zlib.crc32(feature.encode("utf-8", "surrogatepass")) & mask  # a lone surrogate from broken JSON


def _scaled(group: list[str], mask: int, out: dict[int, float]) -> None:
    """Add one group to ``out``: sub-linear counts scaled to unit length."""
    if not group:
        return
    counts = Counter(_bucket(f, mask) for f in group)
    values = {b: 1.0 + math.log(c) for b, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in values.values()))
    for b, v in values.items():
        out[b] = out.get(b, 0.0) + v / norm


def hashed_parts(
    text: str, lang: str, reading: LexiconReading | None, bits: int
) -> tuple[dict[int, float], dict[int, float]]:
    """Sparse vectors ``{bucket: value}`` of the text (characters, words, language) and of the lexicon's reading."""
    mask = (1 << bits) - 1
    chars, grams, context = feature_strings(text, lang, reading)
    own: dict[int, float] = {}
    for group in (chars, grams, context[:1]):
        _scaled(group, mask, own)
    lexicon: dict[int, float] = {}
    _scaled(context[1:], mask, lexicon)
    return own, lexicon


def merged(a: dict[int, float], b: dict[int, float]) -> dict[int, float]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0.0) + v
    return out


def hashed(text: str, lang: str, reading: LexiconReading | None, bits: int) -> dict[int, float]:
    """The whole sparse feature vector of a post: text and lexicon parts together."""
    return merged(*hashed_parts(text, lang, reading, bits))
