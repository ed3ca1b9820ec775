"""The container files agree with the configuration: every command finds the database, the health check
asks the configured port, compose builds once and gives every configured account fake credentials."""

from __future__ import annotations

import re

from conftest import CONFIG, ROOT, fake_env

from bot.settings import load_settings

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")


def test_the_image_names_its_database_for_every_command() -> None:
    assert "REPLYBOT_DATABASE=/data/replybot.db" in DOCKERFILE
    env = {**fake_env(), "REPLYBOT_DATABASE": "/data/replybot.db"}
    assert str(load_settings(CONFIG, env).db_path) == "/data/replybot.db"


def test_the_health_check_asks_the_bot_itself_not_a_fixed_port() -> None:
    assert 'CMD ["replybot", "health"]' in DOCKERFILE and "9108/healthz" not in DOCKERFILE


def test_compose_builds_the_image_once_and_gives_every_account_credentials() -> None:
    assert COMPOSE.count("build: .") == 1
    for account in load_settings(CONFIG, fake_env()).accounts:
        assert f'X_{account.code}_ACCESS_TOKEN: "fake:{account.handle.lower()}"' in COMPOSE, account.code


def test_the_image_carries_the_console_and_it_listens_inside_the_container() -> None:
    assert '".[web]"' in DOCKERFILE and "REPLYBOT_WEB_HOST=0.0.0.0" in DOCKERFILE
    assert re.search(r"^EXPOSE .*\b8108\b", DOCKERFILE, re.MULTILINE)
    assert load_settings(CONFIG, fake_env()).web.host == "127.0.0.1"  # outside a container: loopback
    assert load_settings(CONFIG, {**fake_env(), "REPLYBOT_WEB_HOST": "0.0.0.0"}).web.host == "0.0.0.0"


def test_compose_runs_the_console_on_the_bots_database_published_on_loopback_only() -> None:
    console = COMPOSE.split("\n  console:\n", 1)[1].split("\n\nvolumes:", 1)[0]
    bot = COMPOSE.split("\n  replybot:\n", 1)[1].split("\n  console:\n", 1)[0]
    assert '"web"' in console and "REPLYBOT_WEB_HOST: 0.0.0.0" in console and "REPLYBOT_WEB_TOKEN" in console
    database = re.search(r'"--db", "([^"]+)"', bot)
    assert database and f'"--db", "{database.group(1)}"' in console  # the same file the bot writes
    assert "replybot-data:/data" in console and "<<: *fake-accounts" in console  # it posts what agents approve
    published = re.findall(r'"([\d.]*:?\d+:8108)"', COMPOSE)
    assert published == ["127.0.0.1:8108:8108"]


def test_the_package_ships_every_page_and_script_of_the_console() -> None:
    import tomllib

    globs = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    web = ROOT / "bot" / "web"
    shipped = {p for pattern in globs["bot.web"] for p in web.glob(pattern) if p.is_file()}
    needed = {p for folder in ("templates", "static") for p in (web / folder).rglob("*") if p.is_file()}
    assert needed and needed <= shipped, sorted(str(p) for p in needed - shipped)
