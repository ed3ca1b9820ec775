"""Text normalisation shared by the lexicon loader and the classifier, so phrases and posts meet halfway.

``normalize`` lower-cases, folds compatibility forms (full-width letters), strips Latin diacritics (so
Vietnamese matches with and without accents; Thai marks are kept), drops apostrophes, turns hyphens,
slashes, double quotes and ``#`` into spaces, squeezes repeated letters ("errorrr", "DOWNNN", "มากกกก") to one and
collapses whitespace. URLs and @mentions are removed first by :func:`strip_noise`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

MAX_CHARS = 4000
"""Longer posts are cut: nothing useful for the decision sits past this point, and it bounds the cost."""

_NOISE = re.compile(r"https?://\S+|www\.\S+|pic\.twitter\.com/\S+|@\w+|&amp;|&gt;|&lt;")
_HANDLE = re.compile(r"@(\w+)")
_COMBINING_LATIN = re.compile(r"[\u0300-\u036f]+")
_REPEAT = re.compile(r"([^\W\d_])\1+")
_SPACES = re.compile(r"\s+")
# Indonesian/Malay "hati2", "masuk2"; not an amount after a currency code ("rm2", "rp2", "usd2")
_REDUPLICATION = re.compile(r"(?<=[a-z]{2})(?<!rm)(?<!rp)(?<!sgd)(?<!usd)(?<!php)(?<!thb)(?<!vnd)(?<!idr)2(?!\w)")
_TRANSLATE = str.maketrans(
    {
        "'": None,
        "\u2019": None,
        "\u2018": None,
        "`": None,
        "\u00b4": None,
        "-": " ",
        "\u2010": " ",
        "\u2013": " ",
        "\u2014": " ",
        "/": " ",
        "#": " ",
        '"': " ",  # quoted error messages: 'it says "try again"'
        "\u201c": " ",
        "\u201d": " ",
        "_": " ",
        "\u0111": "d",  # đ (Vietnamese) has no decomposition
        "\u00f0": "d",
        "\u3000": " ",
    }
)

LONE_SURROGATES = re.compile("[\ud800-\udfff]")
"""Half a UTF-16 pair: valid in a Python string, not in UTF-8 (SQLite, stdout and X refuse it)."""


def mend_surrogates(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, so it can be stored, printed and posted."""
    return LONE_SURROGATES.sub("\ufffd", text)


def handles(text: str) -> list[str]:
    """The @handles in ``text``, lower-cased (used for regulator and brand look-ups)."""
    return [h.lower() for h in _HANDLE.findall(text)] if "@" in text else []


def strip_noise(text: str) -> str:
    """Remove URLs, @mentions and HTML entities (they carry no complaint wording)."""
    return _NOISE.sub(" ", text)


def normalize(text: str, fold: Mapping[int, str] | None = None) -> str:
    """Fold ``text`` (already noise-stripped or a lexicon phrase) into the form the matcher sees.

    ``fold`` maps extra characters (from the lexicon, e.g. Traditional to Simplified Chinese).
    """
    low = text.casefold()
    if not low.isascii():
        low = unicodedata.normalize("NFKD", low)
        low = _COMBINING_LATIN.sub("", low)
        if fold:
            low = low.translate(fold)
    low = low.translate(_TRANSLATE)
    low = _REPEAT.sub(r"\1", low)
    if "2" in low:
        low = _REDUPLICATION.sub("", low)
    return _SPACES.sub(" ", low).strip()


def prepare(text: str, fold: Mapping[int, str] | None = None) -> str:
    """Noise-strip and normalise a post, bounded to :data:`MAX_CHARS` characters."""
    return normalize(strip_noise(text[:MAX_CHARS]), fold)
