"""The model card: what the model was trained on, how it was built, and how it scores on sources it never saw."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.model.features import CHAR_SIZES
from bot.model.linear import Model

_WEAK_SPOTS = """\
## Weak spots

- Complaint rows are thin in Thai, Vietnamese and Tagalog (a few dozen each, from one or two sources) and
  Chinese complaints are all app-store reviews; Indonesian dominates the corpus. Figures for those languages
  rest on few rows, and reply recall there is far below the other languages'.
- {team:,} of the {rows:,} training rows are the team's own examples (`tests/data`, and `data/team`: posts in
  the seven languages across industries and genres, written from CONVENTIONS.md by the team, never from the
  corpus). They always train and are never scored: every figure below is on real posts of a held-out source.
- Many training rows are app-store reviews, longer and retrospective, not tweets.
- cart, chat and scan failures are rare; escalations without a category are mostly scams and billing disputes.
- The model reads text only: a post that needs its image or its thread to be understood is guessed from words.
- The source-held-out figures below are far from a careful labeller (reply precision ~0.96): treat the
  thresholds as a trade-off to choose per account, and keep approval mode on where a false reply is costly.
"""


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _table(rows: list[dict[str, Any]], columns: list[str]) -> list[str]:
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        out.append("| " + " | ".join(str(r.get(c, "")) for c in columns) + " |")
    return out


def _counts(title: str, counts: dict[str, dict[str, int]]) -> list[str]:
    rows = [
        {
            "": k or "(none)",
            "reply": v.get("reply", 0),
            "escalate": v.get("escalate", 0),
            "ignore": v.get("ignore", 0),
            "rows": sum(v.values()),
        }
        for k, v in counts.items()
    ]
    return [f"### {title}", "", *_table(rows, ["", "reply", "escalate", "ignore", "rows"]), ""]


def render_card(model: Model, figures: dict[str, Any] | None, seconds: float) -> str:
    meta = model.meta
    config = meta.get("config", {})
    lines = [
        "# Model card: replybot's outage-complaint classifier",
        "",
        "Built by `replybot train` (see docs/MODEL.md). Do not edit by hand: retrain instead.",
        "",
        f"- trained: {meta.get('trained_at', '?')} at commit {meta.get('commit', '?')}, "
        f"in {seconds:.0f} s (evaluation included) on {_cpus()} CPU(s)",
        f"- features: hashed character {CHAR_SIZES[0]}-{CHAR_SIZES[-1]}-grams (Traditional Chinese folded to "
        f"Simplified), word 1-2-grams, lexicon signals; no language feature; 2^{model.bits} buckets",
        f"- heads: action {', '.join(model.action.classes)}; category {', '.join(model.category.classes)}, "
        "one head for replies and one for escalations",
        f"- fit: logistic loss by SGD, alpha {config.get('alpha')}, {config.get('epochs')} epochs, "
        f"seed {config.get('seed')}, balanced by {config.get('balance')}, low-confidence rows weighted "
        f"{config.get('low_confidence_weight')}, each source's rows weighted (median source size / its size)^"
        f"{config.get('source_power')}; action probabilities calibrated on "
        f"{config.get('calibration_folds')} source-grouped folds",
        f"- rows: {meta.get('rows')} ({meta.get('dropped')} reserved or repeated posts dropped); files: "
        + ", ".join(f"{f['name']} ({f['sha256']})" for f in meta.get("files", [])),
        "",
    ]
    if figures:
        point = figures["point"]
        lines += [
            f"## Source-held-out evaluation ({figures['held_out_sources']} sources, {figures['rows']} rows)",
            "",
            f"Each source (`{figures['by']}`) in turn was held out, a model trained on all the others (the team's own",
            "sets always train), and the held-out posts decided at the default operating point "
            f"(reply ≥ {point['reply_threshold']}, escalate ≥ {point['escalate_threshold']}, "
            f"review ≥ {point['review_threshold']}). `review` means a human decides; it counts as neither a reply "
            "nor an escalation below.",
            "",
            "```",
            figures["text"],
            "```",
            "",
            "### Precision, recall and coverage by reply threshold",
            "",
            *_table(
                figures["curve"],
                [
                    "reply_threshold",
                    "precision",
                    "recall",
                    "coverage",
                    "false_reply_rate",
                    "escalate_recall",
                    "escalate_auto_replied",
                ],
            ),
            "",
        ]
        if "learning_curve" in figures:
            columns = [
                "precision",
                "recall",
                "escalate_recall",
                "escalate_auto_replied",
                "false_reply_rate",
                "category",
            ]
            lines += [
                "### Learning curve (share of each fold's training rows)",
                "",
                *_table(figures["learning_curve"], ["fraction", *columns]),
                "",
                "### Learning curve per language",
                "",
                *_table(figures["learning_by_language"], ["lang", "fraction", "n", *columns]),
                "",
            ]
    else:
        lines += ["## Evaluation", "", "Trained with `--skip-eval`: no source-held-out figures.", ""]
    lines += ["## Training data", ""]
    lines += _counts("By language", meta.get("by_language", {}))
    lines += _counts("By source", meta.get("by_source", {}))
    team = sum(sum(v.values()) for k, v in meta.get("by_source", {}).items() if k.startswith("team:"))
    lines += [_WEAK_SPOTS.format(team=team, rows=meta.get("rows", 0))]
    return "\n".join(lines)


def write_card(path: Path, model: Model, figures: dict[str, Any] | None, seconds: float) -> None:
    path.write_text(render_card(model, figures, seconds), encoding="utf-8")
