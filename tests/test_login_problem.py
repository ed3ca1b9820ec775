"""What failed at login picks the wording: a logged-out user is not told about late SMS codes (issue 12)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.core.classifier import Classifier
from bot.core.lexicon import LexiconError, load_lexicon
from bot.core.login_problem import LoginProblem, LoginReader
from bot.core.models import Action, Category, IncidentState
from bot.core.replies import ReplyComposer
from bot.settings import Account, load_settings

ROOT = Path(__file__).resolve().parents[1]
LEXICON = ROOT / "config" / "lexicon"

# The team's own examples, one per failure and language.
EXAMPLES = {
    LoginProblem.LOGGED_OUT: [
        "@ShopeeSG why did the app log me out by itself??",
        "@ShopeeID kok akun aku keluar sendiri sih",
        "@ShopeeMY tiba2 kena logout, apa jadi",
        "@ShopeePH bigla na logout ako sa app",
        "@ShopeeTH แอปเด้งออกจากระบบเองค่ะ",
        "@ShopeeVN app tự đăng xuất hoài",
        "@ShopeeSG 刚才被登出了",
    ],
    LoginProblem.NO_CODE: [
        "@ShopeeSG the OTP never came, tried 3 times",
        "@ShopeeID kode otp gak masuk2 dari tadi",
        "@ShopeeMY kod otp tak sampai langsung",
        "@ShopeePH walang dumating na otp",
        "@ShopeeTH ไม่ได้รับ otp เลยค่ะ",
        "@ShopeeVN không nhận được mã otp",
        "@ShopeeSG 收不到验证码",
    ],
    LoginProblem.CANNOT_SIGN_IN: [
        "@ShopeeSG can't log in since this morning",
        "@ShopeeID gak bisa login dari pagi",
        "@ShopeeMY tak boleh login langsung",
        "@ShopeePH hindi makalogin sa app",
        "@ShopeeTH ล็อกอินไม่ได้ค่ะ",
        "@ShopeeVN không đăng nhập được",
        "@ShopeeSG 登录不了",
    ],
}


@pytest.fixture(scope="module")
def reader() -> LoginReader:
    return LoginReader.load(LEXICON)


@pytest.mark.parametrize(("problem", "text"), [(p, t) for p, texts in EXAMPLES.items() for t in texts])
def test_each_failure_is_read_in_all_seven_languages(reader: LoginReader, problem: LoginProblem, text: str) -> None:
    assert reader.read(text) is problem


def test_a_code_that_never_comes_is_what_blocks_a_logged_out_user(reader: LoginReader) -> None:
    assert reader.read("I got logged out and now the OTP never comes") is LoginProblem.NO_CODE
    assert reader.read("logged me out and I can't log in again") is LoginProblem.LOGGED_OUT


def test_an_error_code_is_not_a_login_code(reader: LoginReader) -> None:
    assert reader.read("can't log in, error code 403") is LoginProblem.CANNOT_SIGN_IN
    assert reader.read("the app is down") is None
    assert reader.read("\ud800 lone surrogate") is None


def test_a_misspelt_key_is_a_lexicon_error(tmp_path: Path) -> None:
    (tmp_path / "xx.toml").write_text('[login_problem]\nlogged_in = ["x"]\n', encoding="utf-8")
    with pytest.raises(LexiconError, match=r"xx.toml \[login_problem\] logged_in: expected one of no_code"):
        load_lexicon(tmp_path)


def test_the_login_reading_is_not_a_feature_of_the_classifier() -> None:
    """The model was trained on the lexicon's tags; the wording table must not change its input."""
    lexicon = load_lexicon(LEXICON)
    assert lexicon.login_problems
    assert not any(tag.startswith("login_problem") for tags in lexicon.tags.values() for tag in tags)
    _, tags = Classifier(lexicon).analyse("kode otp gak masuk")
    assert all(tag.split(":")[0] in {"signal", "area", "complaint"} for tag in tags)


ACCOUNT = Account(
    code="XX",
    handle="ShopeeXX",
    country="Testland",
    languages=("en",),
    default_language="en",
    timezone="UTC",
    signature="- Team",
)


def _compose(composer: ReplyComposer, text: str, category: Category | None = Category.LOGIN) -> str:
    out = composer.compose(
        account=ACCOUNT,
        lang="en",
        state=IncidentState.INVESTIGATING,
        action=Action.REPLY,
        category=category,
        author_handle="budi",
        mention_id="1622450000000000001",
        text=text,
    )
    assert out is not None
    return out.template


def test_the_composer_prefers_the_failure_file_and_falls_back_to_login(tmp_path: Path) -> None:
    for name in ("general", "login", "login-no-code"):
        path = tmp_path / "XX" / "en" / "investigating" / f"{name}.j2"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n---\n".join(f"@{{{{ handle }}}} {name} {i} Ref: {{{{ ref }}}}" for i in range(3)))
    composer = ReplyComposer(tmp_path, LoginReader.load(LEXICON))
    assert _compose(composer, "otp never came") == "XX/en/investigating/login-no-code.j2"
    assert _compose(composer, "the app logged me out") == "XX/en/investigating/login.j2"  # no file of its own
    assert _compose(composer, "otp never came", Category.WALLET) == "XX/en/investigating/general.j2"
    assert _compose(ReplyComposer(tmp_path), "otp never came") == "XX/en/investigating/login.j2"  # no reader


# --- the shipped templates -----------------------------------------------------------------------------

SMS_WORDS = ("sms", "whatsapp", "link", "ลิงก์", "ลิ้งค์", "短信", "链接", "liên kết", "tautan", "pautan")
"""Words of code delivery (a reminder never to share an OTP is fine anywhere)."""


@pytest.fixture(scope="module")
def shipped() -> tuple[list[Account], ReplyComposer]:
    settings = load_settings(ROOT / "config" / "replybot.toml", {})
    accounts = [dataclasses.replace(a, holding_reply=True) for a in settings.accounts]
    return accounts, ReplyComposer(settings.templates_dir, LoginReader.load(settings.lexicon_dir))


@pytest.mark.parametrize("state", list(IncidentState))
def test_every_account_and_language_has_a_reply_per_failure(
    shipped: tuple[list[Account], ReplyComposer], state: IncidentState
) -> None:
    accounts, composer = shipped
    for account in accounts:
        for lang in account.languages:
            for problem in (LoginProblem.LOGGED_OUT, LoginProblem.NO_CODE):
                name = composer.resolve(account, lang, Action.REPLY, state, Category.LOGIN, problem)
                assert name == f"{account.code}/{lang}/{state.value}/login-{problem.value}.j2"


def test_a_logged_out_user_is_not_told_about_late_codes(shipped: tuple[list[Account], ReplyComposer]) -> None:
    """The complaint of issue 12: the Thai logged-out user was told about delayed SMS/WhatsApp links."""
    accounts, composer = shipped
    for account in accounts:
        for lang in account.languages:
            for state in (IncidentState.INVESTIGATING, IncidentState.MONITORING):
                name = composer.resolve(account, lang, Action.REPLY, state, Category.LOGIN, LoginProblem.LOGGED_OUT)
                for wording in composer.sources[name]:
                    text = "\n".join(line for line in wording.lower().splitlines() if "{{ ref }}" not in line)
                    assert not [w for w in SMS_WORDS if w in text], (name, wording)
