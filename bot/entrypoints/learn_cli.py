"""The ``train`` command and the model side of ``eval`` (``--cv-by``, ``--thresholds``)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from bot.core.classifier import Classifier
from bot.entrypoints.common import common_options, fail, load
from bot.entrypoints.learn import (
    CURVE_THRESHOLDS,
    MODEL_DIR,
    Dataset,
    TrainingUnavailable,
    default_corpus,
    load_dataset,
    require_training_extra,
    source_held_out,
    team_sets,
    train_model,
)
from bot.model.data import DataError
from bot.model.train import TrainConfig


def _dataset(files: tuple[Path, ...], corpus: bool, team: bool) -> Dataset:
    paths: list[Path] = []
    if corpus:
        found = default_corpus()
        if found is None:
            fail(
                "no corpus: ../shared/corpus/corpus.jsonl is absent and $REPLYBOT_CORPUS is unset (or pass --no-corpus)"
            )
        paths.append(found)
    paths += list(files)
    if team:
        paths += team_sets()
    if not paths:
        fail("no training data: give --data FILE.jsonl")
    try:
        return load_dataset(paths)
    except DataError as exc:
        fail(str(exc))


@click.command()
@common_options
@click.option(
    "--data",
    "files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="More labelled JSONL in the corpus format (e.g. `export --labelled`); repeatable.",
)
@click.option("--corpus/--no-corpus", default=True, show_default=True, help="Train on ../shared/corpus.")
@click.option(
    "--team/--no-team", default=True, show_default=True, help="Train on the team's sets in tests/data and data/team."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=MODEL_DIR,
    show_default=True,
    help="Folder for model.npz and MODEL_CARD.md.",
)
@click.option("--seed", type=int, default=TrainConfig.seed, show_default=True)
@click.option("--skip-eval", is_flag=True, help="No source-held-out figures in the card (faster).")
@click.option("--no-learning-curve", is_flag=True, help="Source-held-out figures, but no learning curve.")
def train(
    config_path: Path | None,
    db_path: Path | None,
    files: tuple[Path, ...],
    corpus: bool,
    team: bool,
    out_dir: Path,
    seed: int,
    skip_eval: bool,
    no_learning_curve: bool,
) -> None:
    """Train the classifier's model from labelled posts; write the model and its card."""
    started = time.monotonic()
    settings = load(config_path, db_path)
    try:
        require_training_extra()
    except TrainingUnavailable as exc:
        fail(str(exc))
    dataset = _dataset(files, corpus, team)
    lexicon = Classifier.load(settings.lexicon_dir)
    config = TrainConfig(seed=seed)
    click.echo(f"training on {len(dataset.rows)} rows from {len(dataset.files)} file(s)", err=True)
    figures = None
    if not skip_eval:
        figures = source_held_out(dataset, lexicon, config, settings.model.point, "repo", not no_learning_curve)
        click.echo(figures["text"], err=True)
    path = train_model(dataset, lexicon, config, out_dir, figures, started)
    click.echo(f"wrote {path} and {path.parent / 'MODEL_CARD.md'}")


def cross_validated(
    settings: Any, input_path: Path, by: str, team: bool, thresholds: tuple[float, ...], as_json: bool
) -> None:
    """``eval FILE --cv-by FIELD``: every value of FIELD held out in turn."""
    try:
        require_training_extra()
    except TrainingUnavailable as exc:
        fail(str(exc))
    dataset = _dataset((input_path,), False, team)
    lexicon = Classifier.load(settings.lexicon_dir)
    figures = source_held_out(dataset, lexicon, TrainConfig(), settings.model.point, by, False, thresholds)
    if as_json:
        click.echo(json.dumps({k: v for k, v in figures.items() if k != "text"}, ensure_ascii=False))
        return
    click.echo(f"held out by {by}: {figures['held_out_sources']} values, {figures['rows']} rows")
    click.echo(figures["text"])
    print_curve(figures["curve"])


def print_curve(rows: list[dict[str, Any]]) -> None:
    click.echo("")
    click.echo(f"{'reply_threshold':>15}{'P':>7}{'R':>7}{'cover':>7}{'FRR':>8}{'escR':>7}{'escRep':>7}")
    for r in rows:
        click.echo(
            f"{r['reply_threshold']:>15.2f}{r['precision']:>7.3f}{r['recall']:>7.3f}{r['coverage']:>7.3f}"
            f"{r['false_reply_rate']:>8.4f}{r['escalate_recall']:>7.3f}{r['escalate_auto_replied']:>7d}"
        )


def threshold_curve(settings: Any, rows: list[dict[str, Any]], thresholds: tuple[float, ...]) -> list[dict[str, Any]]:
    """The shipped model's precision/recall/coverage at each reply threshold, over labelled rows."""
    from bot.bootstrap import make_classifier
    from bot.model.evaluate import Reading, curve
    from bot.model.learned import LearnedClassifier

    classifier = make_classifier(settings)
    if not isinstance(classifier, LearnedClassifier):
        fail('--thresholds needs [model] engine = "learned"')
    readings = []
    for row in rows:
        probs, categories, verdict, tags = classifier.read(row["text"], row.get("lang"))
        readings.append(Reading(row, probs, categories, verdict, tags))
    return curve(readings, settings.model.point, thresholds or CURVE_THRESHOLDS)
