"""Behaviour of the outage-complaint classifier, on the team's own labelled mentions and on hard cases."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import LEXICON_DIR, read_jsonl
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.classifier import Classifier
from bot.core.language import LANGUAGES, map_tag
from bot.core.lexicon import LexiconError
from bot.core.metrics import Report, evaluate
from bot.core.models import Action, Category

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def score(classifier: Classifier, rows: list[dict[str, Any]], use_lang: bool = False) -> Report:
    preds = []
    for row in rows:
        v = classifier.classify(row["text"], row["lang"] if use_lang else None)
        preds.append(
            (
                row["lang"],
                row["action"],
                row["category"],
                v.action.value,
                v.category.value if v.category else None,
            )
        )
    return evaluate(preds)


TARGETS = {
    "precision": 0.97,
    "recall": 0.93,
    "escalate_recall": 0.95,
    "false_reply_rate": 0.02,
    "category": 0.90,
}


def assert_targets(report: Report, targets: dict[str, float] = TARGETS) -> None:
    s = report.overall
    assert s.reply_precision >= targets["precision"], report.format_text()
    assert s.reply_recall >= targets["recall"], report.format_text()
    assert s.escalate_recall >= targets["escalate_recall"], report.format_text()
    assert s.escalate_auto_replied == 0, report.format_text()
    assert s.false_reply_rate <= targets["false_reply_rate"], report.format_text()
    assert s.category_accuracy >= targets["category"], report.format_text()


def verdict(classifier: Classifier, text: str, lang: str | None = None) -> tuple[str, str | None]:
    v = classifier.classify(text, lang)
    return v.action.value, v.category.value if v.category else None


# --- the labelled file -------------------------------------------------------------------------------


def test_labelled_file_has_twenty_examples_per_language(labelled_rows: list[dict[str, Any]]) -> None:
    counts = Counter(row["lang"] for row in labelled_rows)
    assert set(counts) == set(LANGUAGES)
    assert min(counts.values()) >= 20
    for row in labelled_rows:
        assert row["action"] in ("reply", "escalate", "ignore")
        assert row["category"] is None or row["category"] in {c.value for c in Category}
        assert row["action"] != "ignore" or row["category"] is None


@pytest.mark.parametrize("use_lang", [False, True], ids=["detected-language", "x-language"])
def test_labelled_mentions_meet_the_targets(
    classifier: Classifier, labelled_rows: list[dict[str, Any]], use_lang: bool
) -> None:
    assert_targets(score(classifier, labelled_rows, use_lang))


def test_language_of_labelled_mentions_is_detected(classifier: Classifier, labelled_rows: list[dict[str, Any]]) -> None:
    right = sum(classifier.classify(row["text"]).lang == row["lang"] for row in labelled_rows)
    assert right / len(labelled_rows) >= 0.95


# --- hard cases -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "@ShopeeID ga error kok di aku, lancar",
        "@Shopee_SG not down for me, loads fine",
        "@ShopeeTH แอปไม่ล่มนะ ใช้ได้ปกติ",
        "@ShopeeMY takde down pun, ok je",
        "@Shopee_SG 我这里没有挂啊",
        "@ShopeeVN app van binh thuong ma, co sap dau",
        "@ShopeePH hindi naman down sa amin",
    ],
)
def test_negated_complaint_is_ignored(classifier: Classifier, text: str) -> None:
    assert verdict(classifier, text)[0] == "ignore"


@pytest.mark.parametrize(
    "text",
    [
        "@Shopee_SG it was down an hour ago but works now",
        "@ShopeeID tadi error tp udh bisa lagi kok",
        "@ShopeeTH เมื่อกี้เข้าไม่ได้ ตอนนี้ใช้ได้แล้ว",
        "@ShopeeVN lúc nãy lỗi mà giờ vào được rồi",
    ],
)
def test_it_was_down_but_works_now_is_ignored(classifier: Classifier, text: str) -> None:
    v = classifier.classify(text)
    assert v.action is Action.IGNORE
    assert v.reason == "resolved_already"


def test_another_brand_being_down_is_ignored(classifier: Classifier) -> None:
    v = classifier.classify("Lazada is down again, luckily @Shopee_SG still works")
    assert (v.action, v.reason) == (Action.IGNORE, "other_brand")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@SkyHelpTeam queue at the airport desk is huge because their computer system crashed", ("ignore", None)),
        ("@MyBank staff at the branch say the system is down, come back later", ("ignore", None)),
        ("@MyTelco 40 minutes on hold and your phone system keeps dropping my call", ("ignore", None)),
        ("@SkyHelpTeam the app won't let me check in and now I'm stuck in the queue at the desk", ("reply", "outage")),
        ("@MyTelco internet has been down all day and I've been on hold for an hour", ("reply", "outage")),
    ],
)
def test_a_failure_at_a_counter_or_on_the_phone_is_not_about_the_app(
    classifier: Classifier, text: str, expected: tuple[str, str | None]
) -> None:
    assert verdict(classifier, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@GameHelp great, error (AB-12345-6) again when I open the store. thanks", ("reply", "outage")),
        ("@GameHelp love it, 0x8007000e on every launch", ("reply", "outage")),
        ('@ShopHelp can\'t pay on the site, it says "try again" every time', ("reply", "checkout")),
        ("@ShopHelp website isn't allowing me to log in since this morning", ("reply", "login")),
        ("@ShopHelp website won't let me pick a seat because my fare is not eligible", ("ignore", None)),
        ("@ShopHelp booked on the app. Terrible flight though, no legroom", ("ignore", None)),
        ("@ShopHelp my issue is with the size chart, not the website", ("ignore", None)),
    ],
)
def test_english_customer_service_patterns(classifier: Classifier, text: str, expected: tuple[str, str | None]) -> None:
    assert verdict(classifier, text) == expected


def test_the_vietnamese_word_for_accepted_does_not_match_the_english_article(classifier: Classifier) -> None:
    assert verdict(classifier, "@ShopHelp never an app person, I just browse") == ("ignore", None)
    assert verdict(classifier, "@ShopeeVN bấm thanh toán hoài ko ăn", "vi") == ("reply", "checkout")


@pytest.mark.parametrize(
    "text",
    [
        "@ShopeeID kurirnya lama bgt, paket belum sampai",
        "@Shopee_SG the seller sent me the wrong size",
        "@ShopeeTH พัสดุไม่ขยับมาสามวันแล้ว",
    ],
)
def test_delivery_and_seller_problems_are_ignored(classifier: Classifier, text: str) -> None:
    assert verdict(classifier, text)[0] == "ignore"


def test_praise_containing_a_trigger_word_is_ignored(classifier: Classifier) -> None:
    assert verdict(classifier, "@Shopee_SG love that the app never goes down on sale day, great job!")[0] == "ignore"


@pytest.mark.parametrize(
    "text",
    ["GIVEAWAY!! follow + RT to win, link in bio @Shopee_SG", "@ShopeeID jual akun centang biru, dm aja"],
)
def test_spam_and_giveaways_are_ignored(classifier: Classifier, text: str) -> None:
    v = classifier.classify(text)
    assert (v.action, v.reason) == (Action.IGNORE, "spam")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("@Shopee_SG app DOWNNNN cannot open at all", "outage"),
        ("@ShopeeID ERRORRR terus gabisa login", "login"),
        ("@ShopeeTH ล่มมมมม", "outage"),
    ],
)
def test_repeated_letters_and_shouting_still_match(classifier: Classifier, text: str, category: str) -> None:
    assert verdict(classifier, text) == ("reply", category)


def test_mentions_urls_and_hashtags_do_not_confuse(classifier: Classifier) -> None:
    text = "@lazada_sg @Shopee_SG cannot checkout https://t.co/xyz #ShopeeDown"
    assert verdict(classifier, text) == ("reply", "checkout")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("@Shopee_SG app was down and I got charged twice for my order", "escalate:money"),
        ("@ShopeeID app error terus, saldo spay aku hilang 200rb", "escalate:money"),
        ("@Shopee_SG can't log in, I think my account was hacked", "escalate:account_takeover"),
        ("@ShopeeID ada yg minta kode otp ngaku cs pas shopee gangguan", "escalate:scam"),
        ("@ShopeePH down na naman kayo, irereport ko kayo sa DTI", "escalate:legal"),
    ],
)
def test_money_or_account_safety_escalates_even_inside_an_outage_complaint(
    classifier: Classifier, text: str, reason: str
) -> None:
    v = classifier.classify(text)
    assert v.action is Action.ESCALATE
    assert v.reason == reason


def test_a_failure_word_is_only_undone_by_a_negator_right_in_front_of_it(classifier: Classifier) -> None:
    assert verdict(classifier, "@Shopee_SG the app is not crashing anymore") == ("ignore", None)
    assert verdict(classifier, "@ShopeeID scan qris di kasir gagal terus") == ("reply", "scan")


def test_nothing_deducted_is_not_a_money_escalation(classifier: Classifier) -> None:
    assert verdict(classifier, "@Shopee_SG top up failing, nothing deducted from my bank") == (
        "reply",
        "wallet",
    )


def test_category_is_the_failure_that_blocks_first(classifier: Classifier) -> None:
    assert verdict(classifier, "@Shopee_SG was about to check out but got logged out") == ("reply", "login")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("@ShopeeID gbs login dr pagi knp ya", "login"),
        ("@ShopeeID ga bisa checkout bgt udh 3x", "checkout"),
        ("@ShopeeMY x boleh checkout la, apasal ni", "checkout"),
        ("@Shopee_SG cannot top up leh, keep fail", "wallet"),
        ("@ShopeePH di ako maka-login, help po", "login"),
        ("@ShopeeVN khong dang nhap duoc", "login"),
        ("@ShopeeVN không đăng nhập được", "login"),
        ("@Shopee_SG 購物車加不了東西", "cart"),
        ("@Shopee_SG 购物车加不了东西", "cart"),
        ("@ShopeeTH สแกนคิวอาร์ไม่ได้", "scan"),
    ],
)
def test_slang_and_both_scripts_are_understood(classifier: Classifier, text: str, category: str) -> None:
    assert verdict(classifier, text) == ("reply", category)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@Shopee_SG 錢包的錢不見了，我沒有買東西", ("escalate", "wallet")),
        ("@Shopee_SG 蝦皮是不是掛了？網頁也打不開", ("reply", "outage")),
        ("@Shopee_SG 聊天訊息發不出去", ("reply", "chat")),
    ],
)
def test_traditional_chinese_is_folded_onto_the_simplified_vocabulary(
    classifier: Classifier, text: str, expected: tuple[str, str]
) -> None:
    assert verdict(classifier, text) == expected


# --- language ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tag", "expected"), [("in", "id"), ("fil", "tl"), ("zh-TW", "zh"), ("und", None)])
def test_x_language_tags_are_mapped(tag: str, expected: str | None) -> None:
    assert map_tag(tag) == expected


@pytest.mark.parametrize("tag", ["und", "qme", "zxx", None, "fr"])
def test_unknown_x_language_falls_back_to_detection(classifier: Classifier, tag: str | None) -> None:
    assert classifier.classify("แอปล่มอีกแล้ว", tag).lang == "th"


def test_x_language_is_trusted_when_it_is_ours(classifier: Classifier) -> None:
    assert classifier.classify("app down", "in").lang == "id"


# --- robustness and speed ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300), st.none() | st.text())
def test_no_input_text_raises(text: str, lang: str | None) -> None:
    v = CLASSIFIER.classify(text, lang)
    assert v.action in set(Action)
    assert v.lang in LANGUAGES
    assert v.action is not Action.IGNORE or v.category is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "a" * 10_000,
        "\x00\x01\x02\x7f",
        "\ud800\udfff lone surrogates \udc00",
        "down " * 2000,
        "ล่ม" * 3000,
    ],
)
def test_awkward_inputs_do_not_raise(classifier: Classifier, text: str) -> None:
    assert classifier.classify(text).action in set(Action)


def test_loading_takes_well_under_a_second() -> None:
    start = time.perf_counter()
    Classifier.load(LEXICON_DIR)
    assert time.perf_counter() - start < 0.5


def test_a_broken_lexicon_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(LexiconError):
        Classifier.load(tmp_path)
    (tmp_path / "bad.toml").write_text("[signal]\nfail = 3\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"bad\.toml"):
        Classifier.load(tmp_path)
    (tmp_path / "bad.toml").write_text('[area]\nlogn = ["login"]\n', encoding="utf-8")
    with pytest.raises(LexiconError, match="not a category"):
        Classifier.load(tmp_path)


def test_an_operator_can_add_a_brand_word_without_code(tmp_path: Path) -> None:
    for path in LEXICON_DIR.glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    text = "@Shopee_SG zappmart is down again, good thing you still work"
    assert verdict(Classifier.load(tmp_path), text) == ("reply", "outage")
    (tmp_path / "brands.toml").write_text('[signal]\nother_brand = ["zappmart"]\n', encoding="utf-8")
    assert verdict(Classifier.load(tmp_path), text) == ("ignore", None)


# --- the shared development sets (skipped when /work/shared is absent) --------------------------------


# real_dev.jsonl is real, noisy brand-support chatter (mostly airlines). It now meets the same targets as the
# synthetic set (measured P 0.98, R 0.97, FRR 0.005); the floors sit a little below so one relabel does not
# break the build, but a real regression does.
REAL_DEV_FLOORS = {
    "precision": 0.97,
    "recall": 0.93,
    "escalate_recall": 0.95,
    "false_reply_rate": 0.02,
    "category": 0.90,
}


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared dev data not present")
@pytest.mark.parametrize(("name", "targets"), [("dev_mentions.jsonl", TARGETS), ("real_dev.jsonl", REAL_DEV_FLOORS)])
def test_shared_dev_sets_meet_the_targets(classifier: Classifier, name: str, targets: dict[str, float]) -> None:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    assert_targets(score(classifier, read_jsonl(path)), targets)


CLASSIFIER = Classifier.load(LEXICON_DIR)


def test_a_two_after_a_currency_code_is_an_amount_not_a_reduplication() -> None:
    from bot.core.normalize import prepare

    assert "rm2" in prepare("saldo tinggal RM2 je") and "rp2" in prepare("bayar Rp2 doang")
    assert prepare("hati2 ya, masuk2 terus") == "hati ya, masuk terus"
