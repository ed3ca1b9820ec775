"""The console end to end in a real headless Chromium (issue 15): log in, see a reply the fake X's mention
put on the queue, approve it (the fake X gets exactly one post), open and resolve an incident; a screenshot
of each page is saved (``REPLYBOT_SCREENSHOTS=DIR`` keeps them, e.g. for docs/screenshots)."""

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
                 "--window-size=1400,900"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, text: str, url: bool = False) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15).until(lambda d: text in (d.current_url if url else d.page_source))


def test_log_in_approve_once_and_run_an_incident_in_a_real_browser(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    shots = Path(os.environ.get("REPLYBOT_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    driver = browser
    with FakeX(limits="none") as fx:
        config = write_config(tmp_path / "c.toml", only=("ID",), accounts={"ID": {"approval": True}})
        db = tmp_path / "console.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("X_")}
        env.update({**fake_env(("ID",)), "X_API_BASE_URL": fx.url, "REPLYBOT_WEB_TOKEN": TOKEN})
        (mid,) = admin_post(
            fx.url, "mentions", [mention("shopeeid", "@shopeeid aplikasi error, gabisa login", "rina")]
        )["ids"]
        bot = [
            sys.executable,
            "-m",
            "bot",
            "run",
            "--once",
            "--config",
            str(config),
            "--db",
            str(db),
            "--metrics-port",
            "0",
        ]
        assert subprocess.run(bot, env=env, cwd=tmp_path, capture_output=True, timeout=120).returncode == 0
        assert admin_get(fx.url, "posts")["posts"] == []  # approval mode: it waits for a human
        port = free_port()
        web = subprocess.Popen(
            [sys.executable, "-m", "bot", "web", "--config", str(config), "--db", str(db), "--port", str(port)],
            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    requests.get(f"{base}/login", timeout=1)
                    break
                except requests.ConnectionError:
                    assert time.monotonic() < deadline, "the console did not start"
                    time.sleep(0.2)
            driver.get(f"{base}/login")
            driver.save_screenshot(str(shots / "login.png"))
            driver.find_element(By.NAME, "name").send_keys("Ayu")
            driver.find_element(By.NAME, "token").send_keys(TOKEN)
            driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
            wait_for(driver, "Overview")
            driver.save_screenshot(str(shots / "overview.png"))
            driver.get(f"{base}/queue")
            assert mid in driver.page_source
            driver.save_screenshot(str(shots / "queue.png"))
            driver.find_element(By.CSS_SELECTOR, f"form[action='/queue/{mid}/approve'] button").click()
            wait_for(driver, "note=posted", url=True)
            posts = admin_get(fx.url, "posts")["posts"]
            assert [p["in_reply_to_tweet_id"] for p in posts] == [mid]  # exactly one post
            assert not driver.find_elements(By.CSS_SELECTOR, f"form[action='/queue/{mid}/approve']")
            driver.get(f"{base}/")
            for state in ("investigating", "resolved"):
                form = driver.find_element(By.CSS_SELECTOR, "form[action='/incident/ID']")
                form.find_element(By.CSS_SELECTOR, f"option[value='{state}']").click()
                if state == "investigating":
                    form.find_element(By.NAME, "note").send_keys("https://status.example.com/login")
                form.find_element(By.TAG_NAME, "button").click()
                wait_for(driver, f"state-{state}")
                driver.save_screenshot(str(shots / f"incident-{state}.png"))
            driver.get(f"{base}/audit")
            audit = driver.page_source
            assert "approve" in audit and "incident-resolved" in audit and "Ayu" in audit and TOKEN not in audit
            driver.save_screenshot(str(shots / "audit.png"))
        finally:
            web.terminate()
            web.wait(10)
        assert len(admin_get(fx.url, "posts")["posts"]) == 1
    assert {p.name for p in shots.iterdir()} >= {"login.png", "overview.png", "queue.png", "audit.png"}
