"""The ``replybot`` command line. Reads the environment and the config, then hands over to the service."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from bot.core.normalize import LONE_SURROGATES
from bot.entrypoints.common import common_options, fail, load
from bot.logs import setup_logging
from bot.settings import Engine, Settings

log = logging.getLogger("bot.cli")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="replybot")
def main() -> None:
    """replybot: answers outage complaints on X, once, in the customer's language."""


@main.command()
@common_options
@click.option("--once", is_flag=True, help="Poll every account once, then exit.")
@click.option("--dry-run", is_flag=True, help="Never post and never write the live database; print instead.")
@click.option("--interval", type=click.FloatRange(min=0.01), help="Seconds between polls (overrides config).")
@click.option("--accounts", "only", help="Comma-separated account codes to run, e.g. ID,TH.")
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    help="Port of /metrics and /healthz (overrides config; 0 = off; off in dry-run unless given).",
)
def run(
    config_path: Path | None,
    db_path: Path | None,
    once: bool,
    dry_run: bool,
    interval: float | None,
    only: str | None,
    metrics_port: int | None,
) -> None:
    """Poll every enabled account and answer outage complaints."""
    from bot.adapters.health import HealthServer
    from bot.adapters.lock import AlreadyRunning, DatabaseLock
    from bot.bootstrap import Watch, build
    from bot.entrypoints.console import ConsoleObserver
    from bot.entrypoints.runner import run_loop, stop_on_signals
    from bot.service import LogObserver

    settings = load(config_path, db_path)
    problems = template_problems(settings)
    if problems:
        for problem in problems[:20]:
            click.echo(f"  {problem}", err=True)
        fail(f"{len(problems)} template problem(s) in {settings.templates_dir}; fix them (replybot templates check)")
    codes = [a.code for a in settings.accounts]
    if only:
        codes = [c.strip().upper() for c in only.split(",") if c.strip()]
        unknown = [c for c in codes if c not in {a.code for a in settings.accounts}]
        if unknown:
            fail(
                f"--accounts: unknown account code(s) {', '.join(unknown)}; configured: "
                f"{', '.join(a.code for a in settings.accounts)}"
            )
    for account in settings.accounts:  # only the accounts asked for: the others are not news
        if account.code in codes and not account.enabled:
            log.warning("account %s disabled: %s", account.code, account.disabled_reason())
    accounts = tuple(a for a in settings.enabled_accounts if a.code in codes)
    if not accounts:
        fail(
            "no account has X credentials: set X_<CODE>_API_KEY, X_<CODE>_API_SECRET, X_<CODE>_ACCESS_TOKEN and "
            "X_<CODE>_ACCESS_TOKEN_SECRET (see .env.example), or try `replybot demo`"
        )
    lock = None
    if not dry_run or db_path is not None:
        try:
            lock = DatabaseLock(db_path or settings.db_path).acquire()
        except AlreadyRunning as exc:
            fail(str(exc))
    interval_s = interval or settings.poll_interval_s
    stop = threading.Event()
    app = build(
        settings,
        dry_run=dry_run,
        db_path=db_path,
        accounts=accounts,
        observer=ConsoleObserver() if dry_run else LogObserver(),
        sleep=stop.wait,  # a stop signal cuts a retry back-off short
        should_stop=stop.is_set,
        watch=Watch(interval_s, notify=not dry_run),
    )
    assert app.metrics is not None and app.health is not None
    port = metrics_port if metrics_port is not None else (0 if dry_run else settings.metrics_port)
    server = HealthServer(app.metrics.metrics.registry, app.health) if port else None
    if server:
        try:
            server.start(settings.metrics_host, port)
        except OSError as exc:
            fail(f"cannot serve metrics on {settings.metrics_host}:{port}: {exc.strerror}; use --metrics-port")
        log.info("metrics and health on http://%s:%d/metrics and /healthz", settings.metrics_host, server.port)
    try:
        with stop_on_signals(stop):
            status = run_loop(app, interval_s, stop, once=once)
    finally:
        if server:
            server.stop()
        app.store.close()
        if lock:
            lock.release()
    sys.exit(status)


@main.command()
@common_options
def demo(config_path: Path | None, db_path: Path | None) -> None:
    """Dry-run over a scripted replay of the February 2023 outage (no network, nothing posted)."""
    from bot.adapters.demo import INCIDENTS, demo_platforms
    from bot.bootstrap import build
    from bot.core.models import IncidentState
    from bot.entrypoints.console import ConsoleObserver

    settings = load(config_path, db_path)
    if "REPLYBOT_LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.WARNING)  # the demo's output is the blocks, not the log
    observer = ConsoleObserver()
    now = datetime.now(UTC)
    app = build(settings, dry_run=True, db_path=db_path, platforms=demo_platforms(settings, now), observer=observer)
    click.secho("replybot demo: 6 Feb 2023, the app breaks in six countries (dry run: nothing is posted)\n", bold=True)
    for account in app.accounts:
        state, note = INCIDENTS.get(account.code, (IncidentState.NONE, ""))
        if state is not IncidentState.NONE:
            app.store.set_incident(account.code, state, now, note=note, new=True)
        click.secho(f"== {account.code} ({account.country}): incident {state.value}\n", fg="yellow", bold=True)
        app.service.poll(account)
    click.secho("Summary", bold=True)
    click.echo(observer.summary())


@main.command()
@common_options
@click.option("--limits", default="pro", show_default=True, help="The fake X's rate-limit tier (none, basic, pro...).")
def drill(config_path: Path | None, db_path: Path | None, limits: str) -> None:
    """The demo outage against a fake X through tweepy and a real SQLite file: no network, no credentials."""
    import tempfile

    from bot.entrypoints.drill import run_drill

    settings = load(config_path, db_path)
    if "REPLYBOT_LOG_LEVEL" not in os.environ:
        logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="replybot-drill-") as tmp:
        run_drill(settings.config_path, db_path or Path(tmp) / "drill.db", limits, keep=db_path is not None)


@main.command()
@common_options
@click.argument("text")
@click.option("--lang", help="The tweet's language as X reports it (id, en, th, tl, ms, vi, zh...).")
def classify(config_path: Path | None, db_path: Path | None, text: str, lang: str | None) -> None:
    """Print the classifier's decision for one text, as JSON (with the model's probabilities when it decides)."""
    from bot.bootstrap import make_classifier
    from bot.core.language import LANGUAGES, map_tag
    from bot.model.learned import LearnedClassifier

    settings = load(config_path, db_path)
    if lang and map_tag(lang) is None:
        click.echo(
            f"replybot: --lang {lang!r} is not a language replybot reads ({', '.join(sorted(LANGUAGES))}, or X's "
            "in/fil); the language is detected from the text",
            err=True,
        )
    classifier = make_classifier(settings)
    verdict = classifier.classify(text, lang)
    extra: dict[str, Any] = {}
    if isinstance(classifier, LearnedClassifier):
        probs = classifier.read(text, lang)[0]
        extra["probabilities"] = {k: round(v, 4) for k, v in vars(probs).items()}
    click.echo(
        json.dumps(
            {
                "action": verdict.action.value,
                "category": verdict.category.value if verdict.category else None,
                "lang": verdict.lang,
                "reason": verdict.reason,
                "score": verdict.score,
                **extra,
            },
            ensure_ascii=False,
        )
    )


@main.command()
@common_options
@click.option("--input", "input_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--incident", type=click.Choice(["none", "investigating", "monitoring", "resolved"]))
@click.option("--account", "account_code", help="Account for rows whose handle matches none (default: first).")
def simulate(
    config_path: Path | None, db_path: Path | None, input_path: Path, incident: str | None, account_code: str | None
) -> None:
    """Run mentions from a JSONL file through the whole pipeline, offline; print one JSON line per input.

    Each input line is a JSON object with "id" and "text", and optionally "handle" (the account mentioned),
    "lang" (as X reports it), "author", "created_at" (ISO 8601) and "conversation_id". Replies are worded for
    the live database's incident states (read only) unless --incident says otherwise. A line that cannot be run
    prints {"line": N, "error": ...} and makes the exit status 1.
    """
    from bot.entrypoints.jsonl import read_jsonl
    from bot.entrypoints.simulate import simulate_rows

    settings = load(config_path, db_path)
    if account_code and account_code.upper() not in {a.code for a in settings.accounts}:
        codes = ", ".join(a.code for a in settings.accounts)
        fail(f"--account: unknown account code {account_code!r}; configured: {codes}")
    rows = read_jsonl(input_path)
    failed = 0
    for out in simulate_rows(settings, rows, incident, account_code, live_db=None if incident else settings.db_path):
        failed += "error" in out
        line = json.dumps(out, ensure_ascii=False)
        click.echo(line if not LONE_SURROGATES.search(line) else json.dumps(out))  # never a crash on output
    if failed:
        click.echo(f"{failed} line(s) could not be simulated", err=True)
        sys.exit(1)


@main.command("eval")
@common_options
@click.argument("input_path", metavar="FILE.jsonl", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option("--incident", type=click.Choice(["none", "investigating", "monitoring", "resolved"]))
@click.option(
    "--cv-by",
    "cv_by",
    metavar="FIELD",
    help="Hold out each value of FIELD (e.g. repo) in turn: train on "
    "the rest, score the held-out rows. Needs the train extra.",
)
@click.option("--team/--no-team", default=True, show_default=True, help="With --cv-by: the team's sets always train.")
@click.option(
    "--thresholds",
    default="",
    metavar="T1,T2,...",
    help="Precision, recall and coverage at these reply thresholds (default 0.5 to 0.95; always shown when the "
    "learned engine decides).",
)
def evaluate_cmd(
    config_path: Path | None,
    db_path: Path | None,
    input_path: Path,
    as_json: bool,
    incident: str | None,
    cv_by: str | None,
    team: bool,
    thresholds: str,
) -> None:
    """Compare the pipeline's decisions with labelled mentions (fields action, category): per language and overall."""
    from bot.core.metrics import Row, evaluate
    from bot.entrypoints.jsonl import read_jsonl
    from bot.entrypoints.simulate import simulate_rows

    settings = load(config_path, None)
    cuts = parse_thresholds(thresholds)
    if cv_by:
        from bot.entrypoints.learn_cli import cross_validated

        cross_validated(settings, input_path, cv_by, team, cuts, as_json)
        return
    labelled: list[dict[str, Any]] = []
    skipped = 0

    def rows() -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
        nonlocal skipped
        for number, row, error in read_jsonl(input_path):
            if row is not None and row.get("action") not in ("reply", "escalate", "ignore"):
                row, error = None, "no label: expected action reply, escalate or ignore"
            if row is None:
                skipped += 1
                click.echo(f"line {number}: {error}", err=True)
                continue
            labelled.append(row)
            yield number, row, None

    predicted: list[Row] = []
    for out in simulate_rows(settings, rows(), incident, None, independent=True):
        gold = labelled[len(predicted)]
        if "error" in out:
            click.echo(f"line {out['line']}: {out['error']}", err=True)
            out = {"action": "ignore", "category": None, "lang": gold.get("lang")}
        predicted.append(
            Row(
                gold.get("lang") or out.get("lang") or "und",
                gold["action"],
                gold.get("category"),
                out["action"],
                out["category"],
            )
        )
    if not predicted:
        fail(f"{input_path}: no line has a usable label (action reply, escalate or ignore); nothing to score")
    report = evaluate(predicted)
    curve = None
    if cuts or settings.model.engine is Engine.LEARNED:  # the learned engine always shows its trade-off
        from bot.entrypoints.learn_cli import threshold_curve

        curve = threshold_curve(settings, labelled, cuts)
    if as_json:
        click.echo(json.dumps({**report.to_dict(), **({"curve": curve} if curve else {})}, ensure_ascii=False))
    else:
        click.echo(report.format_text())
        if curve:
            from bot.entrypoints.learn_cli import print_curve

            print_curve(curve)
    if skipped:
        click.echo(f"{skipped} line(s) without a usable label were skipped", err=True)


def parse_thresholds(text: str) -> tuple[float, ...]:
    try:
        cuts = tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError:
        fail(f"--thresholds: expected numbers between 0 and 1 separated by commas, got {text!r}")
    if any(not 0 <= c <= 1 for c in cuts):
        fail(f"--thresholds: every threshold must be between 0 and 1, got {text!r}")
    return cuts


def template_problems(settings: Settings) -> list[Any]:
    from bot.core.login_problem import LoginReader
    from bot.core.replies import ReplyComposer
    from bot.core.status_posts import status_problems
    from bot.core.template_check import check_templates

    composer = ReplyComposer(settings.templates_dir, LoginReader.load(settings.lexicon_dir))
    return check_templates(composer, settings.accounts) + status_problems(composer, settings.accounts)


@main.group()
def templates() -> None:
    """Reply templates (see docs/TEMPLATES.md)."""


@templates.command("check")
@common_options
def templates_check(config_path: Path | None, db_path: Path | None) -> None:
    """Render every variant for every account, language, state and category; exit 1 on any problem."""
    settings = load(config_path, db_path)
    problems = template_problems(settings)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {settings.templates_dir}", err=True)
        sys.exit(1)
    click.echo(f"all templates render and fit in a post ({settings.templates_dir})")


@main.command("health")
@common_options
def health_cmd(config_path: Path | None, db_path: Path | None) -> None:
    """Exit 0 when the running bot's /healthz (on [bot] metrics_port) answers 200; 1 otherwise (HEALTHCHECK)."""
    import urllib.error
    import urllib.request

    settings = load(config_path, db_path)
    if not settings.metrics_port:
        fail("[bot] metrics_port is 0: the bot serves no /healthz to ask", 1)
    url = f"http://127.0.0.1:{settings.metrics_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as answer:
            body = answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        fail(f"{url} answered {exc.code}: {exc.read().decode('utf-8', 'replace')[:300]}", 1)
    except OSError as exc:
        fail(f"{url}: {exc}", 1)
    click.echo(body)


@main.group("fake-x")
def fake_x() -> None:
    """A local fake of the X API v2 endpoints the bot uses, for drills and tests (see docs/FAKE_X.md)."""


@fake_x.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8099, show_default=True, type=click.IntRange(0, 65535))
@click.option("--limits", default="pro", show_default=True, type=click.Choice(["payg", "pro", "basic", "free", "none"]))
@click.option(
    "--faults", default="", help="KIND=RATE,... with KIND in 500 503 429 hang malformed reset lost 402 capped."
)
@click.option("--seed", type=int, help="Seed for reproducible faults.")
@click.option("--hang-seconds", default=30.0, show_default=True, type=click.FloatRange(min=0))
@click.option(
    "--access-level",
    default="read-write",
    show_default=True,
    type=click.Choice(["read", "read-write", "read-write-directmessages"]),
    help="What the x-access-level header says; read cannot post.",
)
@click.option(
    "--late", "late_rate", default=0.0, type=click.FloatRange(0, 1), help="Fraction of mentions delivered late."
)
@click.option("--late-seconds", default=20.0, show_default=True, type=click.FloatRange(min=0))
def fake_x_serve(
    host: str,
    port: int,
    limits: str,
    faults: str,
    seed: int | None,
    hang_seconds: float,
    access_level: str,
    late_rate: float,
    late_seconds: float,
) -> None:
    """Serve the fake X API until Ctrl-C or SIGTERM."""
    from bot.fakex import parse_faults, serve

    setup_logging(os.environ.get("REPLYBOT_LOG_LEVEL", "INFO"))
    try:
        parse_faults(faults)
    except ValueError as exc:
        fail(f"--faults: {exc}")
    click.echo(f"fake X API on http://{host}:{port} (limits={limits}, faults={faults or 'none'})", err=True)
    serve(
        host,
        port,
        limits,
        faults,
        seed,
        hang_seconds=hang_seconds,
        access_level=access_level,
        late_rate=late_rate,
        late_seconds=late_seconds,
    )


def _register() -> None:
    from bot.entrypoints.doctor import doctor
    from bot.entrypoints.incidents import incident
    from bot.entrypoints.learn_cli import train
    from bot.entrypoints.ops import export, stats
    from bot.entrypoints.privacy import purge
    from bot.entrypoints.review import review
    from bot.entrypoints.web import web

    main.add_command(incident)
    main.add_command(review)
    main.add_command(stats)
    main.add_command(export)
    main.add_command(train)
    main.add_command(purge)
    main.add_command(doctor)
    main.add_command(web)


_register()
