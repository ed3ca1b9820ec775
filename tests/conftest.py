"""Fixtures named for what they give: settings with fake credentials, a store on a real SQLite file,
in-memory platforms for every account, and a wired app."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.mock import MockPlatform
from bot.adapters.store import Store
from bot.bootstrap import App, build
from bot.core.classifier import Classifier
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
REPO = ROOT
CONFIG = ROOT / "config" / "replybot.toml"
LEXICON_DIR = ROOT / "config" / "lexicon"
LABELLED = Path(__file__).resolve().parent / "data" / "labelled_mentions.jsonl"
LABELLED_FILES = sorted((Path(__file__).resolve().parent / "data").glob("labelled*.jsonl"))
"""Every team-written labelled file: labelled_mentions.jsonl plus any labelled_<topic>.jsonl added later."""
CODES = ("ID", "TH", "PH", "SG", "MY", "VN")


def portable_config(**replace: str) -> str:
    """The shipped config's text with every relative path made absolute, so a copy works from any folder.

    ``replace`` maps old text to new text, applied first (e.g. ``{"approval = false": "approval = true"}``)."""
    text = CONFIG.read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old, new)
    text = text.replace('"../templates"', f'"{ROOT / "templates"}"')
    text = text.replace('lexicon_dir = "lexicon"', f'lexicon_dir = "{CONFIG.parent / "lexicon"}"')
    return text.replace('"../models/default/model.npz"', f'"{ROOT / "models" / "default" / "model.npz"}"')


def fake_env(codes: tuple[str, ...] = CODES) -> dict[str, str]:
    env: dict[str, str] = {}
    for code in codes:
        for name in ("API_KEY", "API_SECRET", "ACCESS_TOKEN_SECRET", "BEARER_TOKEN"):
            env[f"X_{code}_{name}"] = f"secret-{code.lower()}-{name.lower()}-s3cr3t"
        env[f"X_{code}_ACCESS_TOKEN"] = f"fake:shopee{code.lower()}"
    return env


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(CONFIG, fake_env(), db_override=tmp_path / "replybot.db")


@pytest.fixture
def platforms(settings: Settings) -> dict[str, MockPlatform]:
    return {a.code: MockPlatform(handle=a.handle, account=a.code) for a in settings.accounts}


@pytest.fixture
def make_app(settings: Settings, platforms: dict[str, MockPlatform]) -> Iterator[Callable[..., App]]:
    """Build an app on the settings' database file; call again to simulate a restart. Any keyword of
    ``build`` overrides (``clock=``, ``observer=``...), and ``settings=`` other settings."""
    opened: list[Store] = []

    def make(**overrides: object) -> App:
        chosen = overrides.pop("settings", settings)
        assert isinstance(chosen, Settings)
        store = Store.open(chosen.db_path)
        opened.append(store)
        kwargs: dict[str, object] = {"dry_run": False, "platforms": platforms, "store": store}
        kwargs.update(overrides)
        return build(chosen, **kwargs)  # type: ignore[arg-type]

    yield make
    for store in opened:
        store.close()


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Commands configure logging for the whole process; put it back so tests do not depend on order."""
    import logging

    from bot.logs import NOISY_LOGGERS

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in (*NOISY_LOGGERS, "tweepy.client")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    """The classifier built from the repository's own lexicon, loaded once per session."""
    return Classifier.load(LEXICON_DIR)


@pytest.fixture(scope="session")
def labelled_rows() -> list[dict[str, Any]]:
    return [row for path in LABELLED_FILES for row in read_jsonl(path)]
