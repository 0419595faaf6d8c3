"""`claude-otel demo` end to end, as a user runs it: a subprocess, real servers on 127.0.0.1, the real SDK."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from claude_otel.demo.faults import FAULT_KINDS, FAULTS
from claude_otel.demo.metrics_view import parse_exposition

pytestmark = pytest.mark.slow

METRICS_LINE = re.compile(r"^metrics: (http://127\.0\.0\.1:\d+/metrics)$")


class Demo:
    """``claude-otel demo`` in a subprocess, its stdout read line by line as it comes."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.report = tmp_path / "out" / "demo-report.json"
        cmd = [sys.executable, "-m", "claude_otel.cli", "demo", "--no-live", "--metrics-port", "0"]
        cmd += ["--report", str(self.report), *args]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path, bufsize=1
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: re.Pattern[str] | str, timeout: float = 120) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            m = rx.search(line)
            if m:
                return m
        raise AssertionError(f"no line matching {rx.pattern!r}; output so far:\n{''.join(self.output)}")

    def finish(self, timeout: float = 120) -> int:
        rc = self.proc.wait(timeout=timeout)
        time.sleep(0.1)  # let the pump read the last lines
        return rc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def scrape(url: str, accept: str = "text/plain") -> str:
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return resp.read().decode()


def _served(text: str, name: str, **labels: str) -> bool:
    """A sample ``name`` with these label values and a value > 0 is in the exposition ``text``."""
    for line in text.splitlines():
        if not line.startswith(name + "{") or float(line.rsplit(" ", 1)[-1]) <= 0:
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return True
    return False


def test_demo_runs_end_to_end_and_its_report_shows_every_fault_predicted(tmp_path: Path) -> None:
    demo = Demo(tmp_path, "--agents", "16", "--duration", "8", "--seed", "3")
    try:
        url = demo.wait_for(METRICS_LINE).group(1)
        # While the fleet runs, /metrics serves the operator's series, with predicted 400s among them.
        text = ""
        for _ in range(60):
            text = scrape(url)
            sums = parse_exposition(text)
            if sums.get("claude_otel_errors_total", 0) > 0 and sums.get("claude_otel_findings_total", 0) > 0:
                break
            time.sleep(0.25)
        assert _served(text, "claude_otel_requests_total", outcome="invalid_request", predicted="error"), text
        assert _served(text, "claude_otel_requests_total", outcome="ok", predicted="ok")
        assert _served(text, "claude_otel_errors_total", predicted="error", status_class="4xx")
        assert _served(text, "claude_otel_findings_total", severity="error")
        # OpenMetrics (what Prometheus asks for) carries exemplars linking the counters to traces.
        openmetrics = scrape(url, accept="application/openmetrics-text; version=1.0.0")
        assert re.search(
            r'^claude_otel_requests_total\{.*\} \S+ # \{[^}]*trace_id="[0-9a-f]{32}"', openmetrics, re.M
        )
        assert demo.finish() == 0, "".join(demo.output)
    finally:
        demo.kill()

    out = "".join(demo.output)
    assert f"report: {demo.report}" in out
    assert f"metrics were served at {url}" in out
    report = json.loads(demo.report.read_text())

    # Every fault kind was carried by an agent, injected, answered with a 400, and predicted before sending.
    assert sorted(report["faults"]) == sorted(FAULT_KINDS)
    for kind, f in report["faults"].items():
        assert f["injected"] > 0, (kind, f)
        assert f["injected_400"] > 0, (kind, f)
        assert f["predicted"] == f["injected"], (kind, f)
        assert set(f["categories"]) <= FAULTS[kind].categories, (kind, f["categories"])
        assert set(f["error_findings"]) & FAULTS[kind].rules, (kind, f["error_findings"])

    # Clean agents: real traffic, no 400, no error-severity finding.
    clean = report["clean"]
    assert clean["requests"] > 20
    assert clean["errors_400"] == 0, clean
    assert clean["error_findings_total"] == 0, clean

    # The prediction table: every 400 was predicted, no prediction was wrong.
    p = report["prediction"]
    assert p["predicted_and_failed"] == sum(f["errors_400"] for f in report["faults"].values())
    assert p["failed_not_predicted"] == 0 and p["predicted_but_succeeded"] == 0, p

    # The operator's numbers (/metrics) agree with the ground truth.
    m = report["metrics"]
    assert m["requests_by_outcome"].get("invalid_request", 0) == p["predicted_and_failed"]
    assert m["prediction"]["predicted_and_failed"] == p["predicted_and_failed"]
    assert m["prediction"]["failed_not_predicted"] == 0
    assert report["metrics_scrape"]["ok"] is True
    assert report["metrics_url"] == url

    # One request total: what /metrics counts, scraped after the agents stopped; its parts named.
    requests = report["requests"]
    assert (
        requests["total"] == m["requests"] == report["metrics_scrape"]["series"]["claude_otel_requests_total"]
    )
    assert requests["by_agents"] == sum(g["requests"] for g in [*report["faults"].values(), clean])
    assert requests["total"] == requests["by_agents"] + requests.get("sdk_retries", 0), requests
    assert "unexplained" not in requests and "in_flight_at_end" not in requests, requests
    assert not [k for k in report["metrics_scrape"]["series"] if k.endswith(("_created", "_bucket"))]
    assert re.search(rf"^{requests['total']} requests .*by 16 agents in ", out, re.M), out

    # Real spans: the SDK's call span and the HTTP span carrying the request shape.
    spans = report["spans"]
    assert spans["by_name"].get("anthropic.messages.create", 0) > 0, spans
    assert spans["with_claude_otel_attributes"] >= p["predicted_and_failed"] > 0, spans


def test_ctrl_c_stops_cleanly_and_still_writes_the_report(tmp_path: Path) -> None:
    demo = Demo(tmp_path, "--agents", "4", "--duration", "300")
    try:
        demo.wait_for(r"^fleet: 4 agents")
        demo.wait_for(r"got 400 ")  # the fleet is busy
        demo.proc.send_signal(signal.SIGINT)
        rc = demo.finish(timeout=60)
    finally:
        demo.kill()
    out = "".join(demo.output)
    assert rc == 130, out
    assert "Traceback" not in out
    report = json.loads(demo.report.read_text())
    assert report["interrupted"] is True
    assert sum(f["requests"] for f in report["faults"].values()) > 0


def test_sigterm_stops_cleanly_too(tmp_path: Path) -> None:
    demo = Demo(tmp_path, "--agents", "2", "--duration", "300")
    try:
        demo.wait_for(r"got 400 ")
        demo.proc.send_signal(signal.SIGTERM)
        rc = demo.finish(timeout=60)
    finally:
        demo.kill()
    assert rc == 130, "".join(demo.output)
    assert json.loads(demo.report.read_text())["interrupted"] is True


def test_hold_keeps_metrics_up_after_the_run_until_ctrl_c(tmp_path: Path) -> None:
    demo = Demo(tmp_path, "--agents", "2", "--duration", "2", "--hold")
    try:
        url = demo.wait_for(METRICS_LINE).group(1)
        demo.wait_for(r"^holding: /metrics stays up")
        assert demo.report.exists()
        sums = parse_exposition(scrape(url))
        assert sums.get("claude_otel_requests_total", 0) > 0
        demo.proc.send_signal(signal.SIGINT)
        assert demo.finish(timeout=30) == 0
    finally:
        demo.kill()


def test_bad_arguments_get_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "claude_otel.cli", "demo", "--fault-rate", "1.5"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "--fault-rate: must be between 0 and 1, got 1.5" in proc.stderr


def test_unwritable_report_path_is_refused_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("x")
    proc = subprocess.run(
        [sys.executable, "-m", "claude_otel.cli", "demo", "--no-live", "--report", "a_file/report.json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "claude-otel demo: --report: cannot create a_file" in proc.stderr
    assert "mock Messages API" not in proc.stdout


def test_without_network_faults_no_agent_sees_a_429_529_or_mid_stream_error(tmp_path: Path) -> None:
    demo = Demo(tmp_path, "--agents", "4", "--duration", "3", "--no-network-faults")
    try:
        demo.wait_for(r"^network-level faults off")
        assert demo.finish() == 0, "".join(demo.output)
    finally:
        demo.kill()
    report = json.loads(demo.report.read_text())
    assert report["config"]["mock_faults"] is False
    assert report["clean"]["other_errors"] == 0 and report["clean"]["requests"] > 0
    assert all(f["other_errors"] == 0 for f in report["faults"].values())
    outcomes = report["metrics"]["requests_by_outcome"]
    assert set(outcomes) <= {"ok", "invalid_request"}, outcomes
    assert report["requests"] == {
        "total": report["requests"]["by_agents"],
        "by_agents": report["requests"]["by_agents"],
    }


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def test_live_view_on_a_terminal_ends_with_a_frame_of_the_final_numbers(tmp_path: Path) -> None:
    """The live view on a real (pseudo-)terminal: the startup steps show, and the last frame, drawn after the
    agents stopped, has the summary's numbers (not a stale one from before the end)."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 140, 0, 0))
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "claude_otel.cli", "demo", "--agents", "4", "--duration", "3"]
    cmd += ["--metrics-port", "0", "--report", str(report)]
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "TERM")}
    proc = subprocess.Popen(
        cmd, stdin=terminal, stdout=terminal, stderr=terminal, cwd=tmp_path, env=env | {"TERM": "xterm"}
    )
    os.close(terminal)
    chunks: list[bytes] = []
    try:
        while True:
            try:
                data = os.read(controller, 65536)
            except OSError:  # EIO: the terminal closed
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(controller)
    text = ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))
    assert "loading the SDK, OpenTelemetry and the instrumentation" in text
    assert "starting the mock Messages API" in text and "creating their SDK clients" in text
    total = json.loads(report.read_text())["requests"]["total"]
    final = text.rindex("final numbers (the report's)")
    assert "Ctrl-C to stop" not in text[final:]  # no live frame after the final one
    assert re.search(rf"finished in [0-9.]+ s\s+requests {total}\s", text[final:]), text[final:]
    assert re.search(rf"^{total} requests .*by 4 agents in ", text[final:], re.M), text[final:]
