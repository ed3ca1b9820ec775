"""Linear models over hashed features, stored as one ``.npz`` file. Prediction needs numpy only.

A head is a weight matrix (buckets x classes), a bias per class and a calibration: the raw log-probabilities
are mapped by a small matrix fitted on out-of-source predictions (vector scaling), so that a probability of
0.9 means about nine in ten on sources the model never saw.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 3
"""3: a category head per complaint action (2: one category head; 1: 2-4-grams and ``lang:``)."""


class ModelError(ValueError):
    """The model files are missing or do not fit this code: names the file and what is wrong."""


@dataclass(frozen=True)
class Head:
    """One softmax classifier: ``classes`` in column order."""

    classes: tuple[str, ...]
    weights: np.ndarray
    """(2**bits, len(classes)) float32."""
    bias: np.ndarray
    calibration: np.ndarray
    """(len(classes) + 1, len(classes)): raw log-probabilities (plus a 1) times this gives calibrated logits."""

    def raw(self, features: dict[int, float]) -> np.ndarray:
        """Uncalibrated class probabilities."""
        if features:
            idx = np.fromiter(features.keys(), dtype=np.int64, count=len(features))
            val = np.fromiter(features.values(), dtype=np.float32, count=len(features))
            logits = val @ self.weights[idx] + self.bias
        else:
            logits = self.bias.copy()
        return softmax(logits.astype(np.float64))

    def proba(self, features: dict[int, float]) -> np.ndarray:
        """Calibrated class probabilities."""
        return calibrate(self.raw(features), self.calibration)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return out


def calibrate(raw: np.ndarray, calibration: np.ndarray) -> np.ndarray:
    """Apply vector scaling to raw probabilities (one row or many)."""
    logp = np.log(np.clip(raw, 1e-9, 1.0))
    ones = np.ones((*logp.shape[:-1], 1))
    return softmax(np.concatenate([logp, ones], axis=-1) @ calibration)


def identity_calibration(k: int) -> np.ndarray:
    return np.vstack([np.eye(k), np.zeros((1, k))])


HEADS = ("action", "action_text", "category", "category_escalate")
_EMBED_HEAD = "action_embed"
"""A head on sentence embeddings, removed 2026-12-04: source-held-out it no longer beat the n-gram heads
(docs/MODEL.md). A model file that has one is refused with the fix."""


@dataclass(frozen=True)
class Model:
    """Two action heads (reply / escalate / ignore) and two category heads, with their feature settings.

    ``action`` reads the text and the lexicon's signals; ``action_text`` the text alone. Their calibrated
    probabilities are averaged: two views that err differently (measured: the pair catches more escalations and
    makes fewer false replies than either alone).

    ``category`` names the failing area of a reply (fitted on reply-labelled rows), ``category_escalate`` that of
    an escalation (on escalate-labelled rows): an escalation's area follows other cues (money gone is ``wallet``
    or ``checkout``, a seller's fraud has none), so one head for both confused them.
    """

    bits: int
    action: Head
    action_text: Head
    category: Head
    category_escalate: Head
    meta: dict[str, Any]
    """Data counts, seed, commit, configuration: what the card reports."""

    @property
    def category_heads(self) -> tuple[Head, Head]:
        """The reply and the escalation category heads, in that order."""
        return self.category, self.category_escalate

    def action_proba(self, own: dict[int, float], full: dict[int, float]) -> np.ndarray:
        """Averaged calibrated action probabilities (text-only and full)."""
        averaged: np.ndarray = (self.action.proba(full) + self.action_text.proba(own)) / 2
        return averaged

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for name in HEADS:
            head: Head = getattr(self, name)
            arrays[f"{name}_weights"] = head.weights.astype(np.float16)
            arrays[f"{name}_bias"] = head.bias.astype(np.float32)
            arrays[f"{name}_calibration"] = head.calibration.astype(np.float64)
        header = {
            "format": FORMAT,
            "bits": self.bits,
            **{f"{name}_classes": list(getattr(self, name).classes) for name in HEADS},
            "meta": self.meta,
        }
        arrays["header"] = np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8)
        with path.open("wb") as fh:
            np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> Model:
        if not path.is_file():
            raise ModelError(f"{path}: no model file here; run `replybot train` or set [model] path")
        try:
            with np.load(path) as z:
                header = json.loads(bytes(z["header"]).decode("utf-8"))
                if header.get("format") != FORMAT:
                    raise ModelError(
                        f"{path}: model format {header.get('format')}, this code reads {FORMAT}; "
                        "retrain it with `replybot train`"
                    )
                if f"{_EMBED_HEAD}_classes" in header:
                    raise ModelError(
                        f"{path}: this model has a sentence-embedding head, which replybot no longer runs; "
                        "retrain it with `replybot train`"
                    )
                heads = {}
                for name in HEADS:
                    heads[name] = Head(
                        tuple(header[f"{name}_classes"]),
                        z[f"{name}_weights"].astype(np.float32),
                        z[f"{name}_bias"].astype(np.float32),
                        z[f"{name}_calibration"].astype(np.float64),
                    )
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"{path}: not a replybot model ({type(exc).__name__}: {exc})") from exc
        return cls(int(header["bits"]), **heads, meta=dict(header.get("meta", {})))
