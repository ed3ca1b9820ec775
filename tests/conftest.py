"""Fixtures named for what they give: settings with fake credentials, a store on a real SQLite file,
in-memory platforms for every account, and a wired app."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.mock import MockPlatform
from bot.adapters.store import Store
from bot.bootstrap import App, build
from bot.core.classifier import Classifier
from bot.fakex import FakeX
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
REPO = ROOT
CONFIG = ROOT / "config" / "replybot.toml"
LEXICON_DIR = ROOT / "config" / "lexicon"
LABELLED = Path(__file__).resolve().parent / "data" / "labelled_mentions.jsonl"
LABELLED_FILES = sorted((Path(__file__).resolve().parent / "data").glob("labelled*.jsonl"))
"""Every team-written labelled file: labelled_mentions.jsonl plus any labelled_<topic>.jsonl added later."""
CODES = ("ID", "TH", "PH", "SG", "MY", "VN")


PATH_KEYS = {("bot", "database"), ("bot", "templates_dir"), ("bot", "lexicon_dir"), ("model", "path")}


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def config_text(
    every_account: dict[str, object] | None = None, only: tuple[str, ...] = (), **sections: dict[str, Any]
) -> str:
    """The shipped config with ``sections`` merged in (``limits={"posts_per_15min": 2}``,
    ``accounts={"ID": {"approval": True}}``), ``every_account`` applied to each account, and every relative
    path made absolute, so the file works from any folder. Read as TOML and written back: no text surgery."""
    data = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    for table, key in PATH_KEYS:
        if key in data.get(table, {}):
            data[table][key] = str((CONFIG.parent / data[table][key]).resolve())
    for name, values in sections.items():
        if name == "accounts":
            for code, account in values.items():
                data["accounts"].setdefault(code, {}).update(account)
        else:
            data.setdefault(name, {}).update(values)
    if only:  # a deployment with some of the countries
        data["accounts"] = {code: body for code, body in data["accounts"].items() if code in only}
    for account in data["accounts"].values():
        account.update(every_account or {})
    lines: list[str] = []
    for name, table in data.items():
        nested = name == "accounts"
        bodies: list[tuple[str, dict[str, Any]]] = list(table.items()) if nested else [("", table)]
        for code, body in bodies:
            lines.append(f"[{name}.{code}]" if nested else f"[{name}]")
            lines += [f"{key} = {_toml_value(value)}" for key, value in body.items()]
            lines.append("")
    return "\n".join(lines)


def write_config(
    path: Path, every_account: dict[str, object] | None = None, only: tuple[str, ...] = (), **sections: dict[str, Any]
) -> Path:
    """:func:`config_text` written to ``path`` (a file in a test's tmp_path); returns the path."""
    path.write_text(config_text(every_account, only, **sections), encoding="utf-8")
    return path


def fake_env(codes: tuple[str, ...] = CODES) -> dict[str, str]:
    env: dict[str, str] = {}
    for code in codes:
        for name in ("API_KEY", "API_SECRET", "ACCESS_TOKEN_SECRET", "BEARER_TOKEN"):
            env[f"X_{code}_{name}"] = f"secret-{code.lower()}-{name.lower()}-s3cr3t"
        env[f"X_{code}_ACCESS_TOKEN"] = f"fake:shopee{code.lower()}"
    return env


@pytest.fixture
def fake_x(request: pytest.FixtureRequest) -> Iterator[FakeX]:
    """The fake X API on a free loopback port; ``@pytest.mark.limits("pro")`` enforces X's pro rate limits."""
    marker = request.node.get_closest_marker("limits")
    with FakeX(limits=marker.args[0] if marker else "none") as fx:
        yield fx


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


@pytest.fixture
def desk(make_app: Callable[..., App], platforms: dict[str, MockPlatform]) -> Any:
    """The web console on the app's database and the ID account's in-memory X, logged out (tests/web_console.py;
    needs the web extra)."""
    from web_console import make_desk

    return make_desk(make_app(), platforms["ID"])


@pytest.fixture
def agent_desk(desk: Any) -> Any:
    """The console with the agent Ayu logged in with the team token."""
    from web_console import login

    assert login(desk.client).status_code == 303
    return desk


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
