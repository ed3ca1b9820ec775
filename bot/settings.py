"""Typed, frozen settings: the TOML file plus secrets from the environment.

Only :func:`load_settings` reads anything; it is called once by the composition root. A mistake raises
:class:`ConfigError` whose message names the file, the key and what is expected.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.model.decide import OperatingPoint, Unsure
from bot.settings_web import WebSettings, read_web

SUPPORTED_LANGUAGES = ("id", "en", "th", "tl", "ms", "vi", "zh")
CREDENTIAL_NAMES = ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")
OPTIONAL_CREDENTIAL_NAMES = ("BEARER_TOKEN",)
HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
CODE_RE = re.compile(r"^[A-Z]{2,8}$")


class ConfigError(Exception):
    """The configuration cannot be used. The message says which file, which key and what to do."""

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{path}: {key}: {problem}")


@dataclass(frozen=True)
class Credentials:
    """X API secrets for one account. ``repr`` never shows them."""

    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    access_token_secret: str = field(repr=False)
    bearer_token: str | None = field(default=None, repr=False)

    def secrets(self) -> tuple[str, ...]:
        values = (self.api_key, self.api_secret, self.access_token, self.access_token_secret, self.bearer_token)
        return tuple(v for v in values if v)


@dataclass(frozen=True)
class Account:
    code: str
    handle: str
    country: str
    languages: tuple[str, ...]
    default_language: str
    timezone: str
    signature: str
    """Ends every reply; ``signatures`` overrides it per language."""
    holding_reply: bool = False
    approval: bool = False
    verified: bool = False
    """X lets an unverified account post at most ``UNVERIFIED_REPLIES_PER_24H`` replies a day (May 2026)."""
    point: OperatingPoint = field(default_factory=OperatingPoint)
    """The learned classifier's thresholds for this account (``[model]`` defaults, overridden per account)."""
    credentials: Credentials | None = field(default=None, repr=False)
    missing_credentials: tuple[str, ...] = ()
    """Names of the environment variables that are missing (never their values)."""
    signatures: tuple[tuple[str, str], ...] = ()
    """(language, signature) pairs: an English reply of the Thai account is not signed in Thai."""

    def signature_for(self, lang: str) -> str:
        return dict(self.signatures).get(lang, self.signature)

    @property
    def enabled(self) -> bool:
        return self.credentials is not None

    def disabled_reason(self) -> str:
        if self.enabled:
            return ""
        if len(self.missing_credentials) < len(CREDENTIAL_NAMES):
            return f"missing {', '.join(self.missing_credentials)}"
        return f"no X credentials in the environment (X_{self.code}_*)"


UNVERIFIED_REPLIES_PER_24H = 200
"""X's cap on replies from an account that is not verified (May 2026); ``[accounts.X] verified = true`` lifts it."""


@dataclass(frozen=True)
class Limits:
    posts_per_15min: int = 50
    posts_per_24h: int = 1000
    cost_per_reply_usd: float = 0.01
    cost_per_post_usd: float = 0.015
    cost_per_url_post_usd: float = 0.20
    cost_per_read_usd: float = 0.005
    budget_per_24h_usd: float = 10.0
    """What reads and posts may cost in 24 h (bot.core.pricing): reading and posting stop when it is spent."""
    max_mention_age_s: float = 2 * 3600
    author_cooldown_s: float = 24 * 3600
    rotation_window: int = 50
    resolved_quiet_s: float = 6 * 3600
    freshness_s: float = 15 * 60
    """A complaint is answered one by one only while it is at most this old; then a status post covers it."""
    reread_overlap_s: float = 10.0
    """Each read of mentions re-reads those written this long before the checkpoint (X delivers some late)."""
    settle_s: float = 30.0
    """A post whose outcome is unknown counts as not posted only once X's timeline covers it: a later post of
    ours shows, or this long after it was sent (X's timeline lags; posting again too early posts twice)."""
    retention_days: int = 30
    """Texts and handles older than this are erased (ids, decisions and counts stay): X's terms, docs/COMPLIANCE.md."""


@dataclass(frozen=True)
class Alerts:
    spike_ratio: float = 5.0
    spike_min_per_minute: int = 30
    baseline_minutes: int = 60
    open_incident: bool = False
    webhook_url: str | None = field(default=None, repr=False)
    """From ``REPLYBOT_ALERT_WEBHOOK_URL``: a Slack-compatible incoming webhook (a secret: it carries a token)."""


class Engine(StrEnum):
    """Which classifier decides: the learned model with the lexicon as guardrail, or the lexicon alone."""

    LEARNED = "learned"
    LEXICON = "lexicon"


@dataclass(frozen=True)
class ModelSettings:
    engine: Engine = Engine.LEARNED
    path: Path = Path("models/default/model.npz")
    point: OperatingPoint = field(default_factory=OperatingPoint)


@dataclass(frozen=True)
class Settings:
    config_path: Path
    accounts: tuple[Account, ...]
    poll_interval_s: float
    db_path: Path
    templates_dir: Path
    lexicon_dir: Path
    limits: Limits
    api_base_url: str | None = None
    http_timeout_s: float = 10.0
    retry_attempts: int = 4
    retry_initial_wait_s: float = 0.5
    retry_max_wait_s: float = 30.0
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9108
    """0 turns the metrics and health endpoint off."""
    alerts: Alerts = field(default_factory=Alerts)
    model: ModelSettings = field(default_factory=ModelSettings)
    web: WebSettings = field(default_factory=WebSettings)
    """The console (``replybot web``): where it listens, its agents, the token and cookie key."""

    @property
    def http_timeouts(self) -> tuple[float, float]:
        """(connect, read) seconds of every X call: a refused connection fails fast, an answer gets ``http_timeout``."""
        return min(3.05, self.http_timeout_s), self.http_timeout_s

    @property
    def http_call_deadline_s(self) -> float:
        """The most one X call may take, connection to last byte, as ``RoutedSession.deadline_s`` enforces it: the
        connection, then a read timeout for the headers and one more for a body that trickles in."""
        connect, read = self.http_timeouts
        return connect + 2 * read

    def account(self, code: str) -> Account:
        for acc in self.accounts:
            if acc.code == code.upper():
                return acc
        raise KeyError(code)

    def account_for_handle(self, handle: str) -> Account | None:
        wanted = handle.lstrip("@").lower()
        return next((a for a in self.accounts if a.handle.lower() == wanted), None)

    @property
    def enabled_accounts(self) -> tuple[Account, ...]:
        return tuple(a for a in self.accounts if a.enabled)

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, so log filters can redact them."""
        found = [s for a in self.accounts if a.credentials for s in a.credentials.secrets()]
        if self.alerts.webhook_url:
            found.append(self.alerts.webhook_url)
        return (*found, *self.web.secrets())


_TOP_KEYS = {"bot", "limits", "alerts", "accounts", "model", "web"}
_POINT_KEYS = {"reply_threshold", "escalate_threshold", "review_threshold", "unsure"}
_MODEL_KEYS = {"engine", "path", *_POINT_KEYS}
_BOT_KEYS = {
    "poll_interval",
    "database",
    "templates_dir",
    "lexicon_dir",
    "api_base_url",
    "http_timeout",
    "metrics_host",
    "metrics_port",
    "retry_attempts",
    "retry_initial_wait",
    "retry_max_wait",
}
_ALERT_KEYS = {"spike_ratio", "spike_min_per_minute", "baseline_minutes", "open_incident"}
_LIMIT_KEYS = {
    "posts_per_15min": int,
    "posts_per_24h": int,
    "cost_per_reply_usd": float,
    "cost_per_post_usd": float,
    "cost_per_url_post_usd": float,
    "cost_per_read_usd": float,
    "budget_per_24h_usd": float,
    "max_mention_age_minutes": float,
    "author_cooldown_hours": float,
    "rotation_window": int,
    "resolved_quiet_hours": float,
    "freshness_minutes": float,
    "reread_overlap_seconds": float,
    "retention_days": int,
    "settle_seconds": float,
}
_ACCOUNT_KEYS = {
    "handle",
    "country",
    "languages",
    "default_language",
    "timezone",
    "signature",
    "signatures",
    "holding_reply",
    "approval",
    "verified",
    *_POINT_KEYS,
}


class _Reader:
    """Typed access to one TOML table that reports mistakes with their full key."""

    def __init__(self, path: Path, prefix: str, table: Any) -> None:
        self.path, self.prefix = path, prefix
        if not isinstance(table, dict):
            raise ConfigError(path, prefix, "expected a table ([...] section)")
        self.table: dict[str, Any] = table

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def reject_unknown(self, allowed: set[str] | Mapping[str, Any]) -> None:
        for name in self.table:
            if name not in allowed:
                choices = ", ".join(sorted(allowed))
                raise ConfigError(self.path, self.key(name), f"unknown key; expected one of: {choices}")

    def error(self, name: str, problem: str) -> ConfigError:
        return ConfigError(self.path, self.key(name), problem)

    def string(self, name: str, default: str | None = None) -> str:
        value = self.table.get(name, default)
        if value is None:
            raise self.error(name, "missing; expected a string")
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, f"expected a non-empty string, got {value!r}")
        return value

    def number(self, name: str, default: float, kind: type = float, minimum: float = 0) -> float:
        value = self.table.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(name, f"expected a number, got {value!r}")
        if kind is int and not isinstance(value, int):
            raise self.error(name, f"expected a whole number, got {value!r}")
        if value < minimum:
            raise self.error(name, f"expected a number >= {minimum}, got {value!r}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.table.get(name, default)
        if not isinstance(value, bool):
            raise self.error(name, f"expected true or false, got {value!r}")
        return value

    def string_list(self, name: str) -> tuple[str, ...]:
        value = self.table.get(name)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.error(name, f'expected a non-empty list of strings such as ["en"], got {value!r}')
        return tuple(value)


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def _credentials(code: str, env: Mapping[str, str]) -> tuple[Credentials | None, tuple[str, ...]]:
    """The account's secrets, or None and the names of the missing variables."""
    values = {name: env.get(f"X_{code}_{name}", "").strip() for name in CREDENTIAL_NAMES}
    missing = tuple(f"X_{code}_{name}" for name, v in values.items() if not v)
    if missing:
        return None, missing
    return Credentials(
        api_key=values["API_KEY"],
        api_secret=values["API_SECRET"],
        access_token=values["ACCESS_TOKEN"],
        access_token_secret=values["ACCESS_TOKEN_SECRET"],
        bearer_token=env.get(f"X_{code}_BEARER_TOKEN", "").strip() or None,
    ), ()


def _point(r: _Reader, base: OperatingPoint) -> OperatingPoint:
    """Thresholds from a ``[model]`` or ``[accounts.X]`` table, each key falling back to ``base``."""
    values: dict[str, Any] = {}
    for name in ("reply_threshold", "escalate_threshold", "review_threshold"):
        value = r.number(name, getattr(base, name))
        if value > 1:
            raise r.error(name, f"expected a probability between 0 and 1, got {value!r}")
        values[name] = float(value)
    unsure = r.string("unsure", base.unsure.value)
    if unsure not in {u.value for u in Unsure}:
        raise r.error("unsure", f'expected "review" (a human looks) or "ignore" (left alone), got {unsure!r}')
    return OperatingPoint(unsure=Unsure(unsure), **values)


def _model(path: Path, base: Path, raw: Any) -> ModelSettings:
    r = _Reader(path, "model", raw)
    r.reject_unknown(_MODEL_KEYS)
    engine = r.string("engine", Engine.LEARNED.value)
    if engine not in {e.value for e in Engine}:
        raise r.error("engine", f'expected "learned" or "lexicon", got {engine!r}')
    return ModelSettings(
        engine=Engine(engine),
        path=_resolve(base, r.string("path", "../models/default/model.npz")),
        point=_point(r, OperatingPoint()),
    )


def _account(path: Path, code: str, table: Any, env: Mapping[str, str], point: OperatingPoint) -> Account:
    r = _Reader(path, f"accounts.{code}", table)
    if not CODE_RE.match(code):
        raise ConfigError(path, f"accounts.{code}", "account codes are 2-8 capital letters, e.g. [accounts.ID]")
    r.reject_unknown(_ACCOUNT_KEYS)
    handle = r.string("handle").lstrip("@")
    if not HANDLE_RE.match(handle):
        raise r.error("handle", f"expected an X handle (letters, digits, _; at most 15), got {handle!r}")
    languages = r.string_list("languages")
    for lang in languages:
        if lang not in SUPPORTED_LANGUAGES:
            raise r.error("languages", f"unsupported language {lang!r}; expected some of {SUPPORTED_LANGUAGES}")
    default = r.string("default_language", languages[0])
    if default not in languages:
        raise r.error("default_language", f"{default!r} must be one of this account's languages {languages}")
    tz = r.string("timezone")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.error("timezone", f"unknown time zone {tz!r}; expected an IANA name like Asia/Jakarta") from None
    credentials, missing = _credentials(code, env)
    signatures = r.table.get("signatures", {})
    if not isinstance(signatures, dict) or not all(isinstance(v, str) for v in signatures.values()):
        raise r.error("signatures", f'expected a table of language = "signature", got {signatures!r}')
    for lang in signatures:
        if lang not in languages:
            raise r.error("signatures", f"{lang!r} is not one of this account's languages {languages}")
    return Account(
        code=code,
        handle=handle,
        country=r.string("country"),
        languages=languages,
        default_language=default,
        timezone=tz,
        signature=r.string("signature", "") if "signature" in r.table else "",
        holding_reply=r.boolean("holding_reply", False),
        approval=r.boolean("approval", False),
        verified=r.boolean("verified", False),
        point=_point(r, point),
        credentials=credentials,
        missing_credentials=missing,
        signatures=tuple(sorted(signatures.items())),
    )


def load_settings(
    config_path: Path | str,
    env: Mapping[str, str],
    db_override: Path | str | None = None,
) -> Settings:
    """Read and validate the TOML file at ``config_path`` with secrets from ``env``."""
    path = Path(config_path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "(file)", "not found; pass --config PATH or set REPLYBOT_CONFIG") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(syntax)", f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(path, "(file)", f"cannot be read: {exc.strerror}") from None

    base = path.resolve().parent
    top = _Reader(path, "", raw)
    top.reject_unknown(_TOP_KEYS)
    bot = _Reader(path, "bot", raw.get("bot", {}))
    bot.reject_unknown(_BOT_KEYS)
    lim = _Reader(path, "limits", raw.get("limits", {}))
    lim.reject_unknown(_LIMIT_KEYS)
    alr = _Reader(path, "alerts", raw.get("alerts", {}))
    alr.reject_unknown(_ALERT_KEYS)
    alerts = Alerts(
        spike_ratio=alr.number("spike_ratio", 5.0, float, 1),
        spike_min_per_minute=int(alr.number("spike_min_per_minute", 30, int, 1)),
        baseline_minutes=int(alr.number("baseline_minutes", 60, int, 2)),
        open_incident=alr.boolean("open_incident", False),
        webhook_url=env.get("REPLYBOT_ALERT_WEBHOOK_URL", "").strip() or None,
    )

    accounts_raw = raw.get("accounts")
    if not isinstance(accounts_raw, dict) or not accounts_raw:
        raise ConfigError(path, "accounts", "expected at least one [accounts.CODE] table")
    model = _model(path, base, raw.get("model", {}))
    accounts = tuple(_account(path, code, table, env, model.point) for code, table in accounts_raw.items())
    handles = [a.handle.lower() for a in accounts]
    for a in accounts:
        if handles.count(a.handle.lower()) > 1:
            raise ConfigError(path, f"accounts.{a.code}.handle", f"handle {a.handle!r} is used by two accounts")

    limits = Limits(
        posts_per_15min=int(lim.number("posts_per_15min", 50, int, 1)),
        posts_per_24h=int(lim.number("posts_per_24h", 1000, int, 1)),
        cost_per_reply_usd=lim.number("cost_per_reply_usd", 0.01),
        cost_per_post_usd=lim.number("cost_per_post_usd", 0.015),
        cost_per_url_post_usd=lim.number("cost_per_url_post_usd", 0.20),
        cost_per_read_usd=lim.number("cost_per_read_usd", 0.005),
        budget_per_24h_usd=lim.number("budget_per_24h_usd", 10.0),
        max_mention_age_s=lim.number("max_mention_age_minutes", 120, float, 1) * 60,
        author_cooldown_s=lim.number("author_cooldown_hours", 24) * 3600,
        rotation_window=int(lim.number("rotation_window", 50, int, 1)),
        resolved_quiet_s=lim.number("resolved_quiet_hours", 6) * 3600,
        freshness_s=lim.number("freshness_minutes", 15, float, 1) * 60,
        reread_overlap_s=lim.number("reread_overlap_seconds", 10),
        retention_days=int(lim.number("retention_days", 30, int, 1)),
        settle_s=lim.number("settle_seconds", 30),
    )
    from_env = env.get("REPLYBOT_DATABASE", "").strip()
    db_override = db_override or from_env or None  # --db, then $REPLYBOT_DATABASE, then [bot] database
    db_value = str(db_override) if db_override else bot.string("database", "../data/replybot.db")
    api_base = env.get("X_API_BASE_URL", "").strip() or (
        bot.string("api_base_url") if "api_base_url" in bot.table else None
    )
    if api_base and not api_base.startswith(("http://", "https://")):
        raise ConfigError(path, "bot.api_base_url", f"expected an http(s):// URL, got {api_base!r}")
    return Settings(
        config_path=path,
        accounts=accounts,
        poll_interval_s=bot.number("poll_interval", 20, float, 0.01),
        db_path=Path(db_value) if db_override else _resolve(base, db_value),
        templates_dir=_resolve(base, bot.string("templates_dir", "../templates")),
        lexicon_dir=_resolve(base, bot.string("lexicon_dir", "lexicon")),
        limits=limits,
        api_base_url=api_base.rstrip("/") if api_base else None,
        http_timeout_s=bot.number("http_timeout", 10, float, 0.1),
        retry_attempts=int(bot.number("retry_attempts", 4, int, 1)),
        retry_initial_wait_s=bot.number("retry_initial_wait", 0.5),
        retry_max_wait_s=bot.number("retry_max_wait", 30),
        metrics_host=env.get("REPLYBOT_METRICS_HOST", "").strip() or bot.string("metrics_host", "127.0.0.1"),
        metrics_port=_port(bot),
        alerts=alerts,
        model=model,
        web=read_web(_Reader(path, "web", raw.get("web", {})), env),
    )


def _port(bot: _Reader) -> int:
    port = int(bot.number("metrics_port", 9108, int, 0))
    if port > 65535:
        raise bot.error("metrics_port", f"expected a TCP port 0-65535 (0 = off), got {port}")
    return port
