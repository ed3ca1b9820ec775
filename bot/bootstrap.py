"""The composition root: settings in, a wired service out. Real or fake adapters are chosen here only."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.adapters.clock import SystemClock
from bot.adapters.dry_run import DryRunPlatform
from bot.adapters.health import HealthObserver, HealthState
from bot.adapters.metered import MeteredPlatform
from bot.adapters.metrics import Metrics, MetricsObserver
from bot.adapters.observers import FanOut, SpikeAlerts
from bot.adapters.store import Store
from bot.adapters.webhook import SlackWebhook
from bot.core import redact
from bot.core.classifier import Classifier
from bot.core.lexicon import Lexicon, load_lexicon
from bot.core.lifecycle import BOT_POSTER
from bot.core.login_problem import LoginReader
from bot.core.models import IncidentState
from bot.core.opt_out import OptOutReader
from bot.core.replies import ReplyComposer
from bot.core.spike import SpikeDetector
from bot.model.learned import LearnedClassifier, LexiconEngine
from bot.model.linear import Model
from bot.ports import Clock, Platform, TextClassifier
from bot.service import LogObserver, Observer, Service, declare_on_spike
from bot.service.announce import Announcer
from bot.service.intake import Intake
from bot.service.outbox import Outbox
from bot.settings import Account, Engine, Settings

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    store: Store
    service: Service
    accounts: tuple[Account, ...]
    metrics: MetricsObserver | None = None
    health: HealthState | None = None
    clock: Clock = field(default_factory=SystemClock)


@dataclass
class Observability:
    """Everything that watches the service: console or log, metrics, health, spike alerts."""

    observer: Observer
    metrics: MetricsObserver
    health: HealthState


@dataclass(frozen=True)
class Watch:
    """Ask :func:`build` for metrics, health and spike alerts around the ``base`` observer."""

    interval_s: float
    notify: bool = True
    """Send spike and window-overrun alerts to the webhook (``REPLYBOT_ALERT_WEBHOOK_URL``)."""
    metrics: MetricsObserver | None = None


def observability(
    settings: Settings,
    accounts: tuple[Account, ...],
    interval_s: float,
    base: Observer,
    open_incident: Callable[[str, datetime], object] | None,
    notify: bool,
    metrics: MetricsObserver | None = None,
    clock: Clock | None = None,
) -> Observability:
    clock = clock or SystemClock()
    metrics = metrics or MetricsObserver(Metrics(), clock=lambda: clock.now().timestamp())
    health = HealthState([a.code for a in accounts], interval_s, clock=lambda: clock.now().timestamp())
    alerts = settings.alerts
    detector = SpikeDetector(
        threshold_ratio=alerts.spike_ratio,
        min_per_minute=alerts.spike_min_per_minute,
        baseline_minutes=alerts.baseline_minutes,
    )
    notifier = SlackWebhook(alerts.webhook_url) if notify and alerts.webhook_url else None
    spikes = SpikeAlerts(detector, notifier, clock=clock.now, on_start=open_incident if alerts.open_incident else None)
    return Observability(FanOut(base, metrics, HealthObserver(health), spikes), metrics, health)


def open_store(settings: Settings, *, dry_run: bool, db_path: Path | None) -> Store:
    """The live database, or for a dry run an in-memory one (unless a database was named with --db) that starts
    from the live database's incidents and checkpoints, read only: the preview is what the live run would post."""
    if dry_run and db_path is None:
        return Store.preview_of(settings.db_path)
    return Store.open(db_path or settings.db_path)


def x_platforms(
    settings: Settings,
    accounts: tuple[Account, ...],
    sleep: Callable[[float], object] | None = None,
    on_api_call: Callable[[str, str, int | str], None] | None = None,
    clock: Clock | None = None,
) -> dict[str, Platform]:
    """The real X adapters. ``sleep`` lets a stop signal cut retry back-offs short; ``on_api_call`` counts calls."""
    import time

    from bot.adapters.x_api import XPlatform  # tweepy is imported only when X is really used

    now = (lambda: clock.now().timestamp()) if clock else time.time
    return {
        a.code: XPlatform(a, settings, sleep=sleep or time.sleep, on_api_call=on_api_call, now=now) for a in accounts
    }


def make_classifier(settings: Settings, words: Lexicon | None = None) -> TextClassifier:
    """The engine ``[model] engine`` names: the learned model (with the lexicon as guardrail) or the lexicon.
    ``words``: the lexicon files already read (else they are read here)."""
    lexicon = Classifier(words or load_lexicon(settings.lexicon_dir))
    if settings.model.engine is Engine.LEXICON:
        return LexiconEngine(lexicon)
    return LearnedClassifier(lexicon, _model_at(settings.model.path), settings.model.point)


def _model_at(path: Path) -> Model:
    """The model file, read once per process while it is unchanged (tests and commands build many apps)."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    return _load_model(str(path), stamp)


@functools.lru_cache(maxsize=4)
def _load_model(path: str, stamp: int) -> Model:
    return Model.load(Path(path))


def build(
    settings: Settings,
    *,
    dry_run: bool,
    db_path: Path | None = None,
    platforms: Mapping[str, Platform] | None = None,
    accounts: tuple[Account, ...] | None = None,
    observer: Observer | None = None,
    store: Store | None = None,
    incident_override: IncidentState | None = None,
    sleep: Callable[[float], object] | None = None,
    classifier: TextClassifier | None = None,
    clock: Clock | None = None,
    should_stop: Callable[[], bool] | None = None,
    watch: Watch | None = None,
    poster: str = BOT_POSTER,
) -> App:
    """Wire the whole app; nothing is assigned afterwards. ``platforms`` replaces the X adapters (demo feed, mock
    client, tests); ``clock`` is the one source of time for everything (a drill's fake clock); ``watch`` adds
    metrics, health and spike alerts around ``observer``; ``poster`` names who its outbox claims as (the
    console and the review commands post beside the bot)."""
    clock = clock or SystemClock()
    redact.register(settings.secrets())  # whatever is stored or shown from now on is scrubbed of them
    if accounts is None:
        accounts = settings.accounts if platforms is not None else settings.enabled_accounts
    metrics = (watch.metrics or MetricsObserver(Metrics(), clock=lambda: clock.now().timestamp())) if watch else None
    chosen: dict[str, Platform] = (
        dict(platforms)
        if platforms is not None
        else x_platforms(settings, accounts, sleep, metrics.api_call if metrics else None, clock)
    )
    store = store or open_store(settings, dry_run=dry_run, db_path=db_path)
    chosen = {code: MeteredPlatform(p, code, store, settings.limits, clock) for code, p in chosen.items()}
    if dry_run:  # outside the meter: a post that is only printed costs nothing
        chosen = {code: DryRunPlatform(p) for code, p in chosen.items()}
    wired = tuple(a for a in accounts if a.code in chosen)
    base = observer or LogObserver()
    watched: Observability | None = None
    if watch is not None:
        quiet_s = settings.limits.resolved_quiet_s
        watched = observability(
            settings,
            wired,
            watch.interval_s,
            base,
            open_incident=lambda code, at: declare_on_spike(store, code, at, quiet_s),
            notify=watch.notify,
            metrics=metrics,
            clock=clock,
        )
    heard = watched.observer if watched else base
    words = load_lexicon(settings.lexicon_dir)  # once: the classifier and the two wording readers share it
    composer = ReplyComposer(settings.templates_dir, LoginReader(words))
    engine = classifier or make_classifier(settings, words)
    intake = Intake(settings, store, engine, chosen, heard, clock, should_stop, OptOutReader(words))
    announcer = Announcer(settings, store, composer, chosen, heard, clock)
    outbox = Outbox(settings, store, composer, chosen, heard, clock, announcer, should_stop, incident_override, poster)
    service = Service(intake, outbox, heard)
    return App(
        settings,
        store,
        service,
        wired,
        metrics=watched.metrics if watched else None,
        health=watched.health if watched else None,
        clock=clock,
    )
