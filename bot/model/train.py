"""Fitting the model: seeded, same data gives the same model. Needs the ``train`` extra (scikit-learn, scipy).

Each head is a logistic-loss linear model fitted by SGD over hashed features. The action head is calibrated by
vector scaling fitted on out-of-source predictions: the training rows are split into groups by source (the
``repo`` field), each group is predicted by a model fitted on the others, and a small multinomial regression
maps those raw log-probabilities to the labels. Low-confidence rows count half.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from bot.core.classifier import Classifier
from bot.core.models import Verdict
from bot.model.data import ACTIONS, CATEGORIES, NO_CATEGORY
from bot.model.learned import post_features
from bot.model.linear import Head, Model, identity_calibration


@dataclass(frozen=True)
class TrainConfig:
    bits: int = 18
    alpha: float = 1e-5
    epochs: int = 10
    seed: int = 13
    low_confidence_weight: float = 0.5
    calibration_folds: int = 3
    balance: str = "global"
    """``global``: the three actions weigh the same in total. ``language``: every (language, action) cell does
    (a cell counts at least ``min_cell`` rows). Measured source-held-out at the default point, ``language`` raised
    escalate recall from 0.65 to 0.85 but sent a third of the ignore-labelled posts to a human (1,842 of 5,559
    against 522) with more false replies (1.7 % against 1.3 %), so it is not the default."""
    min_cell: int = 20
    source_power: float = 0.5
    """Each row also weighs ``(median source size / its source's size) ** source_power``, so that a few large
    sources do not set the model's idea of a complaint (0: off). Source-held-out, 0.5 raised escalate AP
    0.529 → 0.542 with reply AP level; 1.0 lowered reply precision."""


@dataclass(frozen=True)
class Matrix:
    """Rows featurised once: a CSR matrix, its labels and groups. Features do not depend on the training set."""

    x: Any
    """The full features (text and lexicon)."""
    x_text: Any
    """The text part alone (characters, words, language)."""
    actions: np.ndarray
    categories: list[str]
    weights: np.ndarray
    groups: np.ndarray
    lexicon: list[tuple[Verdict, frozenset[str]]]
    """The lexicon's verdict and tags per row (the guardrail reads them)."""

    def subset(self, index: np.ndarray) -> Matrix:
        pick = index.tolist()
        return Matrix(
            self.x[index],
            self.x_text[index],
            self.actions[index],
            [self.categories[i] for i in pick],
            self.weights[index],
            self.groups[index],
            [self.lexicon[i] for i in pick],
        )


def _csr(vectors: list[dict[int, float]], bits: int) -> Any:
    import scipy.sparse as sp

    pointers = np.cumsum([0, *(len(v) for v in vectors)])
    indices = np.fromiter((k for v in vectors for k in v), np.int64, count=int(pointers[-1]))
    values = np.fromiter((x for v in vectors for x in v.values()), np.float32, count=int(pointers[-1]))
    return sp.csr_matrix((values, indices, pointers), shape=(len(vectors), 1 << bits))


def featurise(rows: Sequence[dict[str, Any]], lexicon: Classifier, bits: int, config: TrainConfig) -> Matrix:
    own_parts: list[dict[int, float]] = []
    full_parts: list[dict[int, float]] = []
    readings = []
    for row in rows:
        own, full, verdict, tags = post_features(lexicon, row["text"], row.get("lang") or None, bits)
        readings.append((verdict, tags))
        own_parts.append(own)
        full_parts.append(full)
    return Matrix(
        _csr(full_parts, bits),
        _csr(own_parts, bits),
        np.array([ACTIONS.index(r["action"]) for r in rows]),
        [r.get("category") or NO_CATEGORY for r in rows],
        _weights(rows, config),
        np.array([str(r.get("repo") or "") for r in rows]),
        readings,
    )


def _weights(rows: Sequence[dict[str, Any]], config: TrainConfig) -> np.ndarray:
    confidence = np.array([config.low_confidence_weight if r.get("confidence") == "low" else 1.0 for r in rows])
    if config.source_power and rows:
        repos = [str(r.get("repo") or "") for r in rows]
        sources = Counter(repos)
        median = float(np.median(list(sources.values())))
        by_source = np.array([(median / sources[repo]) ** config.source_power for repo in repos])
        confidence = confidence * by_source / by_source.mean()
    if config.balance != "language":
        return confidence
    cells = Counter((str(r.get("lang") or ""), r["action"]) for r in rows)
    share = len(rows) / len(cells)
    balance = np.array([share / max(cells[(str(r.get("lang") or ""), r["action"])], config.min_cell) for r in rows])
    weights: np.ndarray = confidence * balance / balance.mean()
    return weights


def _sgd(config: TrainConfig, balanced: bool) -> Any:
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(
        loss="log_loss",
        alpha=config.alpha,
        max_iter=config.epochs,
        tol=None,
        class_weight="balanced" if balanced else None,
        random_state=config.seed,
    )


def _head(
    x: Any, y: np.ndarray, w: np.ndarray, classes: Sequence[str], config: TrainConfig, balanced: bool = True
) -> Head:
    """A head over ``classes`` (every class gets a column, even one absent from ``y``). ``balanced``: every
    class weighs the same in total (the action heads with ``balance = "global"``)."""
    k = len(classes)
    present = sorted(set(y.tolist()))
    weights = np.zeros((x.shape[1], k), np.float32)
    bias = np.full(k, -30.0, np.float32)  # an absent class never wins
    if len(present) <= 1:  # nothing to fit: the one class seen wins (with none seen, the first)
        bias[present[0] if present else 0] = 0.0
        return Head(tuple(classes), weights, bias, identity_calibration(k))
    model = _sgd(config, balanced)
    model.fit(x, y, sample_weight=w)
    for cls, coef, intercept in _per_class(model):
        weights[:, cls] = coef
        bias[cls] = intercept
    return Head(tuple(classes), weights, bias, identity_calibration(k))


def _per_class(model: Any) -> list[tuple[int, np.ndarray, float]]:
    """(class, coefficients, intercept) of a fitted scikit-learn linear classifier, one per class it saw. A
    binary fit has one coefficient row, for the second class: it is split into two opposite halves, which give
    the same softmax."""
    coef = np.asarray(model.coef_, np.float64)
    intercept = np.asarray(model.intercept_, np.float64)
    if len(model.classes_) == 2:
        coef = np.vstack([-coef[0], coef[0]]) / 2
        intercept = np.array([-intercept[0], intercept[0]]) / 2
    return [(int(cls), coef[j], float(intercept[j])) for j, cls in enumerate(model.classes_)]


def raw_probs(head: Head, x: Any) -> np.ndarray:
    """Uncalibrated probabilities of a head for every row of a sparse matrix."""
    from bot.model.linear import softmax

    logits = np.asarray(x @ head.weights.astype(np.float64)) + head.bias
    return softmax(logits)


def _fold_of(groups: np.ndarray, folds: int) -> np.ndarray:
    """Groups dealt to ``folds`` folds, largest first, each to the currently smallest fold (deterministic)."""
    names, counts = np.unique(groups, return_counts=True)
    sizes = [0] * folds
    assign: dict[str, int] = {}
    for i in sorted(range(len(names)), key=lambda i: (-counts[i], names[i])):
        f = sizes.index(min(sizes))
        assign[str(names[i])] = f
        sizes[f] += int(counts[i])
    return np.array([assign[str(g)] for g in groups])


def _calibration(raw: np.ndarray, y: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    """Vector scaling: a multinomial regression from raw log-probabilities to labels."""
    from sklearn.linear_model import LogisticRegression

    logp = np.log(np.clip(raw, 1e-9, 1.0))
    fit = LogisticRegression(C=10.0, max_iter=1000)
    fit.fit(logp, y, sample_weight=w)
    matrix = np.zeros((k + 1, k))
    matrix[k] = -30.0  # a class absent from ``y`` never wins
    for cls, coef, intercept in _per_class(fit):
        matrix[:k, cls] = coef
        matrix[k, cls] = intercept
    return matrix


def _calibrated_head(x: Any, m: Matrix, config: TrainConfig) -> Head:
    """An action head on ``x``, calibrated on predictions for each source group by a head fitted without it."""
    k = len(ACTIONS)
    balanced = config.balance != "language"
    head = _head(x, m.actions, m.weights, ACTIONS, config, balanced)
    if config.calibration_folds < 2:
        return head
    folds = _fold_of(m.groups, config.calibration_folds)
    if len(set(folds.tolist())) < 2:
        return head
    raw = np.zeros((len(m.actions), k))
    for f in sorted(set(folds.tolist())):
        train, test = folds != f, folds == f
        fold_head = _head(x[train], m.actions[train], m.weights[train], ACTIONS, config, balanced)
        raw[test] = raw_probs(fold_head, x[test])
    return Head(head.classes, head.weights, head.bias, _calibration(raw, m.actions, m.weights, k))


def _category_head(m: Matrix, action: str, config: TrainConfig) -> Head:
    """The category head of one complaint action, fitted on the rows labelled with it.

    Not class-balanced: a rare area (``cart``, ``chat``) should not win over the common one on weak evidence.
    Source-held-out, one head per action without balancing raised category accuracy 0.785 → 0.810 against one
    balanced head for both actions (0.802 with balancing)."""
    classes = (*CATEGORIES, NO_CATEGORY)
    rows = m.actions == ACTIONS.index(action)
    if not rows.any():  # no row of this action (a small custom set): learn from every complaint
        rows = m.actions != ACTIONS.index("ignore")
    y = np.array([classes.index(c) for c, keep in zip(m.categories, rows, strict=True) if keep], dtype=np.int64)
    return _head(m.x[rows], y, m.weights[rows], classes, config, balanced=False)


def fit(m: Matrix, config: TrainConfig, meta: dict[str, Any] | None = None, bits: int | None = None) -> Model:
    """All four heads on every row of ``m``, the action heads calibrated on out-of-source predictions."""
    return Model(
        bits or int(np.log2(m.x.shape[1])),
        action=_calibrated_head(m.x, m, config),
        action_text=_calibrated_head(m.x_text, m, config),
        category=_category_head(m, "reply", config),
        category_escalate=_category_head(m, "escalate", config),
        meta={"config": asdict(config), **(meta or {})},
    )
