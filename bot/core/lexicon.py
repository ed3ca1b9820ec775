"""Loads the classifier's vocabulary (``config/lexicon/*.toml``) and compiles it into one matcher.

Every phrase gets a *tag*: ``signal:<name>`` (negator, fail, resolved, praise, spam, ...), ``area:<category>``
(what is failing) or ``complaint:<category>`` (a phrase that is a complaint on its own). All phrases of all
languages go into a single trie-shaped regular expression, so one left-to-right pass over a post finds every
phrase (longest at each position) whatever the language mix. The file format is described in docs/LEXICON.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.models import Category
from bot.core.normalize import normalize

_CATEGORIES = tuple(c.value for c in Category)
_LOGIN_PROBLEMS = ("no_code", "logged_out", "cannot_sign_in")
_LATIN_RUN = re.compile(r"[a-z0-9\u00c0-\u024f]*")

_NO_SPACE_SCRIPT = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = r"[a-z0-9\u00c0-\u024f]"
_LEFT = "(?<!" + _LATIN + ")"
_RIGHT = "(?!" + _LATIN + ")"
"""Word edges are Latin letters and digits only, so "shopeepay的余额" still finds "shopeepay"."""
_WORDY = re.compile(r"^\w.*\w$|^\w$", re.DOTALL)


class LexiconError(ValueError):
    """A lexicon file is missing, unreadable or has a value of the wrong shape."""


@dataclass
class Lexicon:
    """Everything read from the lexicon folder, before compilation."""

    tags: dict[str, set[str]] = field(default_factory=dict)
    """normalised phrase -> tags (``signal:fail``, ``area:login``...); a trailing ``*`` marks a prefix."""
    detect: dict[str, set[str]] = field(default_factory=dict)
    """language code -> normalised function words used to recognise it."""
    hints: dict[str, set[str]] = field(default_factory=dict)
    """language code -> lower-case @handles whose mention hints at that language (a country's account)."""
    settings: dict[str, Any] = field(default_factory=dict)
    handles: dict[str, set[str]] = field(default_factory=dict)
    """tag -> lower-case @handles that carry that tag (e.g. a regulator's account)."""

    fold: dict[int, str] = field(default_factory=dict)
    """character -> replacement applied before matching (``[fold] pairs``), e.g. Traditional -> Simplified."""
    not_negators: dict[str, set[str]] = field(default_factory=dict)
    """language code -> normalised words that negate in another language but not in this one (Tagalog "ko")."""
    opt_out: dict[str, set[str]] = field(default_factory=dict)
    """``whole`` / ``anywhere`` -> normalised phrases that ask the bot to stop replying (``[opt_out]``)."""
    login_problems: dict[str, set[str]] = field(default_factory=dict)
    """normalised phrase -> ``[login_problem]`` keys; kept apart from ``tags``: it picks wording, not decisions."""

    def add(self, phrase: str, tag: str) -> None:
        prefix = phrase.endswith("*")
        norm = normalize(phrase.rstrip("*"), self.fold)
        if norm:
            self.tags.setdefault(norm + ("*" if prefix else ""), set()).add(tag)


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LexiconError(f"{where}: expected a list of strings")
    return value


def _sections(data: dict[str, Any], name: str, where: str) -> Iterable[tuple[str, list[str]]]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise LexiconError(f"{where} [{name}]: expected a table")
    for key, value in section.items():
        yield key, _strings(value, f"{where} [{name}] {key}")


def load_lexicon(lexicon_dir: Path) -> Lexicon:
    """Read every ``*.toml`` file in ``lexicon_dir`` (sorted, so the result does not depend on the disk)."""
    files = sorted(Path(lexicon_dir).glob("*.toml"))
    if not files:
        raise LexiconError(f"{lexicon_dir}: no *.toml lexicon files found")
    lex = Lexicon()
    loaded: list[tuple[str, dict[str, Any]]] = []
    for path in files:
        try:
            loaded.append((path.name, tomllib.loads(path.read_text(encoding="utf-8"))))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise LexiconError(f"{path}: {exc}") from exc
    for where, data in loaded:  # character folding first: every phrase is folded with all of it
        pairs = data.get("fold", {}).get("pairs", "") if isinstance(data.get("fold"), dict) else ""
        for pair in str(pairs).split():
            if len(pair) != 2:
                raise LexiconError(f"{where} [fold] pairs: {pair!r} is not two characters")
            lex.fold[ord(pair[0])] = pair[1]
    for where, data in loaded:
        language = data.get("language", {})
        if isinstance(language, dict) and "code" in language:
            words = _strings(language.get("detect", []), f"{where} [language] detect")
            lex.detect.setdefault(str(language["code"]), set()).update(normalize(w) for w in words)
            hints = _strings(language.get("handles", []), f"{where} [language] handles")
            lex.hints.setdefault(str(language["code"]), set()).update(h.lower().lstrip("@") for h in hints)
            keep = _strings(language.get("not_negators", []), f"{where} [language] not_negators")
            lex.not_negators.setdefault(str(language["code"]), set()).update(normalize(w, lex.fold) for w in keep)
        settings = data.get("settings", {})
        if isinstance(settings, dict):
            lex.settings.update(settings)
        for kind in ("signal", "area", "complaint"):
            for key, phrases in _sections(data, kind, where):
                if kind != "signal" and key not in _CATEGORIES:
                    raise LexiconError(f"{where} [{kind}] {key}: not a category, expected {_CATEGORIES}")
                for phrase in phrases:
                    lex.add(phrase, f"{kind}:{key}")
        for key, phrases in _sections(data, "login_problem", where):
            if key not in _LOGIN_PROBLEMS:
                raise LexiconError(f"{where} [login_problem] {key}: expected one of {', '.join(_LOGIN_PROBLEMS)}")
            for phrase in phrases:
                norm = normalize(phrase.rstrip("*"), lex.fold)
                if norm:
                    lex.login_problems.setdefault(norm + ("*" if phrase.endswith("*") else ""), set()).add(key)
        for key, phrases in _sections(data, "opt_out", where):
            if key not in ("whole", "anywhere"):
                raise LexiconError(f"{where} [opt_out] {key}: expected whole or anywhere")
            lex.opt_out.setdefault(key, set()).update(n for p in phrases if (n := normalize(p, lex.fold)))
        for key, names in _sections(data, "handles", where):
            lex.handles.setdefault(f"signal:{key}", set()).update(n.lower().lstrip("@") for n in names)
    _inherit_prefix_tags(lex.tags)
    return lex


def _inherit_prefix_tags(tags: dict[str, set[str]]) -> None:
    """A whole word also carries the tags of any prefix entry covering it ("loading" gets "load*")."""
    prefixes = [(p[:-1], t) for p, t in tags.items() if p.endswith("*")]
    for phrase, phrase_tags in tags.items():
        if phrase.endswith("*"):
            continue
        for prefix, prefix_tags in prefixes:
            if phrase.startswith(prefix) and _LATIN_RUN.fullmatch(phrase[len(prefix) :]):
                phrase_tags.update(prefix_tags)


def _trie_regex(words: Iterable[str]) -> str:
    """A regex alternation shaped as a trie: greedy, so it prefers the longest phrase at a position."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return "(?:" + body + ")?"
        return body

    return emit(trie)


def _first(words: list[str]) -> str:
    """A cheap guard: most positions fail on one character class before the long trie is tried."""
    return "(?=[" + "".join(re.escape(ch) for ch in sorted({w[0] for w in words})) + "])"


def compile_matcher(phrases: Iterable[str]) -> re.Pattern[str]:
    """One pattern, groups ``w`` (whole words), ``p`` (prefixes), ``f`` (free: Thai, Chinese, emoji).

    The pattern is a zero-width lookahead, so it reports the longest phrase starting at *every* position;
    the caller drops phrases that lie inside a longer one (``got charged`` must not hide ``charged twice``).
    ``ps`` is the rest of the word a prefix matched.
    """
    whole, prefix, free = [], [], []
    for phrase in phrases:
        if phrase.endswith("*"):
            prefix.append(phrase[:-1])
        elif _NO_SPACE_SCRIPT.search(phrase) or not _WORDY.match(phrase):
            free.append(phrase)
        else:
            whole.append(phrase)
    parts = []
    if whole:
        parts.append(_LEFT + _first(whole) + "(?P<w>" + _trie_regex(whole) + ")" + _RIGHT)
    if prefix:
        parts.append(_LEFT + _first(prefix) + "(?P<p>" + _trie_regex(prefix) + ")(?P<ps>" + _LATIN + "*)")
    if free:
        parts.append(_first(free) + "(?P<f>" + _trie_regex(free) + ")")
    return re.compile("(?=" + "|".join(parts) + ")" if parts else r"(?!x)x")


def phrases_in(pattern: re.Pattern[str], folded: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, phrase) for every phrase of a :func:`compile_matcher` pattern in a normalised text, left
    to right, except those inside a longer one; a prefix phrase is given with its trailing ``*``."""
    covered = 0
    for m in pattern.finditer(folded):
        group = m.lastgroup
        if group == "ps":
            group = "p"
        if group is None:
            continue
        start = m.start()
        end = m.end("ps") if group == "p" else m.end(group)
        if end <= covered:
            continue
        covered = end
        yield start, end, m.group(group) + ("*" if group == "p" else "")
