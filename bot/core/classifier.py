"""The outage-complaint classifier: ``classify(text, lang) -> Verdict``. Pure after :meth:`Classifier.load`.

One pass of the compiled lexicon over the normalised post yields *hits* (span + tag). The decision then reads
them in a fixed order: spam; escalation (scam, account takeover, money at risk, legal threats); hopes and
"it works again"; "not down for me"; another brand being down; praise and jokes; delivery/seller topics;
and finally complaints, whose category is the most blocking failing area (``category_priority``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from bot.core.language import DEFAULT, LanguageDetector
from bot.core.lexicon import Lexicon, compile_matcher, load_lexicon, phrases_in
from bot.core.models import Action, Category, Verdict
from bot.core.normalize import handles, prepare

log = logging.getLogger(__name__)

_CLAUSE_BREAK = re.compile(r"[.!?;:,，。！？；]")
_SENTENCE_BREAK = re.compile(r"[.!?。！？]\s")
_DEFAULT_PRIORITY = ("login", "scan", "cart", "chat", "wallet", "checkout", "outage")
_NEGATABLE = frozenset(
    {"state", "fail", "act", "money", "money_weak", "refund", "praise", "resolved", "ok", "paid", "twice"}
)


class Hit(NamedTuple):
    start: int
    end: int
    kind: str
    """``signal``, ``area`` or ``complaint``."""
    name: str
    """Signal name (``fail``, ``negator``...) or category value."""


class Classifier:
    """Lexicon-driven classifier. Build with :meth:`load`; :meth:`classify` never raises."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._tags: dict[str, tuple[tuple[str, str], ...]] = {
            phrase: tuple(sorted(tuple(tag.split(":", 1)) for tag in tags))  # type: ignore[misc]
            for phrase, tags in lexicon.tags.items()
        }
        self._pattern = compile_matcher(self._tags)
        self._fold = lexicon.fold
        self._detector = LanguageDetector(lexicon.detect, lexicon.hints)
        self._handles = lexicon.handles
        self._not_negators = {code: frozenset(words) for code, words in lexicon.not_negators.items() if words}
        settings: dict[str, Any] = lexicon.settings
        self._window = int(settings.get("pair_window", 32))
        self._neg_gap = int(settings.get("negation_gap", 14))
        self._neg_words = int(settings.get("negation_max_words", 2))
        priority = settings.get("category_priority", _DEFAULT_PRIORITY)
        self._rank = {cat: i for i, cat in enumerate(priority)}
        self._amount = re.compile(str(settings.get("amount_pattern", r"(?!x)x")))
        self._error_code = re.compile(str(settings.get("error_code_pattern", r"(?!x)x")))
        self._link = int(settings.get("link_window", 40))
        self._nearest = frozenset(str(c) for c in settings.get("nearest_wins", ()))

    @classmethod
    def load(cls, lexicon_dir: Path) -> Classifier:
        """Read every lexicon file in ``lexicon_dir`` once and compile the matcher."""
        return cls(load_lexicon(lexicon_dir))

    @property
    def char_fold(self) -> Mapping[int, str]:
        """The lexicon's character fold (Traditional to Simplified Chinese): the model's features use it too."""
        return self._fold

    def hits(self, folded: str) -> list[Hit]:
        """Every lexicon phrase in a normalised text, left to right, except those inside a longer one."""
        out: list[Hit] = []
        tags = self._tags
        for start, end, key in phrases_in(self._pattern, folded):
            for kind, name in tags.get(key, ()):
                out.append(Hit(start, end, kind, name))
        return out

    def classify(self, text: str, lang: str | None = None) -> Verdict:
        """The verdict for one post. Any input is accepted; an internal error yields ``ignore``/``error``."""
        lang = lang if isinstance(lang, str) else None  # a lang that is not a string is unknown: detect it
        try:
            return self._classify(text if isinstance(text, str) else str(text), lang)
        except Exception:  # a bad post must never stop the bot
            log.exception("classifier failed on a post of %d chars", len(text) if isinstance(text, str) else 0)
            return Verdict(Action.IGNORE, None, DEFAULT, "error", 0.0)

    def analyse(self, text: str, lang: str | None = None) -> tuple[Verdict, frozenset[str]]:
        """The verdict and every lexicon tag found (``signal:fail``, ``area:login``): the learned model's input."""
        text = text if isinstance(text, str) else str(text)
        lang = lang if isinstance(lang, str) else None
        try:
            folded = prepare(text, self._fold)
            found = self.hits(folded)
            verdict = self._classify(text, lang, folded, found)
        except Exception:  # as classify: a bad post must never stop the bot; the model then reads no tags
            log.exception("classifier failed on a post of %d chars", len(text))
            return Verdict(Action.IGNORE, None, DEFAULT, "error", 0.0), frozenset()
        return verdict, frozenset(f"{h.kind}:{h.name}" for h in found)

    def _negated(self, folded: str, hit: Hit, negators: list[Hit]) -> bool:
        # A failure word is only un-done by a negator right in front of it ("not crashing", "ไม่ค้าง");
        # other words may have a few words in between ("not even down", "ga ngalamin down").
        tight = hit.name == "fail"
        for neg in negators:
            if neg.end > hit.start:
                break
            gap = folded[neg.end : hit.start]
            if tight:
                if not gap.strip() or (" " not in gap and len(gap) <= 2):
                    return True
            elif len(gap) <= self._neg_gap and gap.count(" ") <= self._neg_words and not _CLAUSE_BREAK.search(gap):
                return True
        return False

    def _classify(
        self, text: str, lang: str | None, folded: str | None = None, found: list[Hit] | None = None
    ) -> Verdict:
        """``folded`` and ``found`` are the post's prepared text and hits when the caller has them already."""
        if folded is None:
            folded = prepare(text, self._fold)
        mentioned = handles(text[:400])
        language = self._detector.resolve(lang, text[:400], folded[:400], mentioned)
        if found is None:
            found = self.hits(folded)
        skip = self._not_negators.get(language)
        if skip:  # Tagalog "account ko" (my account) is not Vietnamese "ko" (not)
            found = [h for h in found if h.name != "negator" or folded[h.start : h.end] not in skip]
        negators = [h for h in found if h.kind == "signal" and h.name == "negator"]
        sig: dict[str, list[Hit]] = {}
        areas: list[Hit] = []
        fails: list[Hit] = []
        complaints: list[tuple[int, str]] = []
        states: list[Hit] = []
        explicit = False  # a complaint phrase or an error code, not just a failure word next to an area
        code = self._error_code.search(folded)
        if code:  # "error (ce 30005 8)", "0x80070005": a concrete failure even under sarcastic praise
            complaints.append((code.start(), "outage"))
            explicit = True
        for hit in found:
            if hit.kind == "area":
                areas.append(hit)
                continue
            if hit.kind == "complaint":
                if negators and self._negated(folded, hit, negators):  # "never goes down"
                    sig.setdefault("ok", []).append(hit)
                    continue
                complaints.append((hit.start, hit.name))
                explicit = True
                if hit.name == "outage":  # "won't work" may be about a more specific area nearby
                    fails.append(hit)
                continue
            name = hit.name
            if name in _NEGATABLE and negators and self._negated(folded, hit, negators):
                if name in ("state", "fail"):  # "ga error", "not crashing anymore"
                    sig.setdefault("ok", []).append(hit)
                elif name == "act":
                    fails.append(hit)
                continue
            if name == "fail":
                fails.append(hit)
            elif name == "state":
                states.append(hit)
            elif name != "act":
                sig.setdefault(name, []).append(hit)

        for fail in fails:
            cat = self._paired_area(fail, areas, folded)
            if cat:
                complaints.append((fail.start, cat))
        strong = bool(complaints)
        # A bare state word ("down", "error", "ล่ม") is a weaker complaint: jokes, praise and delivery talk
        # override it. Next to an area ("keranjang error") it still names the category.
        paired = [(s.start, self._paired_area(s, areas, folded)) for s in states]
        weak: list[tuple[int, str]] = [(pos, cat or "outage") for pos, cat in paired]
        about_us = any(cat for _, cat in paired)  # "shopee down lol" is still about the service
        category = self._pick(complaints) if strong else (self._pick(weak) if weak else None)

        def verdict(action: Action, reason: str, cat: str | None, score: float) -> Verdict:
            return Verdict(action, Category(cat) if cat else None, language, reason, score)

        if "spam" in sig and "scam" not in sig:  # a scam report may quote the scammer's "prize"
            return verdict(Action.IGNORE, "spam", None, 0.9)
        escalation = self._escalation(sig, areas, strong or bool(weak), folded, text)
        if escalation:
            reason, esc_cat = escalation
            if esc_cat == "":
                esc_cat = self._money_category(sig, areas, category)
            return verdict(Action.ESCALATE, reason, esc_cat, 0.9)
        if "offline" in sig and "digital" not in sig:  # a queue at the counter, a phone line, store staff
            return verdict(Action.IGNORE, "not_service", None, 0.7)
        if "policy" in sig and not explicit:  # the site works and states a rule ("not eligible")
            return verdict(Action.IGNORE, "not_service", None, 0.6)
        if not strong and "hypothetical" in sig:
            return verdict(Action.IGNORE, "hypothetical", None, 0.6)
        if "resolved" in sig:
            last_resolved = max(h.end for h in sig["resolved"])
            if not any(pos >= last_resolved for pos, _ in complaints):
                return verdict(Action.IGNORE, "resolved_already", None, 0.8)
        if "ok" in sig and not strong:
            return verdict(Action.IGNORE, "negated", None, 0.8)
        if "other_brand" in sig and ("ok" in sig or "contrast" in sig or not strong or "own_brand" not in sig):
            return verdict(Action.IGNORE, "other_brand", None, 0.7)
        if not strong and "praise" in sig:
            return verdict(Action.IGNORE, "praise", None, 0.7)
        if not strong and not about_us and "laugh" in sig:
            return verdict(Action.IGNORE, "joke", None, 0.6)
        if not strong and "not_service" in sig:
            return verdict(Action.IGNORE, "not_service", None, 0.7)
        if category:
            return verdict(Action.REPLY, f"complaint:{category}", category, 0.9 if strong else 0.6)
        return verdict(Action.IGNORE, "no_signal", None, 0.5)

    def _paired_area(self, hit: Hit, areas: list[Hit], folded: str) -> str | None:
        """The most blocking area within the pairing window of a failure word, in the same sentence."""
        best: str | None = None
        best_distance = 0
        for area in areas:
            distance = max(area.start - hit.end, hit.start - area.end, 0)
            if distance > self._window:
                continue
            if best is not None:
                if best in self._nearest and area.name in self._nearest:
                    # the nearer of two ``nearest_wins`` areas fails ("can't checkout my 500k cart")
                    if distance >= best_distance:
                        continue
                elif self._rank.get(area.name, len(self._rank)) >= self._rank.get(best, len(self._rank)):
                    continue
            gap = folded[hit.end : area.start] if area.start >= hit.end else folded[area.end : hit.start]
            if _SENTENCE_BREAK.search(gap):  # "found out via app. awful flight"
                continue
            best, best_distance = area.name, distance
        return best

    def _pick(self, complaints: list[tuple[int, str]]) -> str:
        return min(complaints, key=lambda c: (self._rank.get(c[1], 99), c[0]))[1]

    def _escalation(
        self, sig: dict[str, list[Hit]], areas: list[Hit], complaint: bool, folded: str, text: str
    ) -> tuple[str, str | None] | None:
        """(reason, category) when a human must look; category ``""`` means "decide from money context"."""
        # Someone asking for a secret ("minta PIN", "needs my 6-digit code"); a user's own request is ``neutral``
        if "scam" in sig or self._near(sig.get("ask", []), sig.get("secret", []), ordered=True):
            return "escalate:scam", None
        # Disowning an account action ("bukan aku", "nothing to do with" + orders/login/password) or a credential
        # changed without the user ("no hp berubah sendiri", "password was reset")
        disowned = "disown" in sig and ("acct_act" in sig or "order" in sig or any(a.name == "login" for a in areas))
        if (
            "takeover" in sig
            or "account_locked" in sig
            or disowned
            or self._near(sig.get("cred", []), sig.get("changed", []))
        ):
            # A locked wallet, or a charge on the wallet with no login wording ("a SPayLater purchase I never made")
            wallet = any(a.name == "wallet" for a in areas) and (
                "account_locked" in sig or not any(a.name == "login" for a in areas)
            )
            return "escalate:account_takeover", "wallet" if wallet else "login"
        amounts = len(self._amount.findall(folded))
        amount = amounts > 0
        weak = len(sig.get("money_weak", ()))
        refund = "refund" in sig
        wallet = any(a.name == "wallet" for a in areas)
        # "a charge / PayLater I never made": disowned money is money at risk
        if "disown" in sig and (wallet or amount or weak or "money_word" in sig):
            return "escalate:money", ""
        paid = sig.get("paid", [])
        # Another wallet's double charge, with ours named as the one that works: not our money ("gopay kepotong 2x,
        # shopeepay ga pernah gitu")
        elsewhere = "other_brand" in sig and ("contrast" in sig or "ok" in sig)
        if not elsewhere and (
            "money" in sig
            or "unauthorized" in sig
            # a money movement with a missing outcome: "tf 350rb ... belum masuk", "paid ... still awaiting payment"
            or (paid and ("not_credited" in sig or weak))
            or ("not_credited" in sig and (amount or refund))
            # "kebayar dobel", "billed two times"
            or self._near(sig.get("twice", []), paid + sig.get("money_weak", []))
            # the balance went from one amount to another: "saldo 900rb tinggal 12rb"
            or (wallet and amounts > 1 and "drop" in sig)
        ):
            return "escalate:money", ""
        # Weaker evidence, overridden by a refund a seller promised or a joke about spending the pay cheque
        if (
            not elsewhere
            and "refund_pending" not in sig
            and "spree" not in sig
            and (
                (weak and (amount or wallet or weak > 1 or refund or "money_word" in sig))
                or (refund and (complaint or amount))
            )
        ):
            return "escalate:money", ""
        at = handles(text)
        if "legal" in sig or any(h in self._handles.get("signal:legal", ()) for h in at):
            return "escalate:legal", ""
        return None

    def _near(self, first: list[Hit], second: list[Hit], ordered: bool = False) -> bool:
        """Whether a hit of ``first`` is within ``link_window`` of one of ``second`` (before it if ``ordered``)."""
        for a in first:
            for b in second:
                if b.start >= a.end:
                    if b.start - a.end <= self._link:
                        return True
                elif not ordered and a.start >= b.end and a.start - b.end <= self._link:
                    return True
        return False

    def _money_category(self, sig: dict[str, list[Hit]], areas: list[Hit], category: str | None) -> str | None:
        if any(a.name == "scan" for a in areas):  # a QR payment charged but not received by the shop
            return "scan"
        wallet = any(a.name == "wallet" for a in areas)
        if "bill" in sig and ("credit" in sig or wallet):  # a SPayLater bill, or a bill paid from the wallet
            return "wallet"
        if "refund" in sig and wallet and category is None:  # no failure, only a refund that never reached the wallet
            return "wallet"
        if "order" in sig or category == "checkout":
            return "checkout"
        if category == "wallet" or wallet:
            return "wallet"
        if category is not None:
            return category
        return None
