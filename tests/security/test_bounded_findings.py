"""Findings per request are capped: the first MAX_FINDINGS with their paths, then one summary finding with
the count, so spans (one event per finding), --guard's 400 body and metrics stay bounded whatever a body
holds."""

from __future__ import annotations

import json

import httpx

from claude_otel.core import analyze
from claude_otel.core.findings import MAX_FINDINGS

N_ORPHANS = 20_000


def orphan_body(n: int = N_ORPHANS) -> bytes:
    results = [{"type": "tool_result", "tool_use_id": f"toolu_{i:08d}", "content": "r"} for i in range(n)]
    return json.dumps(
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 8,
            "tools": [{"name": "t", "input_schema": {"type": "object"}}],
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": [{"type": "text", "text": "b"}]},
                {"role": "user", "content": results},
            ],
        }
    ).encode()


def test_analyze_keeps_the_first_findings_and_one_summary():
    analysis = analyze(orphan_body())
    findings = analysis.findings
    assert len(findings) == MAX_FINDINGS + 1
    assert all(f.path for f in findings[:MAX_FINDINGS])
    summary = findings[-1]
    assert summary.rule == "tool_result_orphan"
    assert summary.severity == "error"
    assert str(N_ORPHANS - MAX_FINDINGS) in summary.message
    assert analysis.predicted == "error"


def test_guard_answer_stays_small_for_a_body_with_many_findings(upstream, start_proxy):
    server, _ = start_proxy(upstream.base_url, guard=True)
    body = orphan_body()
    with httpx.Client(timeout=30) as client:
        response = client.post(server.base_url + "/v1/messages", content=body)
    assert response.status_code == 400
    assert len(response.content) < 64 * 1024, len(response.content)  # was larger than the request
    assert upstream.requests == []
