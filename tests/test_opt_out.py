"""Users can opt out in their own language, are told how, and are never answered again (X's rules, issue 13)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.adapters.mock import MockPlatform
from bot.bootstrap import App
from bot.core.lexicon import LexiconError, load_lexicon
from bot.core.models import Action, Category, IncidentState
from bot.core.opt_out import OptOutReader
from bot.core.replies import ReplyComposer, fits_in_post
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
LEXICON = ROOT / "config" / "lexicon"

# The team's own examples.
ASKS = [
    "@ShopeeSG stop",
    "@ShopeeSG STOP!!",
    "@ShopeeSG please stop replying to me",
    "@ShopeeSG the app is down, and stop replying with bots",
    "@ShopeeID berhenti",
    "@ShopeeID jangan balas lagi ya min",
    "@ShopeeMY tak payah balas, dah ok",
    "@ShopeePH tama na po",
    "@ShopeePH wag na kayong mag reply",
    "@ShopeeTH หยุด",
    "@ShopeeTH หยุดตอบได้แล้วค่ะ",
    "@ShopeeVN dừng lại!",
    "@ShopeeVN đừng trả lời nữa",
    "@ShopeeSG 停止",
    "@ShopeeSG 别再回复我了",
]
DOES_NOT_ASK = [
    "@ShopeeSG can't stop crying, the app is down",
    "@ShopeeSG the app won't stop loading",
    "@ShopeeID berhenti di halaman pembayaran terus",
    "@ShopeeTH แอปหยุดทำงานค่ะ",
    "@ShopeeSG 付款停止了",
]


@pytest.fixture(scope="module")
def reader() -> OptOutReader:
    return OptOutReader.load(LEXICON)


@pytest.mark.parametrize("text", ASKS)
def test_a_request_to_stop_is_read_in_all_seven_languages(reader: OptOutReader, text: str) -> None:
    assert reader.asks_to_stop(text)


@pytest.mark.parametrize("text", DOES_NOT_ASK)
def test_stop_in_a_complaint_is_not_an_opt_out(reader: OptOutReader, text: str) -> None:
    assert not reader.asks_to_stop(text)


def test_a_misspelt_key_is_a_lexicon_error(tmp_path: Path) -> None:
    (tmp_path / "xx.toml").write_text('[opt_out]\nsomewhere = ["x"]\n', encoding="utf-8")
    with pytest.raises(LexiconError, match=r"\[opt_out\] somewhere: expected whole or anywhere"):
        load_lexicon(tmp_path)


STOP_WORDS = ("STOP", "BERHENTI", "TIGIL", "หยุด", "DỪNG", "停止")


def test_the_stop_word_each_hint_names_is_one_the_bot_understands(reader: OptOutReader) -> None:
    settings = load_settings(ROOT / "config" / "replybot.toml", {})
    composer = ReplyComposer(settings.templates_dir)
    for account in settings.accounts:
        for lang in account.languages:
            for hint in composer.sources[f"{account.code}/{lang}/opt-out.j2"]:
                named = [w for w in STOP_WORDS if w in hint]
                assert named and all(reader.asks_to_stop(f"@{account.handle} {w}") for w in named), hint


def test_the_first_reply_to_an_author_says_how_to_opt_out_and_the_next_does_not() -> None:
    settings = load_settings(ROOT / "config" / "replybot.toml", {})
    composer = ReplyComposer(settings.templates_dir)
    for account in settings.accounts:
        for lang in account.languages:
            hints = set(composer.sources[f"{account.code}/{lang}/opt-out.j2"])
            for state in IncidentState:
                for first in (True, False):
                    out = composer.compose(
                        account=account,
                        lang=lang,
                        state=state,
                        action=Action.REPLY,
                        category=Category.LOGIN,
                        author_handle="W" * 15,
                        mention_id="1622450000000000001",
                        note="https://status.example.com/x",
                        first_to_author=first,
                    )
                    assert out is not None and fits_in_post(out.text)
                    assert (out.text.splitlines()[-1] in hints) is first, (out.template, out.text)


def test_an_author_who_asks_in_a_fresh_mention_is_never_answered_again(
    make_app: Callable[..., App], platforms: dict[str, MockPlatform]
) -> None:
    th = platforms["TH"]
    th.add_mention("@ShopeeTH หยุดตอบได้แล้วค่ะ", "annoyed", lang="th")  # not a reply to the bot
    app = make_app()
    for account in app.accounts:
        app.service.poll(account)
    assert app.store.opted_out("u-annoyed")
    app.store.close()
    restarted = make_app()
    th.add_mention("@ShopeeTH แอปล่ม เข้าสู่ระบบไม่ได้ค่ะ", "annoyed", lang="th")
    for account in restarted.accounts:
        restarted.service.poll(account)
    assert th.posts == []
    assert [r["reason"] for r in restarted.store.mentions("TH")][-1] == "skip:opted_out"
