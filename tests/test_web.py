"""The console (issue 15): who may log in (the token, agents with argon2 hashes), CSRF on every form, the
overview's numbers and chart data, incident control with its previews, replies and the audit trail.
The queue and the mention page: tests/test_web_queue.py."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import CONFIG, fake_env, write_config
from web_console import HOSTILE, TOKEN, Desk, login, make_desk

from bot.core.models import IncidentState
from bot.entrypoints.ops import account_stats
from bot.settings import ConfigError, load_settings
from bot.settings_web import WebSettings
from bot.web.auth import hash_password
from bot.web.numbers import spike_now

PAGES = ("/", "/overview/numbers", "/queue", "/audit", "/replies", "/incident/ID", "/mention/1")
POSTS = (
    "/queue/approve",
    "/queue/{id}/approve",
    "/queue/{id}/done",
    "/mention/{id}/approve",
    "/mention/{id}/reply",
    "/mention/{id}/hand-back",
    "/mention/{id}/escalate",
    "/mention/{id}/done",
    "/incident/ID",
    "/logout",
)


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**fake_env(), "PATH": ""}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=60)  # fmt: skip


# --- who may come in --------------------------------------------------------------------------------------


def test_every_page_needs_a_login_and_the_chart_data_answers_401(desk: Desk) -> None:
    for path in PAGES:
        assert desk.client.get(path, follow_redirects=False).headers["location"] == "/login", path
    assert desk.client.get("/api/series").status_code == 401
    for path in POSTS:  # not logged in: sent to the login page, nothing done
        sent = desk.client.post(path.format(id="1"), data={"csrf": "x"}, follow_redirects=False)
        assert sent.headers["location"] == "/login", path


def test_a_wrong_token_is_refused_and_never_echoed(desk: Desk) -> None:
    bad = login(desk.client, "x", "nope-nope-nope")
    assert bad.status_code == 401 and TOKEN not in bad.text and "nope-nope-nope" not in bad.text
    forged = desk.client.post("/login", data={"name": "x", "secret": TOKEN, "csrf": "forged"})
    assert forged.status_code == 403
    assert login(desk.client).status_code == 303 and "Overview" in desk.client.get("/").text


@pytest.mark.parametrize("path", POSTS)
def test_a_form_without_the_sessions_csrf_token_is_refused_403(agent_desk: Desk, path: str) -> None:
    mention = agent_desk.decide("aplikasinya error terus, gabisa login dari tadi pagi", status="unsure")
    path = path.format(id=mention.id)
    data = {"csrf": "forged", "state": "investigating", "id": mention.id, "text": "hi"}
    assert agent_desk.client.post(path, data=data, follow_redirects=False).status_code == 403
    assert agent_desk.row(mention.id)["status"] == "unsure" and agent_desk.app.store.label(mention.id) is None
    assert agent_desk.app.store.incident("ID").state is IncidentState.NONE and agent_desk.x.posts == []


def test_agents_log_in_with_their_own_password_never_with_the_token(desk: Desk) -> None:
    digest = hash_password("correct horse battery")
    web = WebSettings(agents=(("ayu", digest),), token=TOKEN)
    client = make_desk(desk.app, desk.x, web).client
    assert login(client, "Ayu", "wrong password!").status_code == 401
    assert login(client, "ayu", TOKEN).status_code == 401  # an agent's name needs the agent's password
    assert login(client, "AYU", "correct horse battery").status_code == 303
    page = client.get("/").text
    assert "signed in as ayu" in page and digest not in page and "$argon2" not in page
    only_agents = make_desk(desk.app, desk.x, WebSettings(agents=(("ayu", digest),))).client
    assert login(only_agents, "Budi", TOKEN).status_code == 401  # no token configured: agents only


def test_the_session_cookie_is_http_only_strict_and_pages_carry_a_strict_csp(desk: Desk) -> None:
    cookie = login(desk.client).headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = desk.client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["cache-control"] == "no-store" and "<script>" not in page.text  # no inline script
    assert desk.client.get("/static/vendor/uPlot.iife.min.js").status_code == 200
    assert desk.client.get("/static/vendor/htmx.min.js").status_code == 200


def test_the_console_refuses_to_start_with_nobody_able_to_log_in() -> None:
    done = run_cli("web", "--config", str(CONFIG), "--db", "/nonexistent/x.db")
    assert done.returncode == 2 and "REPLYBOT_WEB_TOKEN" in done.stderr and "[web.agents]" in done.stderr


def test_hash_password_prints_an_argon2_hash_that_verifies_and_never_the_password() -> None:
    from argon2 import PasswordHasher

    done = run_cli("web", "hash-password", "--stdin", stdin="a long enough secret\n")
    assert done.returncode == 0 and "a long enough secret" not in done.stdout + done.stderr
    assert PasswordHasher().verify(done.stdout.strip(), "a long enough secret")
    assert run_cli("web", "hash-password", "--stdin", stdin="short\n").returncode == 2


@pytest.mark.parametrize(
    ("web", "key", "hint"),
    [
        ({"agents": {"ayu": "hunter2-plain-password"}}, "web.agents.ayu", "argon2 hash"),
        ({"agents": {"-ayu": "x"}}, "web.agents.-ayu", "agent names"),
        ({"port": 70000}, "web.port", "TCP port"),
        ({"colour": "blue"}, "web.colour", "unknown key"),
    ],
)
def test_a_web_config_mistake_names_file_and_key_but_never_the_value(
    tmp_path: Path, web: dict[str, object], key: str, hint: str
) -> None:
    path = write_config(tmp_path / "c.toml", web=web)
    with pytest.raises(ConfigError) as err:
        load_settings(path, fake_env())
    assert err.value.key == key and hint in str(err.value) and str(path) in str(err.value)
    assert "hunter2" not in str(err.value)


def test_the_token_and_the_hashes_are_secrets_the_logs_redact(tmp_path: Path) -> None:
    digest = hash_password("correct horse battery")
    path = write_config(tmp_path / "c.toml", web={"agents": {"ayu": digest}})
    settings = load_settings(path, {**fake_env(), "REPLYBOT_WEB_TOKEN": TOKEN, "REPLYBOT_WEB_SECRET": "k" * 32})
    assert {TOKEN, digest, "k" * 32} <= set(settings.secrets()) and TOKEN not in repr(settings)


# --- the overview ------------------------------------------------------------------------------------------


def test_the_overview_shows_the_numbers_replybot_stats_computes_and_refreshes_with_htmx(agent_desk: Desk) -> None:
    app = agent_desk.app
    mention = agent_desk.decide("aplikasinya error terus, gabisa login dari tadi pagi")
    app.service.send_pending(app.settings.account("ID"))
    agent_desk.decide("saldo ShopeePay saya hilang setelah transfer!!", "budi")
    stats = account_stats(app.store, app.settings, app.settings.account("ID"), datetime.now(UTC) - timedelta(hours=24))
    assert agent_desk.x.replies_to(mention.id) and stats["latency_p50_s"] is not None
    page = agent_desk.client.get("/").text
    numbers = agent_desk.client.get("/overview/numbers").text
    assert 'hx-trigger="every 30s"' in page and 'hx-get="/overview/numbers?hours=3"' in numbers
    assert f"p50 {stats['latency_p50_s']:.0f} s" in numbers and f"p95 {stats['latency_p95_s']:.0f} s" in numbers
    assert "no spike" in numbers and f"<td>{stats['budget_left']}</td>" in numbers
    assert 'data-account="ID"' in page and "/static/vendor/uPlot.iife.min.js" in page


def test_the_chart_data_counts_mentions_per_minute_by_kind_and_carries_no_text(agent_desk: Desk) -> None:
    minute = datetime.now(UTC).replace(second=5, microsecond=0) - timedelta(minutes=2)
    agent_desk.decide("aplikasinya error terus, gabisa login dari tadi pagi", created_at=minute)
    agent_desk.decide(HOSTILE, "mallory", created_at=minute)
    agent_desk.decide("makasih min, paketnya sudah sampai", "sari", created_at=minute)
    data = agent_desk.client.get("/api/series?hours=1").json()
    at = data["minutes"].index(int(minute.timestamp()) // 60 * 60)
    counts = {kind: series[at] for kind, series in data["accounts"]["ID"].items()}
    assert sum(counts.values()) == 3 and counts["complaints"] >= 1 and len(data["minutes"]) == 60
    raw = json.dumps(data)
    assert "script" not in raw and "mallory" not in raw and "paket" not in raw


def test_a_burst_of_recorded_complaints_shows_as_a_spike_on_the_overview(agent_desk: Desk) -> None:
    from bot.core.models import Action, Category, Decision, Mention, Verdict

    store, now = agent_desk.app.store, datetime.now(UTC)
    verdict = Verdict(Action.REPLY, Category.LOGIN, "id", "model:reply p=0.90", 0.9)
    for i in range(45):  # 45 complaints written in the last minute: over the 30-a-minute floor
        mention = Mention(f"9{i:03d}", "@ShopeeID gabisa login", f"u{i}", f"user{i}", "ID", created_at=now)
        store.record_decision(mention, Decision(Action.REPLY, verdict.reason, verdict), "pending", now)
    numbers = agent_desk.client.get("/overview/numbers").text
    assert "SPIKE" in numbers and "threshold 30" in numbers
    assert numbers.count("no spike") == len(agent_desk.app.settings.accounts) - 1


def test_the_spike_state_is_the_bots_detector_replayed_with_its_hysteresis() -> None:
    from bot.settings import Alerts

    now = datetime(2023, 2, 6, 10, 30, 59, tzinfo=UTC)  # the minute nearly over: its bucket is the rate
    minute = int(now.timestamp() // 60)
    burst = {minute - 2: 40, minute - 1: 40, minute: 40}
    assert spike_now(burst, Alerts(), now).active
    assert not spike_now({minute - 1: 5}, Alerts(), now).active
    hovering = {**burst, minute: 20}  # below 30 but above half of it: the spike goes on
    assert spike_now(hovering, Alerts(), now).active
    over = {minute - 4: 40, minute - 3: 40, minute - 2: 2, minute - 1: 2, minute: 2}
    assert not spike_now(over, Alerts(), now).active


# --- incident control ----------------------------------------------------------------------------------------


def test_incidents_move_only_along_allowed_transitions_and_notes_cannot_tag(agent_desk: Desk) -> None:
    store = agent_desk.app.store
    form = agent_desk.client.get("/incident/ID").text.split('id="move-incident"')[1].split("</form>")[0]
    assert 'option value="investigating"' in form and 'option value="resolved"' not in form
    assert agent_desk.post("/incident/ID", state="resolved").status_code == 409  # nothing to resolve yet
    opened = agent_desk.post("/incident/ID", state="investigating", note="https://status.example.com")
    assert opened.status_code == 303 and store.incident("ID").state is IncidentState.INVESTIGATING
    assert agent_desk.post("/incident/ID", state="monitoring", note="@everyone").status_code == 400
    assert store.incident("ID").state is IncidentState.INVESTIGATING
    assert agent_desk.post("/incident/ID", state="resolved").status_code == 303
    assert store.incident("ID").state is IncidentState.RESOLVED
    assert "incident-resolved" in agent_desk.client.get("/audit").text


def test_the_incident_page_previews_the_reply_each_category_would_get(agent_desk: Desk) -> None:
    now = agent_desk.client.get("/incident/ID").text
    assert "ID/id/none/login.j2" in now and "ID/id/none/wallet.j2" in now and "ID/id/escalate.j2" in now
    agent_desk.post("/incident/ID", state="investigating", note="https://status.example.com/x")
    opened = agent_desk.client.get("/incident/ID").text
    assert "ID/id/investigating/login.j2" in opened and "status.example.com/x" in opened
    english = agent_desk.client.get("/incident/ID?state=resolved&lang=en").text
    assert "ID/en/resolved/" in english


# --- records ---------------------------------------------------------------------------------------------------


def test_a_reply_is_found_by_the_reference_code_a_customer_quotes(agent_desk: Desk) -> None:
    from bot.core.replies import reference_code

    mention = agent_desk.x.add_mention("aplikasinya error terus, gabisa login dari tadi pagi", "rina")
    agent_desk.app.service.poll(agent_desk.app.settings.account("ID"))
    code = reference_code(mention.id)
    found = agent_desk.client.get(f"/replies?q={code}").text
    assert code in found and "@rina" in found and f'href="/mention/{mention.id}"' in found
    assert "no reply matches" in agent_desk.client.get("/replies?q=ZZZZZ9").text
    assert "no reply matches" in agent_desk.client.get("/replies?q=%25").text  # a % is a character, not a wildcard


def test_the_audit_trail_is_exported(desk: Desk) -> None:
    login(desk.client, "Budi")
    db = desk.app.settings.db_path
    done = run_cli("export", "--audit", "--config", str(CONFIG), "--db", str(db))
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and rows[-1]["who"] == "Budi" and rows[-1]["action"] == "login"
