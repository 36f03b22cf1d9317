"""The page at / in Debian's headless Chromium, driven by Selenium through Debian's
chromedriver (the same Chromium build: 156.x both), against the real broker and demo."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.kafka.broker import read_topic
from tests.serve.conftest import StartServer, run_demo

ARTIFACTS = Path(
    os.environ.get("OTEL_AGENTS_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)
_ROW_IDS = (
    "return Array.from(document.querySelectorAll('#actions tbody tr'), r => r.dataset.eventId)"
)


def _binary(name: str) -> str:
    path = shutil.which(name) or f"/usr/bin/{name}"
    if not os.path.exists(path):
        message = f"{name} is not installed (.ci/install-system-deps.sh installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium")
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--window-size=1400,1400",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(_binary("chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()


def _epoch(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_page_shows_live_actions_and_sends_feedback_to_kafka(
    kafka_bootstrap: str,
    demo_topics: dict[str, str],
    start_server: StartServer,
    browser: webdriver.Chrome,
    tmp_path: Path,
) -> None:
    server = start_server(
        "--bootstrap-servers", kafka_bootstrap, "--topic", demo_topics["outcomes"],
        "--feedback-topic", demo_topics["feedback"], "--from-now",
    )  # fmt: skip
    server.wait_ready()
    browser.get(server.url + "/")
    WebDriverWait(browser, 15).until(
        lambda d: d.find_element(By.ID, "connection").get_attribute("data-state") == "live"
    )
    demo = run_demo(
        tmp_path, "--runs", "30", "--kafka", kafka_bootstrap, env=demo_topics, background=True
    )
    try:
        first_seen: dict[str, float] = {}
        deadline = time.monotonic() + 60
        while len(first_seen) < 30 and time.monotonic() < deadline:
            now = time.time()
            for event_id in browser.execute_script(_ROW_IDS):
                first_seen.setdefault(event_id, now)
            time.sleep(0.05)
        assert len(first_seen) >= 30, "the page shows the demo's actions as they happen"
        ends = {
            a["event_id"]: a["end_time"]
            for a in server.get("/api/v1/actions", limit=500)["actions"]
        }
        delays = sorted(first_seen[e] - _epoch(ends[e]) for e in first_seen)
        print(f"action to page: median {delays[len(delays) // 2]:.3f}s, max {delays[-1]:.3f}s")
        assert delays[-1] < 2.0, f"slowest action reached the page after {delays[-1]:.2f}s"

        # Feedback from the keyboard on a writer action, as a person using only keys would.
        WebDriverWait(browser, 30).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, '#actions tr[data-agent="writer"]')
        )
        row = browser.find_element(By.CSS_SELECTOR, '#actions tr[data-agent="writer"]')
        event_id = row.get_attribute("data-event-id")
        button = row.find_element(By.CSS_SELECTOR, "button.fb-positive")
        assert button.get_attribute("aria-label").startswith("Good: writer")
        button.send_keys(Keys.ENTER)
        WebDriverWait(browser, 15).until(
            lambda d: "sent on writer" in d.find_element(By.ID, "feedback-status").text
        )
        assert demo.wait(120) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
    records = [
        json.loads(m.value())
        for m in read_topic(kafka_bootstrap, demo_topics["feedback"], expect=31)
    ]  # type: ignore[attr-defined]
    mine = [r["data"] for r in records if r["data"]["origin"] == "http"]
    assert [(f["event_id"], f["kind"]) for f in mine] == [(event_id, "positive")]

    WebDriverWait(browser, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#agents tbody tr[data-agent='writer']")
    )
    browser.execute_script("window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "serve-page.png"))
    # Every control has a name a screen reader can say; the page declares its language.
    unnamed = browser.execute_script(
        "return Array.from(document.querySelectorAll('button, input')).filter(e =>"
        " !(e.getAttribute('aria-label') || e.textContent.trim() || e.labels?.length)).length"
    )
    assert unnamed == 0 and browser.find_element(By.TAG_NAME, "html").get_attribute("lang")
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors
