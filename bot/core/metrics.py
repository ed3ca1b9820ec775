"""Pure evaluation of classifier output against labelled mentions (the engine behind ``replybot eval``).

Definitions (per language and overall):

- reply precision / recall / F1: "reply" is the positive class; an escalate- or ignore-labelled mention
  predicted ``reply`` is a false positive, a reply-labelled mention predicted anything else a false negative.
  With no predicted (or no gold) replies the precision (or recall) is 1.0: nothing went wrong.
- escalate recall: escalate-labelled mentions predicted ``escalate`` / escalate-labelled mentions.
- escalate_auto_replied: escalate-labelled mentions predicted ``reply`` (must be 0: the bot would have
  posted the outage template where a human was needed).
- false-reply rate: ignore-labelled mentions predicted ``reply`` / ignore-labelled mentions.
- category accuracy: over mentions whose gold action is reply or escalate AND whose predicted action equals
  the gold action, the share whose predicted category equals the gold category (``None`` equals ``None``).
  Rows with a wrong action are already counted by the action metrics, so they do not count twice here.
- confusion: ``confusion[gold][pred]`` counts over the three actions, plus the predicted ``review`` (a human
  decides because the model was not sure; it is neither a reply nor an escalation in the figures above).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

ACTIONS = ("reply", "escalate", "ignore")
PREDICTED = (*ACTIONS, "review")
"""A prediction may also be ``review``: the model was not sure and a human decides (nothing is posted)."""
OVERALL = "all"


class Row(NamedTuple):
    """One labelled mention and the classifier's prediction for it."""

    lang: str
    gold_action: str
    gold_category: str | None
    pred_action: str
    pred_category: str | None


def _ratio(num: int, den: int, empty: float = 1.0) -> float:
    return num / den if den else empty


@dataclass
class Scores:
    """Counts and derived figures for one slice of rows (a language, or all of them)."""

    n: int = 0
    reply_tp: int = 0
    reply_fp: int = 0
    reply_fn: int = 0
    escalate_gold: int = 0
    escalate_hit: int = 0
    escalate_auto_replied: int = 0
    ignore_gold: int = 0
    ignore_replied: int = 0
    category_n: int = 0
    category_ok: int = 0
    confusion: dict[str, dict[str, int]] = field(
        default_factory=lambda: {g: {p: 0 for p in PREDICTED} for g in ACTIONS}
    )

    def add(self, row: Row) -> None:
        gold, pred = row.gold_action, row.pred_action
        self.n += 1
        if gold in self.confusion and pred in self.confusion[gold]:
            self.confusion[gold][pred] += 1
        if pred == "reply":
            if gold == "reply":
                self.reply_tp += 1
            else:
                self.reply_fp += 1
        elif gold == "reply":
            self.reply_fn += 1
        if gold == "escalate":
            self.escalate_gold += 1
            self.escalate_hit += pred == "escalate"
            self.escalate_auto_replied += pred == "reply"
        if gold == "ignore":
            self.ignore_gold += 1
            self.ignore_replied += pred == "reply"
        if gold in ("reply", "escalate") and pred == gold:
            self.category_n += 1
            self.category_ok += (row.gold_category or None) == (row.pred_category or None)

    @property
    def reply_precision(self) -> float:
        return _ratio(self.reply_tp, self.reply_tp + self.reply_fp)

    @property
    def reply_recall(self) -> float:
        return _ratio(self.reply_tp, self.reply_tp + self.reply_fn)

    @property
    def reply_f1(self) -> float:
        p, r = self.reply_precision, self.reply_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def escalate_recall(self) -> float:
        return _ratio(self.escalate_hit, self.escalate_gold)

    @property
    def false_reply_rate(self) -> float:
        return _ratio(self.ignore_replied, self.ignore_gold, empty=0.0)

    @property
    def category_accuracy(self) -> float:
        return _ratio(self.category_ok, self.category_n)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "reply_precision": round(self.reply_precision, 4),
            "reply_recall": round(self.reply_recall, 4),
            "reply_f1": round(self.reply_f1, 4),
            "escalate_recall": round(self.escalate_recall, 4),
            "escalate_auto_replied": self.escalate_auto_replied,
            "false_reply_rate": round(self.false_reply_rate, 4),
            "category_accuracy": round(self.category_accuracy, 4),
            "confusion": {g: dict(p) for g, p in self.confusion.items()},
        }


@dataclass
class Report:
    """Scores per language plus ``overall``."""

    overall: Scores
    by_lang: dict[str, Scores]

    def to_dict(self) -> dict[str, Any]:
        return {
            OVERALL: self.overall.to_dict(),
            "by_lang": {lang: s.to_dict() for lang, s in sorted(self.by_lang.items())},
        }

    def format_text(self) -> str:
        head = f"{'lang':<5}{'n':>5}{'P':>7}{'R':>7}{'F1':>7}{'escR':>7}{'escRep':>7}{'FRR':>7}{'cat':>7}"
        lines = [head, "-" * len(head)]
        slices = [*sorted(self.by_lang.items()), (OVERALL, self.overall)]

        def cell(value: float, den: int) -> str:
            return f"{value:>7.3f}" if den else f"{'n/a':>7}"  # no row to measure it on: not a perfect score

        for lang, s in slices:
            replied, complaints = s.reply_tp + s.reply_fp, s.reply_tp + s.reply_fn
            lines.append(
                f"{lang:<5}{s.n:>5}{cell(s.reply_precision, replied)}{cell(s.reply_recall, complaints)}"
                f"{cell(s.reply_f1, replied and complaints)}{cell(s.escalate_recall, s.escalate_gold)}"
                f"{s.escalate_auto_replied:>7d}{cell(s.false_reply_rate, s.ignore_gold)}"
                f"{cell(s.category_accuracy, s.category_n)}"
            )
        lines += [
            "",
            "P, R, F1: precision, recall and F1 of the auto-replies; escR: share of escalate-labelled posts escalated;",
            "escRep: escalate-labelled posts auto-replied (count); FRR: share of ignore-labelled posts auto-replied;",
            "cat: category right among complaints found; n/a: no row to measure it on.",
            "",
            "confusion (rows gold, columns predicted):",
            f"{'':<10}" + "".join(f"{a:>10}" for a in PREDICTED),
        ]
        for gold in ACTIONS:
            lines.append(f"{gold:<10}" + "".join(f"{self.overall.confusion[gold][p]:>10d}" for p in PREDICTED))
        return "\n".join(lines)


def evaluate(rows: Iterable[Row | tuple[str, str, str | None, str, str | None]]) -> Report:
    """Score ``rows`` of (lang, gold_action, gold_category, pred_action, pred_category)."""
    overall = Scores()
    by_lang: dict[str, Scores] = {}
    for raw in rows:
        row = Row(*raw)
        overall.add(row)
        by_lang.setdefault(row.lang, Scores()).add(row)
    return Report(overall=overall, by_lang=by_lang)
