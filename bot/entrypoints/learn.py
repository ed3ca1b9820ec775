"""``replybot train`` and ``replybot eval --cv-by``: the model built from named data, and scored honestly.

Training needs the ``train`` extra (``pip install -e '.[train]'``: scikit-learn); the bot itself needs numpy only.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.core.classifier import Classifier
from bot.model import data
from bot.model.decide import OperatingPoint
from bot.model.train import TrainConfig

ROOT = Path(__file__).resolve().parents[2]
SHARED_CORPUS = ROOT.parent / "shared" / "corpus" / "corpus.jsonl"
TEAM_SETS = ROOT / "tests" / "data"
TEAM_TRAINING = ROOT / "data" / "team"
"""The team's training-only examples across industries and genres (written from CONVENTIONS.md, not held to
the lexicon's targets as ``tests/data`` is)."""
MODEL_DIR = ROOT / "models" / "default"
CURVE_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
LEARNING_FRACTIONS = (0.25, 0.5, 1.0)


class TrainingUnavailable(RuntimeError):
    """scikit-learn is not installed: training and cross-validation need the ``train`` extra."""


def require_training_extra() -> None:
    try:
        import joblib  # noqa: F401
        import scipy  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise TrainingUnavailable(
            f"training needs scikit-learn ({exc.name} is missing): pip install -e '.[train]'"
        ) from None


def default_corpus() -> Path | None:
    """``$REPLYBOT_CORPUS``, else ``../shared/corpus/corpus.jsonl`` beside the repository, if it exists."""
    named = os.environ.get("REPLYBOT_CORPUS")
    path = Path(named) if named else SHARED_CORPUS
    return path if path.is_file() else None


def team_sets() -> list[Path]:
    return sorted(TEAM_SETS.glob("labelled*.jsonl")) + sorted(TEAM_TRAINING.glob("*.jsonl"))


def reserved_for(paths: Sequence[Path]) -> frozenset[str]:
    """Reserved fingerprints listed beside any of the data files (the corpus ships them)."""
    found: set[str] = set()
    for path in paths:
        found |= data.read_fingerprints(path.parent / "reserved_fingerprints.txt")
    return frozenset(found)


@dataclass(frozen=True)
class Dataset:
    rows: list[dict[str, Any]]
    files: list[Path]
    dropped: int


def load_dataset(paths: Sequence[Path]) -> Dataset:
    rows, dropped = data.load(paths, reserved_for(paths))
    return Dataset(rows, list(paths), dropped)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def counts(rows: Sequence[dict[str, Any]], key: str) -> dict[str, dict[str, int]]:
    """Rows per value of ``key``, split by action."""
    out: dict[str, Counter[str]] = {}
    for r in rows:
        out.setdefault(str(r.get(key) or ""), Counter())[r["action"]] += 1
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def source_held_out(
    dataset: Dataset,
    lexicon: Classifier,
    config: TrainConfig,
    point: OperatingPoint,
    by: str,
    learning: bool,
    thresholds: Sequence[float] = (),
) -> dict[str, Any]:
    """Figures of the source-held-out evaluation over the rows of every file but the team's own sets."""
    from bot.model.evaluate import cross_validate, curve, score, summary

    scored = [not str(r.get("repo", "")).startswith("team:") for r in dataset.rows]
    started = time.monotonic()
    readings = cross_validate(dataset.rows, lexicon, config, by=by, evaluate_only=scored)
    report = score(readings, point)
    figures: dict[str, Any] = {
        "by": by,
        "rows": len(readings),
        "held_out_sources": len({str(r.row.get(by) or "") for r in readings}),
        "point": {k: getattr(point, k) for k in ("reply_threshold", "escalate_threshold", "review_threshold")},
        "report": report.to_dict(),
        "text": report.format_text(),
        "curve": curve(readings, point, thresholds or CURVE_THRESHOLDS),
        "seconds": round(time.monotonic() - started, 1),
    }
    if learning:
        reports = {
            fraction: score(cross_validate(dataset.rows, lexicon, config, by, scored, fraction), point)
            for fraction in LEARNING_FRACTIONS[:-1]
        }
        reports[1.0] = report
        figures["learning_curve"] = [{"fraction": f, **summary(r.overall)} for f, r in reports.items()]
        figures["learning_by_language"] = [
            {"lang": lang, "fraction": f, **summary(s)}
            for lang in sorted(report.by_lang)
            for f, r in reports.items()
            if (s := r.by_lang.get(lang)) is not None
        ]
    return figures


def train_model(
    dataset: Dataset,
    lexicon: Classifier,
    config: TrainConfig,
    out_dir: Path,
    figures: dict[str, Any] | None,
    started: float | None = None,
) -> Path:
    """Fit on every row, write ``model.npz`` and ``MODEL_CARD.md`` into ``out_dir``; return the model path.

    ``started`` (a ``time.monotonic()`` reading) is when the whole run began, evaluation included."""
    from bot.model.card import write_card
    from bot.model.train import featurise, fit

    started = time.monotonic() if started is None else started
    matrix = featurise(dataset.rows, lexicon, config.bits, config)
    meta = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "files": [{"name": p.name, "sha256": _sha(p)} for p in dataset.files],
        "rows": len(dataset.rows),
        "dropped": dataset.dropped,
        "by_language": counts(dataset.rows, "lang"),
        "by_source": counts(dataset.rows, "repo"),
    }
    model = fit(matrix, config, meta=meta)
    path = out_dir / "model.npz"
    model.save(path)
    write_card(out_dir / "MODEL_CARD.md", model, figures, time.monotonic() - started)
    return path
