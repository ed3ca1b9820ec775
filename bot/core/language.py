"""Fast language identification for the seven languages the bot serves: id en th tl ms vi zh.

Scripts decide first (Thai block, CJK ideographs, Vietnamese letters with diacritics); Latin-script text is
scored on function words read from the lexicon files (``[language] detect``), so an operator can tune or add
a language without code. X's own tweet language is trusted when it is one of ours (``in`` means Indonesian);
``und``, ``qme``, ``zxx`` and friends mean "unknown" and are detected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

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
_VIET = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯ\u1ea0-\u1ef9]")
_SPECIAL = re.compile(r"[\u0e00-\u0e7f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffăâđêôơưĂÂĐÊÔƠƯ\u1ea0-\u1ef9]")
"""Thai, CJK ideographs and Vietnamese-only letters: one scan finds all three."""
_LATIN_WORD = re.compile(r"[a-z]+")
_HINT_WEIGHT = 1.5


def map_tag(tag: str | None) -> str | None:
    """X's ``lang`` field as one of :data:`LANGUAGES`, or None when it is unknown or not ours."""
    if not tag:
        return None
    base = tag.strip().lower().replace("_", "-").split("-", 1)[0]
    base = _ALIASES.get(base, base)
    return base if base in LANGUAGES else None


class LanguageDetector:
    """Detects the main language of a post. Pure; built once from the lexicon's function-word lists."""

    def __init__(
        self, function_words: Mapping[str, set[str]], handle_hints: Mapping[str, set[str]] | None = None
    ) -> None:
        self._hints = {h: lang for lang, hs in (handle_hints or {}).items() for h in hs}
        self._owners: dict[str, tuple[str, ...]] = {}
        for lang, words in function_words.items():
            for word in words:
                self._owners[word] = (*self._owners.get(word, ()), lang)

    def detect(self, raw: str, folded: str, handles: Iterable[str] = ()) -> str:
        """Language of ``raw`` (original text) given ``folded`` (its normalised, diacritic-free form).

        ``handles`` (mentioned accounts, lower-case) add a small prior for their country's language.
        """
        special = _SPECIAL.findall(raw)
        if special:
            thai = sum(1 for ch in special if "\u0e00" <= ch <= "\u0e7f")
            viet = sum(1 for ch in special if _VIET.match(ch))
            cjk = len(special) - thai - viet
            if thai or cjk:
                return "th" if thai >= cjk else "zh"
            if viet >= 2:
                return "vi"
        scores: dict[str, float] = {}
        for word in _LATIN_WORD.findall(folded):
            owners = self._owners.get(word)
            if owners:
                share = 1.0 / len(owners)
                for lang in owners:
                    scores[lang] = scores.get(lang, 0.0) + share
        for handle in handles:
            hinted = self._hints.get(handle)
            if hinted:
                scores[hinted] = scores.get(hinted, 0.0) + _HINT_WEIGHT
        if not scores:
            return DEFAULT
        return max(LANGUAGES, key=lambda lang: (scores.get(lang, 0.0), lang == DEFAULT))

    def resolve(self, tag: str | None, raw: str, folded: str, handles: Iterable[str] = ()) -> str:
        """X's language when it is one of ours, otherwise the detected one."""
        return map_tag(tag) or self.detect(raw, folded, handles)
