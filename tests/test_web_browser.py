"""The console end to end in a real headless Chromium (issue 15): log in, see the overview's charts drawn,
see a queued escalation the fake X's mention put there, filter the queue, approve a reply (the fake X gets
exactly one post), edit and send another from its mention page, open a hostile post harmlessly, open and
resolve an incident with its reply previews; nothing the Content-Security-Policy blocks, no script error.
A screenshot of each page is saved (``REPLYBOT_SCREENSHOTS=DIR`` keeps them, e.g. for docs/screenshots)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import fake_env, write_config
from fakex_clients import admin_get, admin_post, mention

from bot.fakex import FakeX

CHROMIUM, DRIVER = shutil.which("chromium") or "/usr/bin/chromium", shutil.which("chromedriver") or ""
webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (Path(CHROMIUM).exists() and DRIVER), reason="Chromium and ChromeDriver not installed"),
]
TOKEN = "browser-test-token-0123456789"
EDITED = "@dewi Maaf ya kak, tim kami sedang memperbaiki pembayaran. Coba lagi 15 menit lagi."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, text: str, url: bool = False) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15).until(lambda d: text in (d.current_url if url else d.page_source))


def problems(driver: Any) -> list[str]:
    """What the browser complained about: CSP violations, script errors, failed loads."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def background() -> list[dict[str, Any]]:
    """Mentions written over the last 90 minutes, for a chart that shows something: thanks and questions the bot
    ignores, and a few complaints (left waiting for approval)."""
    now = time.time()
    texts = ["@shopeeid makasih min, paketnya sudah sampai", "@shopeeid kapan flash sale berikutnya min?",
             "@shopeeid aplikasi error terus, gabisa bayar"]  # fmt: skip
    return [
        mention("shopeeid", texts[0 if i % 4 else (1 if i % 8 else 2)], f"user{i}", created_at=now - 60 * (90 - i * 3))
        for i in range(28)
    ]


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[str, FakeX, dict[str, str]]]:
    """The bot has read four mentions from the fake X (approval mode) and the console serves its database."""
    with FakeX(limits="none") as fx:
        config = write_config(tmp_path / "c.toml", only=("ID",), accounts={"ID": {"approval": True}})
        db = tmp_path / "console.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("X_", "REPLYBOT_"))}
        env.update({**fake_env(("ID",)), "X_API_BASE_URL": fx.url, "REPLYBOT_WEB_TOKEN": TOKEN})
        posted = admin_post(fx.url, "mentions", [
            mention("shopeeid", "@shopeeid aplikasi error, gabisa login", "rina"),
            mention("shopeeid", "@shopeeid saldo ShopeePay saya hilang 300rb, tolong dicek", "tono"),
            mention("shopeeid", "@shopeeid checkout gagal terus dari tadi, aplikasinya error", "dewi"),
            mention("shopeeid", "@shopeeid <script>alert(1)</script>\u202egnp.exe aplikasi error " + "x" * 3000,
                    "mallory"),
        ])["ids"]  # fmt: skip
        ids = dict(zip(("login", "money", "checkout", "hostile"), posted, strict=True))
        admin_post(fx.url, "mentions", background())  # the chart's last hour and a half
        run = [sys.executable, "-m", "bot", "run", "--once", "--config", str(config), "--db", str(db),
               "--metrics-port", "0"]  # fmt: skip
        assert subprocess.run(run, env=env, cwd=tmp_path, capture_output=True, timeout=120).returncode == 0
        assert admin_get(fx.url, "posts")["posts"] == []  # approval mode: it waits for a human
        port = free_port()
        web = subprocess.Popen(
            [sys.executable, "-m", "bot", "web", "--config", str(config), "--db", str(db), "--port", str(port)],
            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(f"{base}/login", timeout=1)
                    break
                except requests.ConnectionError:
                    assert web.poll() is None and time.monotonic() < deadline, "the console did not start"
                    time.sleep(0.2)
            yield base, fx, ids
        finally:
            web.terminate()
            web.wait(10)


def test_the_console_end_to_end_in_a_real_browser(
    browser: Any, console: tuple[str, FakeX, dict[str, str]], tmp_path: Path
) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    base, fx, ids = console
    shots = Path(os.environ.get("REPLYBOT_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    driver = browser

    def posts() -> list[dict[str, Any]]:
        return list(admin_get(fx.url, "posts")["posts"])

    driver.get(f"{base}/login")
    driver.save_screenshot(str(shots / "login.png"))
    driver.find_element(By.NAME, "name").send_keys("Ayu")
    driver.find_element(By.NAME, "secret").send_keys(TOKEN)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    wait_for(driver, "Overview")
    # the chart: uPlot drew a canvas from /api/series; htmx reloads the numbers and the chart follows
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".chart-plot[data-drawn] canvas"))
    assert driver.find_element(By.CSS_SELECTOR, ".chart-plot[data-account='ID'] canvas").size["width"] > 300
    assert driver.execute_script("return typeof htmx") == "object"
    driver.execute_script("document.querySelector('#numbers td').textContent = 'stale';")
    driver.execute_script("htmx.ajax('GET', '/overview/numbers?hours=3', {target: '#numbers', swap: 'outerHTML'})")
    # (what hx-trigger="every 30s" does on its own; waiting 30 s here would only slow the test)
    wait_for(driver, "ID @ShopeeID</td>")
    driver.save_screenshot(str(shots / "overview.png"))

    driver.get(f"{base}/queue")
    source = driver.page_source
    assert ids["money"] in source and "escalation" in source and ids["login"] in source  # the queued escalation
    Select(driver.find_element(By.NAME, "category")).select_by_value("login")
    driver.find_element(By.CSS_SELECTOR, "form[action='/queue'] button").click()
    wait_for(driver, "category=login", url=True)
    assert ids["login"] in driver.page_source and ids["money"] not in driver.page_source
    driver.save_screenshot(str(shots / "queue.png"))
    driver.find_element(By.CSS_SELECTOR, f"form[action='/queue/{ids['login']}/approve'] button").click()
    wait_for(driver, "approved 1, posted 1")
    assert [p["in_reply_to_tweet_id"] for p in posts()] == [ids["login"]]  # exactly one post
    assert not driver.find_elements(By.CSS_SELECTOR, f"form[action='/queue/{ids['login']}/approve']")

    driver.set_window_size(1400, 1900)  # the whole mention page, its actions included
    driver.get(f"{base}/mention/{ids['checkout']}")
    box = driver.find_element(By.CSS_SELECTOR, "#edit-and-send textarea")
    assert "Ref: " in box.get_attribute("value")  # the template reply, prefilled
    driver.save_screenshot(str(shots / "mention.png"))
    box.clear()
    box.send_keys(EDITED)
    driver.find_element(By.CSS_SELECTOR, "#edit-and-send button").click()
    wait_for(driver, "labelled reply")
    sent = [p for p in posts() if p["in_reply_to_tweet_id"] == ids["checkout"]]
    assert [p["text"] for p in sent] == [EDITED] and not driver.find_elements(By.ID, "edit-and-send")
    driver.save_screenshot(str(shots / "mention-sent.png"))

    driver.set_window_size(1400, 1000)
    driver.get(f"{base}/mention/{ids['hostile']}")
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018
    assert "<script>alert(1)</script>" in driver.find_element(By.CSS_SELECTOR, ".text").text  # shown, as text

    driver.get(f"{base}/incident/ID")
    for state in ("investigating", "resolved"):
        form = driver.find_element(By.ID, "move-incident")
        Select(form.find_element(By.NAME, "state")).select_by_value(state)
        if state == "investigating":
            form.find_element(By.NAME, "note").send_keys("https://status.example.com/login")
        form.find_element(By.TAG_NAME, "button").click()
        wait_for(driver, f"incident {state}")
        assert f"ID/id/{state}/login.j2" in driver.find_element(By.ID, "previews").text
        driver.save_screenshot(str(shots / f"incident-{state}.png"))

    driver.get(f"{base}/replies")
    assert EDITED in driver.page_source
    driver.save_screenshot(str(shots / "replies.png"))
    driver.get(f"{base}/audit")
    audit = driver.page_source
    assert "approve" in audit and "reply" in audit and "incident-resolved" in audit and "Ayu" in audit
    assert TOKEN not in audit
    driver.save_screenshot(str(shots / "audit.png"))
    assert problems(driver) == [], problems(driver)
    assert len(posts()) == 2
    assert {p.name for p in shots.iterdir()} >= {"login.png", "overview.png", "queue.png", "mention.png", "audit.png"}
