"""What every command shares: --config/--db, one clear error and exit 2 for bad configuration, loading."""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from dotenv import find_dotenv, load_dotenv

from bot.core.lexicon import LexiconError
from bot.core.replies import TemplateMissing
from bot.logs import setup_logging
from bot.model.linear import ModelError
from bot.settings import ConfigError, Settings, load_settings

log = logging.getLogger("bot.cli")
F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_CONFIG = "config/replybot.toml"
EXIT_CONFIG = 2


def fail(message: str, status: int = EXIT_CONFIG) -> NoReturn:
    click.echo(f"replybot: {message}", err=True)
    sys.exit(status)


def common_options(func: F) -> F:
    """--config and --db for every command; configuration mistakes exit with status 2."""

    @click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"TOML configuration (default: $REPLYBOT_CONFIG or {DEFAULT_CONFIG}).",
    )
    @click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), help="Database path.")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            fail(f"configuration error: {exc}")
        except ModelError as exc:
            fail(f"model error: {exc}")
        except LexiconError as exc:
            fail(f"lexicon error: {exc}")
        except TemplateMissing as exc:
            fail(f"templates: {exc}; set [bot] templates_dir to the folder that holds them (docs/TEMPLATES.md)")
        except sqlite3.OperationalError as exc:
            where = kwargs.get("db_path") or "the configured database"
            if "locked" in str(exc):
                fail(f"database {where} is busy (another process holds a write lock): nothing was changed; try again")
            fail(f"database {where}: {exc}; is it a replybot SQLite database? (--db or [bot] database)")
        except sqlite3.DatabaseError as exc:
            where = kwargs.get("db_path") or "the configured database"
            fail(f"database {where}: {exc}; is it a replybot SQLite database? (--db or [bot] database)")
        except PermissionError as exc:
            fail(
                f"no permission for {exc.filename or exc}: choose a writable place with --db, [bot] database or "
                "REPLYBOT_DATABASE"
            )

    return wrapper  # type: ignore[return-value]


def load(config_path: Path | None, db_path: Path | None = None) -> Settings:
    """Environment (.env first), then the TOML file, then logging with every secret redacted."""
    load_dotenv(find_dotenv(usecwd=True), override=False)  # .env in the working directory, not beside the code
    setup_logging(os.environ.get("REPLYBOT_LOG_LEVEL", "INFO"))
    path = config_path or Path(os.environ.get("REPLYBOT_CONFIG") or DEFAULT_CONFIG)
    settings = load_settings(path, os.environ, db_override=db_path)
    setup_logging(os.environ.get("REPLYBOT_LOG_LEVEL", "INFO"), secrets=settings.secrets())
    return settings
