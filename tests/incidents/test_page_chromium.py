"""The read-only incidents page on the metrics port, loaded in a real headless Chromium: while the demo runs
(its incidents listed, one packet drawn as a timeline), and after a Claude Code retry burst (the stuck
session, the failing block marked, tool_use -> tool_result links that land on the tool_use). Screenshots
are kept under the test's tmp dir. No canary on any page."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from forensics_support import CANARY, SESSION_ID, broken_turn_body, claude_code_headers, instrumented_mock

from claude_otel.incidents.page import start_metrics_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None, reason="chromium and chromedriver are not installed"
)


@pytest.fixture
def browser() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _text(driver, css: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css).text


def test_the_page_while_the_demo_runs(browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    db = tmp_path / "demo.sqlite"
    cmd = [sys.executable, "-m", "claude_otel.cli", "demo", "--duration", "5", "--agents", "4", "--no-live"]
    cmd += ["--metrics-port", "0", "--report", str(tmp_path / "r.json"), "--incidents", str(db), "--hold"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        page_url = None
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        for line in proc.stdout:
            m = re.search(r"incidents page: (http://\S+/incidents)", line)
            if m:
                page_url = m.group(1)
            if "holding" in line or time.monotonic() > deadline:
                break
        assert page_url, "the demo printed where the page is"
        browser.get(page_url)
        rows = browser.find_elements(By.CSS_SELECTOR, "#incidents tr")
        assert len(rows) > 1, browser.page_source[:2000]
        assert "tool_result" in _text(browser, "#incidents") or "tool_reference" in _text(
            browser, "#incidents"
        )
        assert "predicted" in _text(browser, "#predictions")
        browser.save_screenshot(str(tmp_path / "demo-incidents.png"))
        link = browser.find_element(By.CSS_SELECTOR, "#incidents a")
        link.click()
        assert browser.find_elements(By.CSS_SELECTOR, "#timeline .turn")
        assert "anthropic-sdk-python" in _text(browser, "#packet")
        browser.save_screenshot(str(tmp_path / "demo-incident.png"))
        assert CANARY not in browser.page_source
    finally:
        proc.terminate()
        proc.wait(30)


def test_a_stuck_session_and_its_packet_as_a_timeline(browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    with instrumented_mock(tmp_path) as rig:
        with httpx.Client(timeout=30) as client:
            for _ in range(6):
                client.post(rig.url, json=broken_turn_body(extra_turns=2), headers=claude_code_headers())
        rig.flush()
        server, _thread = start_metrics_server(0, registry=rig.registry)
        try:
            base = f"http://127.0.0.1:{server.server_port}"
            assert "claude_otel_requests_total" in httpx.get(base + "/metrics").text  # /metrics still there
            browser.get(base + "/incidents")
            stuck = _text(browser, "#stuck")
            assert SESSION_ID in stuck and "tool_result_missing" in stuck
            assert "6" in _text(browser, "#incidents") and "claude-cli/2.1.332" in _text(
                browser, "#incidents"
            )
            browser.save_screenshot(str(tmp_path / "stuck.png"))
            browser.find_element(By.CSS_SELECTOR, "#stuck a").click()
            failing = browser.find_elements(By.CSS_SELECTOR, "#timeline .turn.failing .block.failing")
            assert len(failing) == 1 and "toolu_01BrokenTurnRead" in failing[0].text
            assert "Rewind to message" in _text(browser, "#packet")
            link = failing[0].find_element(By.CSS_SELECTOR, "a.link")
            assert link.get_attribute("href").endswith("#use-toolu_01BrokenTurnRead")
            target = browser.find_element(By.ID, "use-toolu_01BrokenTurnRead")
            assert "Read" in target.text  # the link lands on the tool_use it answers
            turns = browser.find_elements(By.CSS_SELECTOR, "#timeline .turn")
            # 8 messages (the last an injected system one): the first two, three either side of the failing
            # one (6); one elided
            assert [t.get_attribute("data-i") for t in turns] == ["0", "1", "3", "4", "5", "6", "7"]
            assert "1 message elided" in _text(browser, "#timeline .elided")
            browser.save_screenshot(str(tmp_path / "packet.png"))
            assert CANARY not in browser.page_source
            assert httpx.get(base + "/incidents/zzzz").status_code == 404
        finally:
            server.shutdown()
            server.server_close()
