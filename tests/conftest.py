"""Shared fixtures: the classifier built from the repository's own lexicon, loaded once per session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.core.classifier import Classifier

REPO = Path(__file__).resolve().parents[1]
LEXICON_DIR = REPO / "config" / "lexicon"
LABELLED = Path(__file__).resolve().parent / "data" / "labelled_mentions.jsonl"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    return Classifier.load(LEXICON_DIR)


@pytest.fixture(scope="session")
def labelled_rows() -> list[dict[str, Any]]:
    return read_jsonl(LABELLED)
