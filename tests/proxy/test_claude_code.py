"""End to end: real Claude Code (installed from npm) -> claude-otel proxy -> mock Messages API. A whole
tool loop completes, and the proxy's metrics show the requests, their shape and client="claude-code"."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from claude_code_task import claude_code_task

from claude_otel.mock import MockServer

from .test_observability import METRICS, assert_client_label, sample

API_KEY = "sk-ant-claude-code-test-key"


@pytest.mark.slow
def test_claude_code_tool_loop_through_the_proxy(claude_bin: Path, tmp_path: Path, start_proxy) -> None:
    task = claude_code_task(tmp_path, "proxy")
    with MockServer(task.config) as mock:
        proxy_server, proxy = start_proxy(mock.base_url)
        assert proxy.instrumentation.active, proxy.instrumentation.notice
        result = task.run(claude_bin, proxy_server.base_url, API_KEY)
        stats = dict(mock.stats)
        page = httpx.get(proxy_server.base_url + METRICS, timeout=10).text

    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["is_error"] is False and report["subtype"] == "success"
    assert report["result"] == "Done after 2 tool rounds."
    assert task.out.read_text() == "written by Claude Code through the proxy\n"
    assert stats["tool_results"] == 3 and stats.get("tool_result_errors", 0) == 0
    assert stats["beta_requests"] == stats["requests"] >= 3  # ?beta=true survived the proxy

    seen = sample(page, "claude_otel_requests_total", endpoint="messages", outcome="ok")
    assert seen == stats["requests"], page[:3000]
    assert sample(page, "claude_otel_response_stop_reasons_total", stop_reason="tool_use") == 2
    assert (sample(page, "claude_otel_request_tool_result_blocks_sum") or 0) >= 3  # results were sent
    assert sample(page, "claude_otel_findings_total", severity="error") is None  # a healthy loop
    assert API_KEY not in page and "a note for the proxy test" not in page
    assert_client_label(page, "claude-code", seen)
