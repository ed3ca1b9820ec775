"""With ../shared/corpus present (CI has it): the shipped model is what `replybot train` builds from it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ROOT

from bot.cli import main
from bot.entrypoints.learn import default_corpus, load_dataset, reserved_for, team_sets
from bot.model.data import fingerprint
from bot.model.linear import HEADS, Model

SHIPPED = ROOT / "models" / "default" / "model.npz"
CORPUS = default_corpus()
pytestmark = pytest.mark.skipif(CORPUS is None, reason="../shared/corpus is absent")


def test_no_reserved_post_is_trained_on() -> None:
    assert CORPUS is not None
    paths = [CORPUS, *team_sets()]
    reserved = reserved_for(paths)
    assert reserved, "the corpus ships reserved_fingerprints.txt"
    dataset = load_dataset(paths)
    assert not [r for r in dataset.rows if fingerprint(r["text"]) in reserved]


@pytest.mark.slow
def test_retraining_from_the_corpus_reproduces_the_shipped_model(tmp_path: Path) -> None:
    shipped = Model.load(SHIPPED)
    result = CliRunner().invoke(main, ["train", "--skip-eval", "--out", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    again = Model.load(tmp_path / "model.npz")
    assert again.meta["files"] == shipped.meta["files"], "the training data changed: run `replybot train`"
    assert again.meta["config"] == shipped.meta["config"]
    for name in HEADS:
        a, b = getattr(again, name), getattr(shipped, name)
        assert np.abs(a.weights - b.weights).max() < 2e-3, name
        assert np.abs(a.calibration - b.calibration).max() < 1e-3, name
