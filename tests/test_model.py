"""The learned model: built by one seeded command from named data, stored without texts, never raising."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import LABELLED, LEXICON_DIR, ROOT, read_jsonl
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.core.classifier import Classifier
from bot.core.models import Action
from bot.entrypoints.learn import load_dataset
from bot.model.data import DataError, fingerprint, load
from bot.model.decide import OperatingPoint
from bot.model.features import fold, hashed
from bot.model.learned import LearnedClassifier
from bot.model.linear import HEADS, Model, ModelError
from bot.model.train import TrainConfig, featurise, fit

SHIPPED = ROOT / "models" / "default" / "model.npz"


@pytest.fixture(scope="module")
def lexicon() -> Classifier:
    return Classifier.load(LEXICON_DIR)


@pytest.fixture(scope="module")
def small_model(lexicon: Classifier) -> Model:
    """A model fitted on the team's main labelled file, with sources made up from the row ids."""
    rows = [{**r, "repo": f"team-{i % 3}"} for i, r in enumerate(read_jsonl(LABELLED))]
    return fit(featurise(rows, lexicon, 16, TrainConfig(bits=16)), TrainConfig(bits=16), bits=16)


def test_features_are_hashed_buckets_of_the_folded_text() -> None:
    a = hashed("@ShopeeID GABISA LOGIN https://t.co/x 123", None, 16)
    b = hashed("gabisa   login 999", None, 16)
    assert a == b  # handles, URLs, case, spacing and digit values do not matter
    assert all(0 <= k < 2**16 for k in a)
    assert fold("Lỗi đăng nhập 2x") == "loi dang nhap 0x"


def test_traditional_and_simplified_chinese_share_features(lexicon: Classifier) -> None:
    traditional, simplified = "更新後無法開啟，請修復", "更新后无法开启，请修复"
    assert hashed(traditional, None, 16) != hashed(simplified, None, 16)
    assert hashed(traditional, None, 16, lexicon.char_fold) == hashed(simplified, None, 16, lexicon.char_fold)


def test_training_twice_on_the_same_rows_gives_the_same_model(lexicon: Classifier, small_model: Model) -> None:
    rows = [{**r, "repo": f"team-{i % 3}"} for i, r in enumerate(read_jsonl(LABELLED))]
    again = fit(featurise(rows, lexicon, 16, TrainConfig(bits=16)), TrainConfig(bits=16), bits=16)
    for name in HEADS:
        assert np.array_equal(getattr(again, name).weights, getattr(small_model, name).weights)
        assert np.array_equal(getattr(again, name).calibration, getattr(small_model, name).calibration)


def test_a_saved_model_predicts_what_it_predicted_before(
    tmp_path: Path, small_model: Model, lexicon: Classifier
) -> None:
    path = tmp_path / "m.npz"
    small_model.save(path)
    loaded = Model.load(path)
    before = LearnedClassifier(lexicon, small_model)
    after = LearnedClassifier(lexicon, loaded)
    for text in ("@ShopeeID gabisa login dari tadi", "@Shopee_SG thanks, all good", "@ShopeeTH แอปล่ม"):
        assert before.read(text)[0].reply == pytest.approx(after.read(text)[0].reply, abs=2e-3)


def test_the_model_file_holds_numbers_and_no_text(tmp_path: Path, small_model: Model) -> None:
    path = tmp_path / "m.npz"
    small_model.save(path)
    with np.load(path) as z:
        assert set(z.files) == {"header", *(f"{h}_{p}" for h in HEADS for p in ("weights", "bias", "calibration"))}
        header = bytes(z["header"]).decode("utf-8")
        assert all(z[k].dtype.kind == "f" for k in z.files if k != "header")
    rows = read_jsonl(LABELLED)
    own_names = json.dumps([small_model.meta, [getattr(small_model, h).classes for h in HEADS]]).lower()
    words = {w for r in rows for w in r["text"].lower().split() if len(w) > 6 and w.isalpha()}
    assert words and not [w for w in words if w in header.lower() and w not in own_names]
    assert not [r for r in rows if r["text"][:24] in header]


def test_a_missing_or_broken_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no model file here; run `replybot train`"):
        Model.load(tmp_path / "absent.npz")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="not a replybot model"):
        Model.load(broken)


def _older(tmp_path: Path, model: Model, header_edits: dict[str, Any], drop: str = "") -> Path:
    """``model`` saved as an older code wrote it: header fields changed, arrays starting with ``drop`` gone."""
    path = tmp_path / "m.npz"
    model.save(path)
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files if not (drop and k.startswith(drop))}
    header = {**json.loads(bytes(arrays["header"]).decode("utf-8")), **header_edits}
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    old = tmp_path / "old.npz"
    np.savez(old, **arrays)
    return old


def test_a_model_with_the_removed_embedding_head_says_to_retrain(tmp_path: Path, small_model: Model) -> None:
    old = _older(tmp_path, small_model, {"action_embed_classes": list(small_model.action.classes)})
    with pytest.raises(ModelError, match=r"sentence-embedding head.*retrain it with `replybot train`"):
        Model.load(old)


def test_a_model_of_an_older_format_says_to_retrain(tmp_path: Path, small_model: Model) -> None:
    old = _older(tmp_path, small_model, {"format": 2}, drop="category_escalate_")  # one category head for both
    with pytest.raises(ModelError, match=r"model format 2, this code reads 3; retrain it with `replybot train`"):
        Model.load(old)


def test_each_complaint_action_has_its_own_category_head(lexicon: Classifier) -> None:
    """Replies about login and escalations about the wallet: each head learns the area of its own action."""
    rows = (
        [
            {"text": f"@A cannot log in {i}, the login page keeps failing", "action": "reply", "category": "login"}
            for i in range(6)
        ]
        + [
            {
                "text": f"@A my balance vanished {i}, money gone from the wallet",
                "action": "escalate",
                "category": "wallet",
            }
            for i in range(6)
        ]
        + [{"text": f"@A thanks, great service {i}", "action": "ignore", "category": None} for i in range(6)]
    )
    rows = [{**r, "lang": "en", "repo": f"s{i % 3}"} for i, r in enumerate(rows)]
    model = fit(featurise(rows, lexicon, 14, TrainConfig(bits=14)), TrainConfig(bits=14), bits=14)
    _, categories, _, _ = LearnedClassifier(lexicon, model).read("@A login failing and my balance vanished")
    assert (categories.reply, categories.escalate) == ("login", "wallet")
    only_replies = [r for r in rows if r["action"] != "escalate"]  # no escalation to learn from: every complaint
    model = fit(featurise(only_replies, lexicon, 14, TrainConfig(bits=14)), TrainConfig(bits=14), bits=14)
    assert LearnedClassifier(lexicon, model).read("@A login failing")[1].escalate == "login"


def test_the_account_operating_point_decides_between_reply_and_review(lexicon: Classifier, small_model: Model) -> None:
    clf = LearnedClassifier(lexicon, small_model)
    text = "@ShopeeID aplikasinya error terus gabisa dibuka dari pagi"
    p = clf.read(text)[0]
    eager = OperatingPoint(reply_threshold=max(0.0, p.reply - 0.01), escalate_threshold=1.0)
    strict = OperatingPoint(reply_threshold=min(1.0, p.reply + 0.01), escalate_threshold=1.0, review_threshold=0.0)
    assert clf.classify(text, "id", eager).action is Action.REPLY
    assert clf.classify(text, "id", strict).action is Action.REVIEW


@settings(max_examples=150, deadline=None)
@given(
    st.text(st.characters(exclude_categories=()), max_size=600),  # lone surrogates included (broken JSON has them)
    st.sampled_from([None, "id", "en", "th", "und", "xx", ""]),
)
def test_any_text_gets_a_verdict(text: str, lang: str | None) -> None:
    clf = _shipped_or_none()
    if clf is None:
        pytest.skip("no shipped model")
    v = clf.classify(text, lang)
    assert v.action in set(Action)
    assert 0.0 <= v.score <= 1.0


_CACHE: dict[str, LearnedClassifier] = {}


def _shipped_or_none() -> LearnedClassifier | None:
    if "m" not in _CACHE and SHIPPED.is_file():
        _CACHE["m"] = LearnedClassifier.load(LEXICON_DIR, SHIPPED)
    return _CACHE.get("m")


def test_the_shipped_model_is_in_the_repository_and_small() -> None:
    assert SHIPPED.is_file(), "models/default/model.npz is missing: run `replybot train`"
    assert SHIPPED.stat().st_size < 50 * 2**20
    card = (SHIPPED.parent / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Source-held-out evaluation" in card and "By source" in card and "Weak spots" in card


def test_reserved_and_repeated_posts_are_dropped(tmp_path: Path) -> None:
    rows = [
        {"text": "@A the app is down", "lang": "en", "action": "reply", "category": "outage"},
        {"text": "@B THE APP IS DOWN!!", "lang": "en", "action": "reply", "category": "outage"},
        {"text": "@A secret post", "lang": "en", "action": "ignore", "category": None},
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    kept, dropped = load([path], frozenset({fingerprint("secret post")}))
    assert [r["text"] for r in kept] == ["@A the app is down"]
    assert dropped == 2
    assert kept[0]["repo"] == "team:rows"


def test_a_bad_labelled_row_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "x", "action": "reply"}\n{"text": "y", "action": "maybe"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.jsonl:2: 'action' must be one of reply, escalate, ignore"):
        load_dataset([path])


def _with_sources(tmp_path: Path, n: int = 3) -> Path:
    rows = read_jsonl(LABELLED)
    random.Random(7).shuffle(rows)
    path = tmp_path / "sourced.jsonl"
    path.write_text(
        "".join(json.dumps({**r, "repo": f"src-{i % n}"}, ensure_ascii=False) + "\n" for i, r in enumerate(rows)),
        encoding="utf-8",
    )
    return path


@pytest.mark.slow
def test_train_command_writes_a_model_and_its_card(tmp_path: Path) -> None:
    data = _with_sources(tmp_path)
    out = tmp_path / "model"
    result = CliRunner().invoke(
        main,
        ["train", "--no-corpus", "--no-team", "--data", str(data), "--out", str(out), "--no-learning-curve"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    model = Model.load(out / "model.npz")
    assert model.meta["rows"] == len(read_jsonl(LABELLED))
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Source-held-out evaluation (3 sources" in card
    assert "| src-0 |" in card


@pytest.mark.slow
def test_eval_cv_by_holds_each_source_out_and_prints_the_curve(tmp_path: Path) -> None:
    data = _with_sources(tmp_path)
    result = CliRunner().invoke(main, ["eval", str(data), "--cv-by", "repo", "--no-team", "--json"])
    assert result.exit_code == 0, result.output
    figures: dict[str, Any] = json.loads(result.output)
    assert figures["held_out_sources"] == 3
    assert figures["rows"] == len(read_jsonl(LABELLED))
    assert [c["reply_threshold"] for c in figures["curve"]] == [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95]
    recalls = [c["recall"] for c in figures["curve"]]
    assert recalls == sorted(recalls, reverse=True)  # a higher threshold never answers more


def test_eval_thresholds_must_be_probabilities() -> None:
    result = CliRunner().invoke(main, ["eval", str(LABELLED), "--thresholds", "0.5,2"])
    assert result.exit_code == 2
    assert "between 0 and 1" in result.output


LEARNED_TEAM_TARGETS = {"precision": 0.97, "recall": 0.90, "escalate_recall": 0.95, "frr": 0.02, "category": 0.90}
"""The team's own sets are training rows of the shipped model: these say old cases still hold, not how it
generalises (the card's source-held-out figures do). Recall is below the lexicon's 0.93: posts with a money or
account signal, or under the reply threshold, go to a human for review instead."""


@pytest.mark.parametrize("path", sorted((ROOT / "tests" / "data").glob("labelled*.jsonl")), ids=lambda p: p.stem)
def test_the_default_engine_still_decides_the_teams_own_examples(path: Path) -> None:
    from bot.core.metrics import evaluate

    clf = _shipped_or_none()
    assert clf is not None
    rows = read_jsonl(path)
    preds = []
    for r in rows:
        v = clf.classify(r["text"], r["lang"])
        preds.append((r["lang"], r["action"], r["category"], v.action.value, v.category.value if v.category else None))
    s = evaluate(preds).overall
    t = LEARNED_TEAM_TARGETS
    assert s.reply_precision >= t["precision"] and s.reply_recall >= t["recall"], path.name
    assert s.escalate_recall >= t["escalate_recall"] and s.escalate_auto_replied == 0, path.name
    assert s.false_reply_rate <= t["frr"] and s.category_accuracy >= t["category"], path.name


def test_eval_with_the_learned_engine_prints_the_threshold_curve() -> None:
    result = CliRunner().invoke(main, ["eval", str(LABELLED), "--json", "--thresholds", "0.6,0.9"])
    assert result.exit_code == 0, result.output
    curve = json.loads(result.stdout)["curve"]
    assert [c["reply_threshold"] for c in curve] == [0.6, 0.9]
    assert curve[0]["coverage"] >= curve[1]["coverage"]
    assert set(curve[0]) >= {"precision", "recall", "coverage", "false_reply_rate", "escalate_auto_replied"}


def test_the_container_image_carries_the_model_the_config_points_at() -> None:
    from bot.settings import load_settings

    settings = load_settings(ROOT / "config" / "replybot.toml", {})
    top = settings.model.path.relative_to(ROOT).parts[0]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert f"COPY {top} ./{top}" in dockerfile
    assert top not in (ROOT / ".dockerignore").read_text(encoding="utf-8").split()


def test_a_model_failure_falls_back_to_the_lexicon_without_auto_replying(
    lexicon: Classifier, small_model: Model
) -> None:
    import dataclasses

    broken = dataclasses.replace(small_model, bits=small_model.bits + 4)  # buckets past the weight rows
    clf = LearnedClassifier(lexicon, broken)
    complaint = clf.classify("@ShopeeID aplikasinya error terus gabisa dibuka", "id")
    assert complaint.action is Action.REVIEW
    assert complaint.reason.startswith("error:model, lexicon complaint:")
    money = clf.classify("@ShopeeID saldo ShopeePay saya hilang 300rb, tolong!", "id")
    assert money.action is Action.ESCALATE


def test_the_teams_training_examples_are_valid_and_train() -> None:
    from collections import Counter

    from bot.entrypoints.learn import TEAM_TRAINING, team_sets

    files = sorted(TEAM_TRAINING.glob("*.jsonl"))
    held_back = sorted((TEAM_TRAINING / "held_back").glob("*.jsonl"))
    assert files and set(files) <= set(team_sets())
    assert held_back and not set(held_back) & set(team_sets())  # measured, kept, not trained on (README there)
    for path in files + held_back:
        rows, dropped = load([path])
        assert dropped == 0, path.name
        lang = path.stem.split("_", 1)[1]
        assert {r["lang"] for r in rows} == {lang}, path.name
        actions = Counter(r["action"] for r in rows)
        assert min(actions[a] for a in ("reply", "escalate", "ignore")) >= 50, path.name
        assert all(r["repo"] == f"team:{path.stem}" for r in rows)  # a group of its own, never scored
