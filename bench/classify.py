"""Throughput of the classifier on one core: the learned model (default engine) and the lexicon alone.

Builds >= 100,000 mixed-language mentions from the project's own labelled file (tests/data) by cycling
through it with small variations (case, repeated letters, extra mentions, hashtags, URLs, X language tags),
classifies them all and prints mentions per second. The last line is a JSON summary:

    {"bench": "classify", "per_second": ... (learned), "lexicon_per_second": ..., "mentions": ...}

Usage: python bench/classify.py [--quick] [--mentions N]. Exits non-zero when it cannot run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.core.classifier import Classifier  # noqa: E402
from bot.model.learned import LearnedClassifier  # noqa: E402
from bot.model.linear import Model  # noqa: E402

LABELLED = REPO / "tests" / "data" / "labelled_mentions.jsonl"
LEXICON = REPO / "config" / "lexicon"
MODEL = REPO / "models" / "default" / "model.npz"
X_TAGS = {"id": "in", "tl": "tl", "en": "en", "th": "th", "ms": "ms", "vi": "vi", "zh": "zh"}


def variants(rows: list[dict[str, str]]) -> Iterator[tuple[str, str | None]]:
    """An endless stream of (text, X language tag) built from the labelled rows."""
    n = 0
    while True:
        for row in rows:
            text, lang = row["text"], row["lang"]
            k = n % 6
            if k == 1:
                text = text.upper()
            elif k == 2:
                text = text.replace("a", "aaa", 1) + " #help"
            elif k == 3:
                text = f"@user{n % 97} {text} https://t.co/x{n % 1000}"
            elif k == 4:
                text = text + " " + text[: n % 40]
            tag = X_TAGS[lang] if n % 3 else ("und" if n % 2 else None)
            yield text, tag
            n += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (10,000 mentions)")
    parser.add_argument("--mentions", type=int, default=None, help="how many mentions to classify")
    parser.add_argument("--model", type=Path, default=MODEL, help="model file (model.npz)")
    args = parser.parse_args(argv)
    total = args.mentions or (10_000 if args.quick else 100_000)
    try:
        lines = LABELLED.read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
        start = time.perf_counter()
        lexicon = Classifier.load(LEXICON)
        lexicon_s = time.perf_counter() - start
        start = time.perf_counter()
        learned = LearnedClassifier(lexicon, Model.load(args.model))
        model_s = time.perf_counter() - start
    except (OSError, ValueError) as exc:
        print(f"bench: cannot start: {exc}", file=sys.stderr)
        return 1
    if not rows:
        print(f"bench: {LABELLED} has no rows", file=sys.stderr)
        return 1
    stream = variants(rows)
    mentions = [next(stream) for _ in range(total)]
    print(f"loaded lexicon in {lexicon_s * 1000:.1f} ms, model in {model_s * 1000:.1f} ms")
    rates = {}
    for name, classifier in (("learned", learned), ("lexicon", lexicon)):
        actions: dict[str, int] = {}
        start = time.perf_counter()
        for text, tag in mentions:
            verdict = classifier.classify(text, tag)
            actions[verdict.action.value] = actions.get(verdict.action.value, 0) + 1
        elapsed = time.perf_counter() - start
        rates[name] = total / elapsed if elapsed > 0 else float("inf")
        print(f"{name}: classified {total:,} mentions in {elapsed:.2f} s: {rates[name]:,.0f} per second on one core")
        print(f"{name} actions: {dict(sorted(actions.items()))}")
    summary = {
        "bench": "classify",
        "per_second": round(rates["learned"]),
        "lexicon_per_second": round(rates["lexicon"]),
        "mentions": total,
        "model": str(args.model.relative_to(REPO) if args.model.is_relative_to(REPO) else args.model),
        "aim_per_second": 100,
    }
    print(json.dumps({**summary, "quick": bool(args.quick and not args.mentions)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
