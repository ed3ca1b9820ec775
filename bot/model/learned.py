"""The classifier the bot runs: the lexicon reads the post, the model decides, the lexicon guards.

``LearnedClassifier.classify(text, lang, point) -> Verdict`` never raises; with an internal error of the model
it falls back to the lexicon's verdict, a reply becoming a human review (``error:model, lexicon ...``).

Category: the choice of the category head of the action taken (the escalation head for an escalation, a guardrail
one too; the reply head otherwise): on held-out sources the heads name the area more often than the lexicon;
when the head says "none", the lexicon's category (for a reply: else ``outage``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.core.classifier import Classifier
from bot.core.language import DEFAULT
from bot.core.models import Action, Category, Verdict
from bot.model.data import NO_CATEGORY
from bot.model.decide import Categories, OperatingPoint, Probabilities, choose
from bot.model.features import LexiconReading, hashed_parts, merged
from bot.model.linear import Model

log = logging.getLogger(__name__)


def reading_of(verdict: Verdict, tags: frozenset[str]) -> LexiconReading:
    return LexiconReading(
        verdict.action.value, verdict.reason, verdict.category.value if verdict.category else None, tags
    )


def post_features(
    lexicon: Classifier, text: str, lang: str | None, bits: int
) -> tuple[dict[int, float], dict[int, float], Verdict, frozenset[str]]:
    """A post's text-only and full feature vectors, with the lexicon's verdict and tags. Training and the
    running bot both call this, so a model always sees at run time the features it was trained on."""
    verdict, tags = lexicon.analyse(text, lang)
    own, lexical = hashed_parts(text, reading_of(verdict, tags), bits, lexicon.char_fold)
    return own, merged(own, lexical), verdict, tags


class LearnedClassifier:
    """The lexicon engine plus a trained :class:`Model`. Build with :meth:`load`."""

    def __init__(self, lexicon: Classifier, model: Model, point: OperatingPoint | None = None) -> None:
        self.lexicon = lexicon
        self.model = model
        self.point = point or OperatingPoint()

    @classmethod
    def load(cls, lexicon_dir: Path, model_path: Path, point: OperatingPoint | None = None) -> LearnedClassifier:
        return cls(Classifier.load(lexicon_dir), Model.load(model_path), point)

    def read(self, text: str, lang: str | None = None) -> tuple[Probabilities, Categories, Verdict, frozenset[str]]:
        """The model's calibrated action probabilities and categories, with the lexicon's verdict and tags."""
        own, full, verdict, tags = post_features(self.lexicon, text, lang, self.model.bits)
        p = dict(zip(self.model.action.classes, self.model.action_proba(own, full).tolist(), strict=True))
        reply, escalate = (head.classes[int(head.raw(full).argmax())] for head in self.model.category_heads)
        return Probabilities(p["reply"], p["escalate"], p["ignore"]), Categories(reply, escalate), verdict, tags

    def classify(self, text: str, lang: str | None = None, point: OperatingPoint | None = None) -> Verdict:
        """The verdict for one post at ``point`` (the account's operating point; the default one if None)."""
        lang = lang if isinstance(lang, str) else None  # unknown: detected from the text
        try:
            probs, categories, verdict, tags = self.read(text if isinstance(text, str) else str(text), lang)
            return combine(probs, categories, verdict, tags, point or self.point)
        except Exception:  # a bad post must never stop the bot: the lexicon's word, never an auto-reply
            log.exception("learned classifier failed on a post of %d chars", len(text) if isinstance(text, str) else 0)
            return self._fallback(text, lang)

    def _fallback(self, text: str, lang: str | None) -> Verdict:
        """The lexicon's verdict with its reply turned into a human review (``error:`` in the reason)."""
        lexicon = self.lexicon.classify(text if isinstance(text, str) else str(text), lang)
        action = Action.REVIEW if lexicon.action is Action.REPLY else lexicon.action
        if lexicon.reason == "error":
            return Verdict(Action.IGNORE, None, DEFAULT, "error", 0.0)
        return Verdict(action, lexicon.category, lexicon.lang, f"error:model, lexicon {lexicon.reason}", 0.0)


class LexiconEngine:
    """The lexicon alone (``[model] engine = "lexicon"``): the word lists decide, no thresholds apply."""

    def __init__(self, lexicon: Classifier) -> None:
        self.lexicon = lexicon

    def classify(self, text: str, lang: str | None = None, point: OperatingPoint | None = None) -> Verdict:
        return self.lexicon.classify(text, lang)


def combine(
    p: Probabilities, categories: Categories, lexicon: Verdict, tags: frozenset[str], point: OperatingPoint
) -> Verdict:
    """The verdict from the model's reading and the lexicon's (pure; ``replybot eval --cv-by`` uses it too)."""
    action, reason, score = choose(p, lexicon, tags, point)
    chosen: Category | None = None
    if action is not Action.IGNORE:
        category = categories.of(action)
        if category != NO_CATEGORY:
            chosen = Category(category)
        elif action is Action.ESCALATE:  # a scam report or a billing dispute may have no failing area
            chosen = lexicon.category
        else:
            chosen = lexicon.category or Category.OUTAGE
    return Verdict(action, chosen, lexicon.lang, reason, round(score, 4))
