"""Placeholder classifier (replaced by the lexicon engine)."""

from __future__ import annotations

from pathlib import Path

from bot.core.models import Action, Category, Verdict

_WORDS = {
    Category.LOGIN: ("logout", "log out", "logged out", "login", "masuk", "ล็อกอิน", "เข้าสู่ระบบ"),
    Category.WALLET: ("shopeepay", "saldo", "balance", "top up"),
    Category.CHECKOUT: ("checkout", "check out"),
    Category.OUTAGE: ("error", "down", "ล่ม", "gabisa", "not loading"),
}
_ESCALATE = ("hilang", "deducted", "terpotong", "hacked", "dibobol")


class Classifier:
    @classmethod
    def load(cls, lexicon_dir: Path) -> Classifier:
        return cls()

    def classify(self, text: str, lang: str | None = None) -> Verdict:
        low = text.lower()
        lang = lang or "en"
        if any(w in low for w in _ESCALATE):
            return Verdict(Action.ESCALATE, Category.WALLET, lang, "escalate:money")
        for cat, words in _WORDS.items():
            if any(w in low for w in words):
                return Verdict(Action.REPLY, cat, lang, f"complaint:{cat.value}")
        return Verdict(Action.IGNORE, None, lang, "no_signal")
