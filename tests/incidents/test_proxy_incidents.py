"""Through the proxy (the path Claude Code takes): a Claude Code-shaped retry burst against the mock is one
failure experienced and six attempts on the proxy's /metrics, one incident (six attempts) in the store the
proxy writes, and a stuck session."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
from forensics_support import SESSION_ID, broken_turn_body, claude_code_headers

from claude_otel.mock import MockConfig, MockServer
from claude_otel.proxy.app import ProxyConfig
from claude_otel.proxy.factory import create_proxy
from claude_otel.proxy.server import ThreadedServer


def test_a_claude_code_burst_through_the_proxy(tmp_path):
    db = tmp_path / "proxy-incidents.sqlite"
    with MockServer(MockConfig(seed=2), host="127.0.0.1", port=0) as mock:
        proxy = create_proxy(ProxyConfig(upstream=mock.base_url, trust_env=False), incidents_path=str(db))
        with (
            ThreadedServer(proxy.app) as server,
            httpx.Client(base_url=server.base_url, timeout=30) as client,
        ):
            for _ in range(6):
                r = client.post("/v1/messages", json=broken_turn_body(), headers=claude_code_headers())
                assert r.status_code == 400
            page = client.get("/_claude-otel/metrics").text
    assert (
        'claude_otel_failures_experienced_total{category="tool_result_missing",client="claude-code"} 1.0'
        in page
    )
    assert (
        'claude_otel_failure_repeats_total{category="tool_result_missing",client="claude-code"} 5.0' in page
    )
    assert 'claude_otel_stuck_sessions{category="tool_result_missing"} 1.0' in page
    assert SESSION_ID not in page

    from claude_otel.incidents.recorder import live_forensics

    for f in live_forensics():
        if f.writer is not None and f.path == str(db):
            assert f.writer.flush(20)
    out = subprocess.run(
        [sys.executable, "-m", "claude_otel.cli", "incidents", "list", "--db", str(db), "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert len(out) == 1
    incident = json.loads(out[0])
    assert incident["attempts"] == 6 and incident["session_stuck"] is True
    assert incident["client_version"] == "claude-cli/2.1.332"
    assert incident["session"] == f"claude-code:{SESSION_ID}"
