"""The proxy's own answers are counted like the upstream's: an upstream that is down, times out or closes
on us, and requests the proxy refuses, are samples of claude_otel_requests_total / errors_total with a
documented outcome, scraped from the proxy's own metrics page."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from claude_otel.instrumentation.metrics import OUTCOMES

from .conftest import metric

BODY = json.dumps(
    {"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": [{"role": "user", "content": "x"}]}
).encode()
UA = {"user-agent": "claude-cli/2.0.1 (external, cli)"}


def post(base_url: str, scenario: str = "json", content: bytes = BODY) -> httpx.Response:
    with httpx.Client(timeout=10) as client:
        return client.post(base_url + "/v1/messages", content=content, headers={"x-scenario": scenario, **UA})


def scrape(server) -> str:
    return httpx.get(server.base_url + "/_claude-otel/metrics", timeout=10).text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_upstream_that_refuses_connections_is_counted(start_proxy):
    server, proxy = start_proxy(f"http://127.0.0.1:{free_port()}")
    for _ in range(3):
        assert post(server.base_url).status_code == 502
    labels = {"outcome": "upstream_unreachable", "endpoint": "messages", "predicted": "skipped"}
    assert metric(proxy, "claude_otel_requests_total", **labels) == 3
    assert metric(proxy, "claude_otel_requests_total", model="claude-sonnet-4-5", client="claude-code") == 3
    assert metric(proxy, "claude_otel_errors_total", category="connection", status_class="5xx") == 3
    text = scrape(server)  # on the page Prometheus scrapes, too
    assert 'outcome="upstream_unreachable"' in text


@pytest.mark.parametrize(
    ("scenario", "status", "outcome", "category"),
    [
        ("close", 502, "upstream_unreachable", "connection"),
        ("slow", 504, "upstream_timeout", "timeout"),
    ],
)
def test_upstream_trouble_is_counted(scenario, status, outcome, category, upstream, start_proxy):
    server, proxy = start_proxy(upstream.base_url, read_timeout=0.3)
    assert post(server.base_url, scenario).status_code == status
    assert metric(proxy, "claude_otel_requests_total", outcome=outcome, endpoint="messages") == 1
    assert metric(proxy, "claude_otel_errors_total", category=category) == 1


def test_a_request_over_the_size_limit_is_counted(upstream, start_proxy):
    server, proxy = start_proxy(upstream.base_url, max_request_bytes=1000, max_buffered_bytes=10_000)
    assert post(server.base_url, content=BODY + b" " * 2000).status_code == 413
    assert metric(proxy, "claude_otel_requests_total", outcome="proxy_refused") == 1
    assert metric(proxy, "claude_otel_errors_total", category="request_too_large", status_class="4xx") == 1
    assert upstream.requests == []


def test_the_outcome_values_are_a_fixed_documented_set():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for outcome in ("upstream_unreachable", "upstream_timeout", "proxy_refused", "proxy_error"):
        assert outcome in OUTCOMES
        assert outcome in readme
