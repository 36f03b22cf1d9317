"""The demo's trace in Jaeger's UI, rendered by Debian's headless chromium.

Jaeger built from its Go module serves only a placeholder page: the UI is a separate
React build (jaeger-ui) that no package registry publishes. Give a jaeger-ui build with
OTEL_AGENTS_JAEGER_UI=<folder holding its index.html> (docs/jaeger.md says how to make
one); without it this module is skipped, in CI too, because nothing reachable from here
can provide it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jaeger_harness
import pytest
from jaeger_harness import Jaeger

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(jaeger_harness.JAEGER_BUILD_TIMEOUT_S + 300),
]


@pytest.fixture(scope="module")
def ui_assets() -> Path:
    configured = os.environ.get("OTEL_AGENTS_JAEGER_UI")
    if not configured:
        pytest.skip("OTEL_AGENTS_JAEGER_UI not set: no jaeger-ui build to serve (docs/jaeger.md)")
    folder = Path(configured)
    assert (folder / "index.html").is_file(), f"{folder} holds no jaeger-ui build"
    return folder


@pytest.fixture(scope="module")
def jaeger_with_ui(
    jaeger_binary: Path, ui_assets: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Jaeger]:
    server = Jaeger(jaeger_binary, tmp_path_factory.mktemp("jaeger-ui"), ui_assets=ui_assets)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def demo_trace(jaeger_with_ui: Jaeger, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A demo workflow trace in Jaeger with every agent, a tool call and a failure."""
    workdir = tmp_path_factory.mktemp("demo-ui")
    jaeger_harness.run_demo(jaeger_with_ui, workdir, "agent-demo", OTEL_METRICS_EXPORTER="none")
    for trace in jaeger_harness.wait_for_traces(jaeger_with_ui, "agent-demo", 6):
        spans = trace["spans"]
        names = {s["operationName"] for s in spans}
        failed = any(jaeger_harness.tags(s).get("agent.outcome.status") == "FAILURE" for s in spans)
        if {"invoke_agent writer", "invoke_agent evaluator"} <= names and failed:
            return trace
    pytest.fail("no demo trace with every agent and a failed tool call")


@pytest.fixture
def browser(system_tool: Any) -> Iterator[Any]:
    """Debian's chromium, headless, driven through Debian's chromedriver (one source
    package, so the pair always matches; nothing is downloaded)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = system_tool("chromium")
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1600,1100",
        "--no-first-run",
        "--disable-background-networking",  # no traffic beyond 127.0.0.1
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(system_tool("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _page(browser: Any) -> str:
    from selenium.webdriver.common.by import By

    text: str = browser.find_element(By.TAG_NAME, "body").text
    return text


def _artifacts() -> Path:
    """Where tests leave files for people to look at (the serve page's screenshots too)."""
    folder = Path(
        os.environ.get("OTEL_AGENTS_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_trace_view_shows_agent_spans_with_their_outcome_tags(
    jaeger_with_ui: Jaeger,
    demo_trace: dict[str, Any],
    browser: Any,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{jaeger_with_ui.url}/trace/{demo_trace['traceID']}")
    wait = WebDriverWait(browser, 30)
    wait.until(lambda _: "invoke_agent evaluator" in _page(browser))
    for agent in ("planner", "researcher", "writer", "evaluator"):
        assert f"invoke_agent {agent}" in _page(browser)
    assert "execute_tool web_search" in _page(browser)

    # Open the researcher's span, then its tag table: the tags carry the outcome.
    browser.find_element(
        By.XPATH, "//*[contains(@class,'span-name')][contains(., 'invoke_agent researcher')]"
    ).click()
    tags_header = "//*[contains(@class,'AccordianKeyValues--header')][starts-with(., 'Tags')]"
    wait.until(lambda _: browser.find_elements(By.XPATH, tags_header))
    browser.find_element(By.XPATH, tags_header).click()
    wait.until(lambda _: "agent.outcome.status" in _page(browser))
    researcher = next(
        s for s in demo_trace["spans"] if s["operationName"] == "invoke_agent researcher"
    )
    tags = jaeger_harness.tags(researcher)
    text = _page(browser)
    for shown in (
        "gen_ai.agent.name",
        "agent.outcome.status",
        tags["agent.outcome.status"],
        "gen_ai.usage.input_tokens",
        str(tags["gen_ai.usage.input_tokens"]),
    ):
        assert shown in text, f"{shown!r} not on the page"

    screenshot = _artifacts() / "jaeger-trace-view.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 20_000
    print(f"screenshot: {screenshot}")


def test_a_trace_jaeger_does_not_have_shows_no_agent_spans(
    jaeger_with_ui: Jaeger, browser: Any
) -> None:
    """The check above can fail: the same page for an unknown trace id shows none."""
    browser.get(f"{jaeger_with_ui.url}/trace/{'0' * 31}1")
    time.sleep(3)
    assert "JAEGER UI" in _page(browser).upper()
    assert "invoke_agent" not in _page(browser)
