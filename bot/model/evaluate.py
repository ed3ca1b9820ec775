"""Honest scoring: hold one source out, train on the rest, predict it; for every source. Needs the ``train`` extra.

``cross_validate`` returns, for every evaluated row, what a model that never saw that row's source read in it
(calibrated probabilities, category, the lexicon's verdict and tags). Any operating point can then be applied
to those readings without refitting, which is how the threshold curve is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from bot.core.classifier import Classifier
from bot.core.metrics import Report, Row, Scores, evaluate
from bot.core.models import Verdict
from bot.model.decide import Categories, OperatingPoint, Probabilities
from bot.model.learned import combine
from bot.model.linear import calibrate
from bot.model.train import Matrix, TrainConfig, featurise, fit, raw_probs


@dataclass(frozen=True)
class Reading:
    """What an out-of-source model read in one row."""

    row: dict[str, Any]
    probs: Probabilities
    categories: Categories
    lexicon: Verdict
    tags: frozenset[str]

    def verdict(self, point: OperatingPoint) -> Verdict:
        return combine(self.probs, self.categories, self.lexicon, self.tags, point)


def _fold(
    m: Matrix, train: np.ndarray, test: np.ndarray, config: TrainConfig, bits: int
) -> tuple[np.ndarray, np.ndarray, list[Categories]]:
    model = fit(m.subset(train), config, bits=bits)
    x, x_text = m.x[test], m.x_text[test]
    probs = (  # as Model.action_proba weighs them, on matrices
        calibrate(raw_probs(model.action, x), model.action.calibration)
        + calibrate(raw_probs(model.action_text, x_text), model.action_text.calibration)
    ) / 2
    reply, escalate = (
        [head.classes[int(j)] for j in raw_probs(head, x).argmax(axis=1)] for head in model.category_heads
    )
    return test, probs, [Categories(r, e) for r, e in zip(reply, escalate, strict=True)]


def cross_validate(
    rows: Sequence[dict[str, Any]],
    lexicon: Classifier,
    config: TrainConfig,
    by: str = "repo",
    evaluate_only: Sequence[bool] | None = None,
    fraction: float = 1.0,
    jobs: int = 2,
) -> list[Reading]:
    """Source-held-out readings of the rows marked in ``evaluate_only`` (all rows if None).

    For each value of ``by`` among those rows, a model is fitted on every row with another value (rows of other
    files, such as the team's own sets, always train) and predicts the held-out ones. ``fraction`` < 1 trains
    each fold on a seeded random share of its training rows: the learning curve.
    """
    from joblib import Parallel, delayed

    bits = config.bits
    groups = [str(r.get(by) or "") for r in rows]
    m = featurise(rows, lexicon, bits, config)
    m = replace(m, groups=np.array(groups))
    scored = np.array(evaluate_only if evaluate_only is not None else [True] * len(rows))
    held = sorted({g for g, s in zip(groups, scored, strict=True) if s})
    rng = np.random.default_rng(config.seed)
    tasks = []
    for g in held:
        is_g = m.groups == g
        train = np.where(~is_g)[0]
        if fraction < 1.0:
            train = np.sort(rng.choice(train, size=max(1, int(len(train) * fraction)), replace=False))
        tasks.append((train, np.where(is_g & scored)[0]))
    results = Parallel(n_jobs=jobs)(delayed(_fold)(m, tr, te, config, bits) for tr, te in tasks)
    readings: dict[int, Reading] = {}
    for test, probs, cats in results:
        for i, p, c in zip(test.tolist(), probs.tolist(), cats, strict=True):
            verdict, tags = m.lexicon[i]
            readings[i] = Reading(rows[i], Probabilities(p[0], p[1], p[2]), c, verdict, tags)
    return [readings[i] for i in sorted(readings)]


def score(readings: Sequence[Reading], point: OperatingPoint) -> Report:
    """Precision, recall, escalations and categories of the readings at one operating point."""
    rows = []
    for r in readings:
        v = r.verdict(point)
        rows.append(
            Row(
                r.row.get("lang") or v.lang,
                r.row["action"],
                r.row.get("category"),
                v.action.value,
                v.category.value if v.category else None,
            )
        )
    return evaluate(rows)


def summary(s: Scores) -> dict[str, Any]:
    """The figures of one slice that the card, the curve and the learning curve show."""
    replied = s.reply_tp + s.reply_fp
    return {
        "n": s.n,
        "precision": round(s.reply_precision, 3),
        "recall": round(s.reply_recall, 3),
        "coverage": round(replied / s.n, 3) if s.n else 0.0,
        "false_reply_rate": round(s.false_reply_rate, 4),
        "escalate_recall": round(s.escalate_recall, 3),
        "escalate_auto_replied": s.escalate_auto_replied,
        "category": round(s.category_accuracy, 3),
    }


def curve(readings: Sequence[Reading], base: OperatingPoint, thresholds: Sequence[float]) -> list[dict[str, Any]]:
    """Reply precision, recall and coverage at each reply threshold (other settings as in ``base``)."""
    return [
        {"reply_threshold": t, **summary(score(readings, replace(base, reply_threshold=t)).overall)} for t in thresholds
    ]
