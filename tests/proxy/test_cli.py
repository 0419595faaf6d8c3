"""``claude-otel proxy`` as an operator runs it: a separate process, metrics on its own port and on the
reserved path, a clean exit on SIGTERM, clear errors for bad arguments."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from claude_otel.core.client_label import CLIENT_LABELS, client_label, parse_user_agent

from .test_observability import assert_client_label, sample

ROOT = Path(__file__).resolve().parents[2]


def launch(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in list(env):
        if name.startswith("OTEL_EXPORTER_OTLP"):
            del env[name]
    return subprocess.Popen(
        [sys.executable, "-m", "claude_otel.cli", "proxy", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def read_until(proc: subprocess.Popen, marker: str) -> list[str]:
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"proxy exited early: {''.join(lines)} {proc.stderr.read()}")


def test_cli_serves_the_proxy_and_metrics_on_its_own_port(upstream):
    proc = launch("--listen", "127.0.0.1:0", "--upstream", upstream.base_url, "--metrics-port", "0")
    try:
        out = "".join(read_until(proc, "ANTHROPIC_BASE_URL="))
        base = re.search(r"ANTHROPIC_BASE_URL=(\S+)", out).group(1)
        metrics_urls = re.findall(r"metrics on (\S+)", out)
        assert len(metrics_urls) == 2  # its own port, and the reserved path on the proxy port
        with httpx.Client(timeout=10) as client:
            resp = client.post(
                base + "/v1/messages",
                json={
                    "model": "claude-sonnet-4-5",
                    "max_tokens": 8,
                    "messages": [{"role": "user", "content": "hi"}],
                },
                headers={"x-scenario": "json", "user-agent": "claude-cli/2.0.14 (external, cli)"},
            )
            assert resp.status_code == 200
            assert resp.json()["id"] == "msg_01TestUpstream"
            pages = [client.get(url).text for url in metrics_urls]
        for page in pages:
            assert sample(page, "claude_otel_requests_total", endpoint="messages", outcome="ok") == 1.0
            assert_client_label(page, "claude-code", 1.0)
    finally:
        proc.terminate()
        code = proc.wait(20)
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listen", "nonsense"], "--listen must be HOST:PORT"),
        (["--upstream", "ftp://example"], "upstream must be an http(s) URL"),
    ],
)
def test_cli_rejects_bad_arguments_clearly(args, message):
    proc = launch(*args)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert message in err


def test_client_label_is_bounded_and_recognises_the_known_surfaces():
    assert client_label("claude-cli/2.0.14 (external, cli)") == "claude-code"
    assert client_label("claude-cli/1.0.119 (external, claude-vscode)") == "claude-code"
    assert client_label("claude-cli/2.1.197 (external, sdk-cli)") == "claude-code"  # claude -p
    assert client_label("claude-cli/2.0.30 (external, sdk-ts)") == "claude-agent-sdk"
    assert client_label("claude-cli/2.0.30 (external, sdk-py, agent-sdk/0.1.5)") == "claude-agent-sdk"
    assert client_label("Anthropic/Python 2.10.0") == "anthropic-sdk-python"
    assert client_label("AsyncAnthropic/Python 2.10.0") == "anthropic-sdk-python"
    assert client_label("AnthropicBedrock/Python 2.10.0") == "anthropic-sdk-python"
    assert client_label("MyAnthropicWrapper/Python 1.0") == "other"
    assert client_label("Anthropic/JS 0.68.0") == "anthropic-sdk-typescript"
    assert client_label("Anthropic/Go 1.14.0") == "anthropic-sdk-go"
    assert client_label("Anthropic/Java 2.9.0") == "anthropic-sdk-java"
    assert client_label("curl/8.5.0") == "curl"
    assert client_label("python-httpx/0.28.1") == "other"
    assert client_label("") == "other"
    assert client_label(None) == "other"
    assert parse_user_agent("claude-cli/" + "9" * 5000) == ("claude-code", None)  # no unbounded version
    assert parse_user_agent("claude-cli/2.0.14 (external, cli)") == ("claude-code", "2.0.14")
    assert set(map(client_label, ["x", "Anthropic/Rust 1", "curl/x"])) <= set(CLIENT_LABELS)
