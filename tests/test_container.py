"""The container files agree with the configuration: every command finds the database, the health check
asks the configured port, compose builds once and gives every configured account fake credentials."""

from __future__ import annotations

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
