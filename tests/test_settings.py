"""Configuration: validated once into frozen settings; a mistake names the file, the key and the fix."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CONFIG, fake_env

from bot.cli import main
from bot.settings import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return path


ACCOUNT = """
[accounts.ID]
handle = "ShopeeID"
country = "Indonesia"
languages = ["id", "en"]
timezone = "Asia/Jakarta"
"""


def test_the_shipped_config_describes_six_accounts() -> None:
    settings = load_settings(CONFIG, fake_env())
    assert [a.code for a in settings.accounts] == ["ID", "TH", "PH", "SG", "MY", "VN"]
    assert settings.account("th").languages == ("th", "en")
    assert settings.account_for_handle("@shopee_sg") is settings.account("SG")
    assert all(a.enabled for a in settings.accounts)


def test_settings_are_frozen() -> None:
    settings = load_settings(CONFIG, fake_env())
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.poll_interval_s = 1  # type: ignore[misc]


def test_an_account_without_credentials_is_disabled_not_an_error() -> None:
    settings = load_settings(CONFIG, fake_env(("ID",)))
    assert [a.code for a in settings.enabled_accounts] == ["ID"]
    assert "X_TH_" in settings.account("TH").disabled_reason()


def test_partial_credentials_name_the_missing_variables_but_never_values() -> None:
    env = fake_env(("ID",))
    del env["X_ID_API_SECRET"]
    account = load_settings(CONFIG, env).account("ID")
    assert not account.enabled
    assert account.disabled_reason() == "missing X_ID_API_SECRET"


def test_secrets_never_show_in_repr() -> None:
    settings = load_settings(CONFIG, fake_env())
    assert "s3cr3t" not in repr(settings)
    assert any("s3cr3t" in s for s in settings.secrets())


@pytest.mark.parametrize(
    ("text", "key", "hint"),
    [
        ("[bot]\npoll_intervall = 5\n" + ACCOUNT, "bot.poll_intervall", "unknown key"),
        ("[bot]\npoll_interval = 'fast'\n" + ACCOUNT, "bot.poll_interval", "expected a number"),
        (ACCOUNT.replace("Asia/Jakarta", "Asia/Atlantis"), "accounts.ID.timezone", "IANA"),
        (ACCOUNT.replace('"id", "en"', '"id", "xx"'), "accounts.ID.languages", "unsupported language"),
        (ACCOUNT.replace('handle = "ShopeeID"', 'handle = "not a handle!"'), "accounts.ID.handle", "X handle"),
        (ACCOUNT + 'default_language = "th"\n', "accounts.ID.default_language", "must be one of"),
        ("[bot]\n", "accounts", "at least one"),
        ("[limits]\nposts_per_24h = 0\n" + ACCOUNT, "limits.posts_per_24h", ">= 1"),
        ("this is = = not toml", "(syntax)", "not valid TOML"),
        ("[model]\nreply_threshold = 1.5\n" + ACCOUNT, "model.reply_threshold", "between 0 and 1"),
        ("[model]\nengine = 'neural'\n" + ACCOUNT, "model.engine", '"learned" or "lexicon"'),
        ("[model]\nthreshold = 0.5\n" + ACCOUNT, "model.threshold", "unknown key"),
        (ACCOUNT + "unsure = 'maybe'\n", "accounts.ID.unsure", '"review"'),
        (ACCOUNT + "escalate_threshold = -0.1\n", "accounts.ID.escalate_threshold", ">= 0"),
    ],
)
def test_a_config_mistake_names_file_key_and_fix(tmp_path: Path, text: str, key: str, hint: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(path, {})
    assert err.value.key == key
    assert str(path) in str(err.value) and hint in str(err.value)


def test_an_account_overrides_the_model_thresholds_it_names(tmp_path: Path) -> None:
    text = "[model]\nreply_threshold = 0.7\nunsure = 'ignore'\n" + ACCOUNT + "reply_threshold = 0.9\n"
    text += ACCOUNT.replace("accounts.ID", "accounts.MY").replace("ShopeeID", "ShopeeMY")
    settings = load_settings(write(tmp_path, text), {})
    strict, default = settings.account("ID").point, settings.account("MY").point
    assert (strict.reply_threshold, strict.unsure.value) == (0.9, "ignore")
    assert (default.reply_threshold, default.escalate_threshold) == (0.7, 0.15)


def test_a_missing_model_file_exits_2_naming_it(tmp_path: Path) -> None:
    bot = f"[bot]\nlexicon_dir = '{CONFIG.parent / 'lexicon'}'\n"
    path = write(tmp_path, bot + f"[model]\npath = '{tmp_path / 'none.npz'}'\n" + ACCOUNT)
    result = CliRunner().invoke(main, ["classify", "hello", "--config", str(path)])
    assert result.exit_code == 2
    assert "none.npz: no model file here; run `replybot train`" in result.output


def test_the_cli_exits_2_with_one_clear_message_on_a_bad_config(tmp_path: Path) -> None:
    path = write(tmp_path, "[bot]\npoll_intervall = 5\n" + ACCOUNT)
    result = CliRunner().invoke(main, ["run", "--once", "--config", str(path)])
    assert result.exit_code == 2
    assert f"{path}: bot.poll_intervall: unknown key" in result.output


def test_a_missing_config_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["classify", "hello", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "nope.toml" in result.output and "REPLYBOT_CONFIG" in result.output


def test_run_without_any_credentials_explains_what_to_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in fake_env():
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["run", "--once", "--config", str(CONFIG), "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert "X_<CODE>_API_KEY" in result.output


def test_credentials_come_from_a_dotenv_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in fake_env():
        monkeypatch.delenv(name, raising=False)
    lines = [f"{k}={v}" for k, v in fake_env(("VN",)).items()]
    (tmp_path / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    from bot.entrypoints.common import load

    try:
        settings = load(CONFIG, tmp_path / "x.db")
        assert [a.code for a in settings.enabled_accounts] == ["VN"]
    finally:
        for name in fake_env(("VN",)):
            os.environ.pop(name, None)  # load_dotenv wrote them into this process


def test_a_missing_lexicon_folder_exits_2_in_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, f"[bot]\nlexicon_dir = '{tmp_path / 'nowhere'}'\n" + ACCOUNT)
    result = CliRunner().invoke(main, ["classify", "hello", "--config", str(path)])
    assert result.exit_code == 2
    assert "lexicon error:" in result.output and "nowhere" in result.output
    assert "Traceback" not in result.output


def test_a_signature_per_language_signs_the_english_reply_of_the_thai_account(tmp_path: Path) -> None:
    from bot.core.models import Action, Category, IncidentState
    from bot.core.replies import ReplyComposer

    settings = load_settings(CONFIG, fake_env(), db_override=tmp_path / "r.db")
    thailand = settings.account("TH")
    composer = ReplyComposer(settings.templates_dir)
    english = composer.compose(
        account=thailand,
        lang="en",
        state=IncidentState.INVESTIGATING,
        action=Action.REPLY,
        category=Category.LOGIN,
        author_handle="somchai",
        mention_id="1622000000000000001",
    )
    thai = composer.compose(
        account=thailand,
        lang="th",
        state=IncidentState.INVESTIGATING,
        action=Action.REPLY,
        category=Category.LOGIN,
        author_handle="somchai",
        mention_id="1622000000000000001",
    )
    assert english is not None and english.text.endswith("- Shopee TH") and "ทีม" not in english.text
    assert thai is not None and thai.text.endswith("- ทีมช้อปปี้")


def test_a_signature_for_a_language_the_account_does_not_speak_is_refused(tmp_path: Path) -> None:
    from conftest import write_config

    config = write_config(tmp_path / "c.toml", accounts={"TH": {"signatures": {"vi": "- Shopee"}}})
    with pytest.raises(ConfigError, match=r"accounts.TH.signatures.*'vi'"):
        load_settings(config, fake_env())
