"""The evaluation arithmetic behind ``replybot eval``."""

from __future__ import annotations

import json

import pytest

from bot.core.metrics import evaluate

ROWS = [
    ("id", "reply", "login", "reply", "login"),
    ("id", "reply", "wallet", "reply", "outage"),
    ("id", "reply", "cart", "ignore", None),
    ("id", "ignore", None, "reply", "outage"),
    ("id", "ignore", None, "ignore", None),
    ("en", "escalate", "wallet", "escalate", "wallet"),
    ("en", "escalate", None, "reply", "outage"),
    ("en", "ignore", None, "ignore", None),
]


def test_reply_precision_and_recall_count_reply_as_the_positive_class() -> None:
    s = evaluate(ROWS).overall
    assert (s.reply_tp, s.reply_fp, s.reply_fn) == (2, 2, 1)
    assert s.reply_precision == pytest.approx(0.5)
    assert s.reply_recall == pytest.approx(2 / 3)
    assert s.reply_f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_escalations_that_were_auto_replied_are_counted() -> None:
    s = evaluate(ROWS).overall
    assert s.escalate_recall == pytest.approx(0.5)
    assert s.escalate_auto_replied == 1


def test_false_reply_rate_is_over_ignore_labelled_mentions() -> None:
    assert evaluate(ROWS).overall.false_reply_rate == pytest.approx(1 / 3)


def test_category_accuracy_only_counts_rows_whose_action_was_right() -> None:
    s = evaluate(ROWS).overall
    assert (s.category_ok, s.category_n) == (2, 3)


def test_results_are_split_per_language() -> None:
    report = evaluate(ROWS)
    assert set(report.by_lang) == {"id", "en"}
    assert report.by_lang["en"].escalate_auto_replied == 1
    assert report.by_lang["id"].escalate_auto_replied == 0


def test_confusion_matrix_is_gold_by_predicted() -> None:
    c = evaluate(ROWS).overall.confusion
    assert c["reply"] == {"reply": 2, "escalate": 0, "ignore": 1, "review": 0}
    assert c["escalate"]["reply"] == 1
    assert sum(sum(row.values()) for row in c.values()) == len(ROWS)


def test_a_review_prediction_is_neither_a_reply_nor_an_escalation() -> None:
    s = evaluate([("id", "reply", "login", "review", "login"), ("id", "escalate", "wallet", "review", None)]).overall
    assert (s.reply_tp, s.reply_fn, s.reply_fp) == (0, 1, 0)
    assert (s.escalate_hit, s.escalate_auto_replied) == (0, 0)
    assert s.confusion["escalate"]["review"] == 1


def test_empty_input_gives_neutral_figures() -> None:
    s = evaluate([]).overall
    assert (s.reply_precision, s.reply_recall, s.escalate_recall, s.false_reply_rate) == (1.0, 1.0, 1.0, 0.0)


def test_report_serialises_to_json_and_text() -> None:
    report = evaluate(ROWS)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["all"]["escalate_auto_replied"] == 1
    assert "id" in data["by_lang"]
    text = report.format_text()
    assert "all" in text and "confusion" in text
