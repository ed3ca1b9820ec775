"""Reply composer: picks a template for (account, language, incident state, category), renders one wording.

Templates live in ``templates/<CODE>/<lang>/<state>/<category>.j2`` (``general.j2`` is the fall-back of a
state) and ``templates/<CODE>/<lang>/escalate.j2``. A file holds several wordings separated by a line that
is exactly ``---``. See docs/TEMPLATES.md.

Only the author's handle comes from users, and only when it is a valid X handle. Everything else that reaches
a reply is ours: the template text, the reference code, the account's signature and country, and the
operators' incident note (control and bidi characters stripped).
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from twitter_text import parse_tweet
from twitter_text.extract_urls import extract_urls_with_indices

from bot.core.login_problem import LoginProblem, LoginReader
from bot.core.models import Action, Category, IncidentState
from bot.core.refs import REF_ALPHABET as REF_ALPHABET
from bot.core.refs import REF_LENGTH as REF_LENGTH
from bot.core.refs import reference_code as reference_code
from bot.core.similarity import OtherAccounts
from bot.settings import Account

log = logging.getLogger(__name__)

MAX_WEIGHT = 280
MIN_WORDINGS = 3
GENERAL = "general"
ESCALATE = "escalate"
STATUS = "status"
"""``<CODE>/<lang>/status/<state>.j2``: the account's public status post for an incident state (optional)."""
OPT_OUT = "opt-out"
"""``<CODE>/<lang>/opt-out.j2``: one line telling users how to stop the replies, added to a first reply."""
SUFFIX = ".j2"
SEPARATOR_RE = re.compile(r"^---[ \t]*$", re.MULTILINE)
HANDLE_RE = re.compile(r"[A-Za-z0-9_]{1,15}")  # used with fullmatch
LANGUAGE_ALIASES = {"in": "id", "fil": "tl", "zsm": "ms", "zh-cn": "zh", "zh-tw": "zh", "zh-hans": "zh"}
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
WORST_CASE_HANDLE = "W" * 15
WORST_CASE_NOTE = "https://status.example.com/incidents/2023-02-06-login-and-wallet"
"""A status-page URL: X counts every URL as 23, the longest note operators are told to use."""


class ReplyError(Exception):
    """A reply cannot be composed."""


class TemplateMissing(ReplyError):
    """No template file exists for the request, even after the fall-backs."""


class TemplateRenderError(ReplyError):
    """A template file does not compile or a wording fails to render."""


class ReplyTooLong(TemplateRenderError):
    """Every wording of the chosen template renders longer than 280 weighted characters."""


class NoFreshWording(ReplyError):
    """Every wording was excluded or was posted recently by this account."""


class UnsafeInput(ReplyError, ValueError):
    """A user-controlled value (the author's handle) is not safe to put in a reply."""


@dataclass(frozen=True)
class ComposedReply:
    text: str
    template: str
    """Path of the template file relative to the templates folder, e.g. ``TH/th/investigating/login.j2``."""
    variant: int
    """0-based index of the wording in that file."""
    lang: str


@dataclass(frozen=True)
class TemplateProblem:
    template: str
    problem: str
    account: str = ""
    lang: str = ""
    variant: int | None = None

    def __str__(self) -> str:
        where = self.template + (f" wording {self.variant + 1}" if self.variant is not None else "")
        who = f" [{self.account}/{self.lang}]" if self.account else ""
        return f"{where}{who}: {self.problem}"


MAY_HOLD_EMOJI = re.compile("[\u00a9\u00ae\u200d\u203c-\u2b55\u3030\u303d\u3297\u3299\ufe0f\U00010000-\U0010ffff]")
"""Every character an emoji of twitter-text's list can contain but plain text in our languages does not: ©, ®,
ZWJ, the BMP symbols from ‼ to ⭕ (keycaps need U+20E3, in there), 〰, 〽, ㊗, ㊙, VS16 and all astral planes."""
HEAVY = re.compile("[^\u0000-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]")
"""Characters X weighs 2 (outside twitter-text's v3 weight-1 ranges)."""
LINE_ENDINGS = re.compile(r"\r\n|\r|\n")
MAY_HOLD_URL = re.compile(r"\.[^\W_]")
"""A URL needs a domain: a dot followed by a letter or digit. Most replies have none, so no URL scan."""


def weighted_length(text: str) -> int:
    """Length as X counts it: most CJK characters and emoji weigh 2, every URL 23.

    ``twitter_text.parse_tweet`` is the reference, but its emoji regex costs about a millisecond per reply,
    more than the rest of the pipeline together. A text without any character an emoji could contain is
    counted here the same way (NFC, URLs via twitter-text, per-character weights); any other goes to it.
    """
    normalized = LINE_ENDINGS.sub("\n", unicodedata.normalize("NFC", text))
    if MAY_HOLD_EMOJI.search(normalized):
        return int(parse_tweet(text).weightedLength)
    weight, at = 0, 0
    urls = extract_urls_with_indices(normalized) if MAY_HOLD_URL.search(normalized) else []
    for url in urls:
        start = url["indices"][0]
        if start < at:
            continue
        plain = normalized[at:start]
        weight += len(plain) + len(HEAVY.findall(plain)) + 23
        at = start + len(url["url"])
    rest = normalized[at:]
    return weight + len(rest) + len(HEAVY.findall(rest))


def fits_in_post(text: str) -> bool:
    """True when X would accept ``text`` as one post (at most 280 weighted characters)."""
    return weighted_length(text) <= MAX_WEIGHT


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def safe_handle(handle: str) -> str:
    """``handle`` (without ``@``, as X reports it) if it is a valid X handle, else :class:`UnsafeInput`."""
    if not HANDLE_RE.fullmatch(handle):
        raise UnsafeInput(f"not a valid X handle (letters, digits, _; at most 15; no @): {handle!r}")
    return handle


def clean_text(value: str) -> str:
    """One line of operator text: control and format characters (bidi, zero-width) removed."""
    kept = "".join(ch for ch in value if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf"))
    return " ".join(kept.split())


_URL_IN_NOTE = re.compile(r"https?://\S+", re.IGNORECASE)
_TAGS = re.compile(r"[@#\uff20\uff03]\S*")


def note_problem(note: str) -> str | None:
    """Why an incident note may not go into public replies, or None. Outside its URLs it may not hold an
    @mention (a brand reply would tag strangers) or a #hashtag; a URL's ``#fragment`` is fine."""
    rest = _URL_IN_NOTE.sub(" ", note)
    if _TAGS.search(rest):
        return "an @mention or #hashtag in a public note would tag people or trends: give a URL or plain words"
    return None


def safe_note(note: str) -> str:
    """The note as it may be posted: clean, and any @mention or #hashtag outside its URLs dropped (a note
    stored before the check, or typed into the database by hand)."""
    urls: list[str] = []

    def keep(match: re.Match[str]) -> str:
        urls.append(match.group(0))
        return f"\x00{len(urls) - 1}\x00"

    held = _URL_IN_NOTE.sub(keep, clean_text(note))
    held = _TAGS.sub("", held)
    restored = re.sub("\x00(\\d+)\x00", lambda m: urls[int(m.group(1))], held)
    return " ".join(restored.split())


UNPOSTABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS)) + "]")
"""Control characters (Unicode category Cc) but the newline, and bidi controls: never posted."""


def _tidy(text: str) -> str:
    """Rendered text as posted: no bidi or control characters, single spaces, no blank or padded lines."""
    text = UNPOSTABLE.sub("", text)
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def reply_language(account: Account, lang: str | None) -> str:
    """The mention's language if the account answers in it (X's ``in``/``fil`` accepted), else its default."""
    code = (lang or "").strip().lower().replace("_", "-")
    code = LANGUAGE_ALIASES.get(code, code.split("-")[0])
    return code if code in account.languages else account.default_language


def _attempts(note: str, hint: str) -> list[tuple[str, str]]:
    """(note, hint) pairs to try, best first: drop the note before the opt-out hint, the hint only last."""
    pairs = [(note, hint), ("", hint), (note, ""), ("", "")]
    return [p for i, p in enumerate(pairs) if p not in pairs[:i]]


def login_file(problem: LoginProblem) -> str:
    """The template name (no suffix) for a login complaint that says what failed: ``login-no-code``."""
    return f"{Category.LOGIN.value}-{problem.value}"


def split_wordings(source: str) -> list[str]:
    """The wordings of one template file: the text between lines that hold only ``---``."""
    return [part.strip() for part in SEPARATOR_RE.split(source)]


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates cached in a private per-user folder (Jinja checks its owner and mode), keyed by
    the wording's source: start-up compiles only what changed. None where no such folder can be made."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


class ReplyComposer:
    """Loads every template once; :meth:`compose` is pure apart from a log line."""

    def __init__(self, templates_dir: Path, login_reader: LoginReader | None = None) -> None:
        if not templates_dir.is_dir():
            raise TemplateMissing(f"templates folder not found: {templates_dir}")
        self.templates_dir = templates_dir
        self.login_reader = login_reader
        """Reads what failed at login (the post's text) to prefer ``login-<problem>.j2``; None: ``login.j2``."""
        self.sources: dict[str, list[str]] = {}
        self.compiled: dict[str, list[jinja2.Template]] = {}
        self.load_problems: list[TemplateProblem] = []
        self._wordings: dict[str, str] = {}
        self.env = SandboxedEnvironment(
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            loader=jinja2.DictLoader(self._wordings),
            bytecode_cache=_bytecode_cache(),
        )
        for path in sorted(templates_dir.rglob(f"*{SUFFIX}")):
            self._load(path.relative_to(templates_dir).as_posix(), path)

    def _load(self, name: str, path: Path) -> None:
        try:
            wordings = split_wordings(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            self.load_problems.append(TemplateProblem(name, f"cannot be read: {exc}"))
            return
        self.sources[name] = wordings
        try:
            for i, wording in enumerate(wordings):
                self._wordings[f"{name}#{i}"] = wording
            self.compiled[name] = [self.env.get_template(f"{name}#{i}") for i in range(len(wordings))]
        except jinja2.TemplateSyntaxError as exc:
            self.load_problems.append(TemplateProblem(name, f"template syntax error: {exc.message}"))

    def candidates(
        self,
        account: Account,
        lang: str,
        action: Action,
        state: IncidentState,
        category: Category | None,
        problem: LoginProblem | None = None,
    ) -> list[str]:
        """Paths to try, best first: what failed at login (``login-no-code``), the category, the state's
        general, then the same in the account's default language."""
        langs = [lang] + ([account.default_language] if lang != account.default_language else [])
        if action is Action.ESCALATE:
            return [f"{account.code}/{lg}/{ESCALATE}{SUFFIX}" for lg in langs]
        names = [login_file(problem)] if category is Category.LOGIN and problem else []
        names += ([category.value] if category else []) + [GENERAL]
        return [f"{account.code}/{lg}/{state.value}/{name}{SUFFIX}" for lg in langs for name in names]

    def resolve(
        self,
        account: Account,
        lang: str,
        action: Action,
        state: IncidentState,
        category: Category | None,
        problem: LoginProblem | None = None,
    ) -> str:
        tried = self.candidates(account, lang, action, state, category, problem)
        for name in tried:
            if name in self.sources:
                return name
        raise TemplateMissing(f"no template for {account.code}/{lang}: tried {', '.join(tried)}")

    def opt_out_hint(self, account: Account, lang: str, mention_id: str) -> str:
        """The line that tells a user how to stop the bot's replies, in the reply's language ("" if none)."""
        name = f"{account.code}/{lang}/{OPT_OUT}{SUFFIX}"
        if name not in self.sources:
            return ""
        variant = _digest("opt-out", mention_id) % len(self.sources[name])
        return self.render(name, variant, {"signature": clean_text(account.signature_for(lang))})

    def render(self, name: str, variant: int, variables: dict[str, str]) -> str:
        """One wording of one file, tidied; :class:`TemplateRenderError` if it fails."""
        if name not in self.compiled:
            raise TemplateRenderError(f"{name} could not be loaded (unreadable, or a template syntax error)")
        try:
            return _tidy(self.compiled[name][variant].render(variables))
        except jinja2.TemplateError as exc:
            raise TemplateRenderError(f"{name} wording {variant + 1}: {exc}") from exc

    def compose(
        self,
        *,
        account: Account,
        lang: str,
        state: IncidentState,
        action: Action,
        category: Category | None,
        author_handle: str,
        mention_id: str,
        text: str = "",
        note: str = "",
        recent_texts: Collection[str] = (),
        exclude_variants: Collection[int] = (),
        others: OtherAccounts | None = None,
        first_to_author: bool = False,
    ) -> ComposedReply | None:
        """The reply to post, or None for an escalation when the account posts no holding reply.

        Wordings are tried from an index derived from ``mention_id``; a wording is skipped when it is in
        ``exclude_variants`` (e.g. X refused it as duplicate content), when its text is in ``recent_texts``
        when it repeats a recent post of another account (``others``: X forbids the same content across
        accounts) or when it is longer than 280. If no wording fits only because of ``note``, the note is dropped.
        When X did not say who wrote the mention (``author_handle`` empty), the wording goes without its
        leading ``@handle``: a reply in the thread reaches the author anyway. ``text`` (the mention's) is read
        only to tell, for a login complaint, what failed. The first reply to an author (``first_to_author``)
        ends with the account's opt-out hint (``opt-out.j2``: "Reply STOP ..."); the note goes before it does.
        """
        if action is Action.IGNORE:
            raise ValueError("compose() is for replies and escalations, not ignored mentions")
        if action is Action.ESCALATE and not account.holding_reply:
            return None
        handle = safe_handle(author_handle) if author_handle else ""
        used = reply_language(account, lang)
        problem = self.login_reader.read(text) if self.login_reader and category is Category.LOGIN else None
        name = self.resolve(account, used, action, state, category, problem)
        file_lang = name.split("/")[1]
        variables = {
            "handle": handle,
            "ref": reference_code(mention_id),
            "signature": clean_text(account.signature_for(file_lang)),
            "country": clean_text(account.country),
            "note": safe_note(note),
        }
        count = len(self.sources[name])
        start = _digest("variant", mention_id) % count
        order = [(start + i) % count for i in range(count) if (start + i) % count not in exclude_variants]
        recent = set(recent_texts)
        hint = self.opt_out_hint(account, file_lang, mention_id) if first_to_author else ""
        fits = False
        for notes, extra in _attempts(variables["note"], hint):
            for variant in order:
                text = self.render(name, variant, {**variables, "note": notes})
                if not handle:  # X did not say who wrote it: a reply in the thread reaches them without the @
                    text = text.removeprefix("@").lstrip()
                text = f"{text}\n{extra}" if extra else text
                if not fits_in_post(text):
                    continue
                fits = True
                if text in recent or (others is not None and others.repeats(text)):
                    continue
                if notes != variables["note"]:
                    log.warning("%s: incident note dropped, the reply would exceed %d", name, MAX_WEIGHT)
                if extra != hint:
                    log.warning("%s: no room for the opt-out hint in a first reply to this author", name)
                return ComposedReply(text=text, template=name, variant=variant, lang=file_lang)
            if fits:
                break
        if order and not fits:
            raise ReplyTooLong(f"{name}: every wording is longer than {MAX_WEIGHT} weighted characters")
        raise NoFreshWording(
            f"{name}: every wording was excluded, posted recently or repeats another account's recent post"
        )
