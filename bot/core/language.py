"""Fast language identification for the seven languages the bot serves: id en th tl ms vi zh.

Scripts decide first (Thai block, CJK ideographs, Vietnamese letters with diacritics); Latin-script text is
scored on function words read from the lexicon files (``[language] detect``), so an operator can tune or add
a language without code. X's own tweet language is trusted when it is one of ours (``in`` means Indonesian);
``und``, ``qme``, ``zxx`` and friends mean "unknown" and are detected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

LANGUAGES = ("id", "en", "th", "tl", "ms", "vi", "zh")
DEFAULT = "en"

_ALIASES = {
    "in": "id",
    "ind": "id",
    "fil": "tl",
    "tgl": "tl",
    "msa": "ms",
    "may": "ms",
    "zsm": "ms",
    "vie": "vi",
    "tha": "th",
    "eng": "en",
    "zho": "zh",
    "chi": "zh",
    "cmn": "zh",
    "yue": "zh",
}
_THAI = re.compile(r"[\u0e00-\u0e7f]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_VIET = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯ\u1ea0-\u1ef9]")
_LATIN_WORD = re.compile(r"[a-z]+")


def map_tag(tag: str | None) -> str | None:
    """X's ``lang`` field as one of :data:`LANGUAGES`, or None when it is unknown or not ours."""
    if not tag:
        return None
    base = tag.strip().lower().replace("_", "-").split("-", 1)[0]
    base = _ALIASES.get(base, base)
    return base if base in LANGUAGES else None


class LanguageDetector:
    """Detects the main language of a post. Pure; built once from the lexicon's function-word lists."""

    def __init__(self, function_words: Mapping[str, set[str]]) -> None:
        self._owners: dict[str, tuple[str, ...]] = {}
        for lang, words in function_words.items():
            for word in words:
                self._owners[word] = (*self._owners.get(word, ()), lang)

    def detect(self, raw: str, folded: str) -> str:
        """Language of ``raw`` (original text) given ``folded`` (its normalised, diacritic-free form)."""
        thai = len(_THAI.findall(raw))
        cjk = len(_CJK.findall(raw))
        if thai or cjk:
            return "th" if thai >= cjk else "zh"
        if len(_VIET.findall(raw)) >= 2:
            return "vi"
        scores: dict[str, float] = {}
        for word in _LATIN_WORD.findall(folded):
            owners = self._owners.get(word)
            if owners:
                share = 1.0 / len(owners)
                for lang in owners:
                    scores[lang] = scores.get(lang, 0.0) + share
        if not scores:
            return DEFAULT
        return max(LANGUAGES, key=lambda lang: (scores.get(lang, 0.0), lang == DEFAULT))

    def resolve(self, tag: str | None, raw: str, folded: str) -> str:
        """X's language when it is one of ours, otherwise the detected one."""
        return map_tag(tag) or self.detect(raw, folded)
