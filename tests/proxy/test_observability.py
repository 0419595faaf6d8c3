"""What the proxy tells operators: Prometheus metrics with shape and client label, the guard, and OTLP
trace export from the standard environment variables. Never content or credentials."""

from __future__ import annotations

import asyncio
import http.server
import re
import sys
import threading

import anthropic
import httpx
import pytest

from claude_otel.core.client_label import CLIENT_LABELS
from claude_otel.proxy.app import ProxyConfig
from claude_otel.proxy.factory import create_proxy
from claude_otel.proxy.server import ThreadedServer
from claude_otel.proxy.telemetry import otlp_from_env

METRICS = "/_claude-otel/metrics"
SECRET = "sk-ant-api03-never-record-me"
PROMPT = "the secret launch codes are 0000"

# An assistant tool_use answered by plain text: the API answers 400 tool_result_missing.
BROKEN = [
    {"role": "user", "content": PROMPT},
    {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_01Abc", "name": "get_weather", "input": {}}],
    },
    {"role": "user", "content": "never mind"},
]
TOOLS = [{"name": "get_weather", "description": "w", "input_schema": {"type": "object"}}]


def sample(text: str, name: str, **labels: str) -> float | None:
    """The sum of the samples of ``name`` whose labels include ``labels`` (None when there is none)."""
    found = None
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            found = (found or 0.0) + float(value)
    return found


def assert_client_label(text: str, expected: str, count: float) -> None:
    """``claude_otel_requests_total`` counts ``count`` requests under ``client=expected``, and every client
    label on the page is one of the documented set."""
    labels = set(re.findall(r'claude_otel_requests_total\{[^}]*client="([^"]*)"', text))
    assert labels <= set(CLIENT_LABELS), sorted(labels)
    assert sample(text, "claude_otel_requests_total", client=expected) == count, sorted(labels)


def sdk(base_url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=base_url, api_key=SECRET, max_retries=0)


def test_metrics_show_requests_with_shape_and_client_label(proxied):
    up, server, proxy = proxied
    assert proxy.instrumentation.active, proxy.instrumentation.notice
    client = sdk(server.base_url)
    client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=16,
        messages=[
            {"role": "user", "content": PROMPT},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_01X", "name": "get_weather", "input": {}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_01X", "content": "sunny"}],
            },
        ],
        tools=TOOLS,
        extra_headers={"x-scenario": "json"},
    )
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=16,
            messages=BROKEN,
            tools=TOOLS,
            extra_headers={"x-scenario": "400"},
        )
    with httpx.Client(timeout=10) as c:
        text = c.get(server.base_url + METRICS).text
    ok = sample(text, "claude_otel_requests_total", endpoint="messages", outcome="ok", predicted="ok")
    failed = sample(text, "claude_otel_requests_total", outcome="invalid_request", predicted="error")
    assert ok == 1.0
    assert failed == 1.0
    assert sample(text, "claude_otel_findings_total", rule="tool_result_missing", severity="error") == 1.0
    assert sample(text, "claude_otel_request_tool_use_blocks_sum") == 2.0  # one tool_use in each request
    assert sample(text, "claude_otel_request_tool_result_blocks_sum") == 1.0
    assert sample(text, "claude_otel_request_messages_sum") == 6.0
    assert sample(text, "claude_otel_errors_total", category="tool_result_missing", status_class="4xx") == 1.0
    for secret in (SECRET, PROMPT, "sunny", "launch"):
        assert secret not in text
    assert len(up.requests) == 2
    assert_client_label(text, "anthropic-sdk-python", 2.0)


def test_guard_answers_400_locally_and_never_reaches_the_upstream(upstream, start_proxy):
    server, proxy = start_proxy(upstream.base_url, guard=True)
    assert proxy.instrumentation.active, proxy.instrumentation.notice
    client = sdk(server.base_url)
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=16,
            messages=BROKEN,
            tools=TOOLS,
            extra_headers={"x-scenario": "json"},
        )
    assert upstream.requests == []  # refused before sending
    assert info.value.response.headers["x-claude-otel-proxy"] == "guard"
    error = info.value.body["error"]
    assert info.value.body["type"] == "error"
    assert error["type"] == "invalid_request_error"
    assert "tool_result_missing" in error["message"]  # the rule
    assert "messages.2" in error["message"]  # the path
    assert "toolu_01Abc" in error["message"]  # the id, so the client can find the turn
    assert "fix" in error["message"]
    for secret in (SECRET, PROMPT, "never mind"):
        assert secret not in error["message"]

    # a healthy request still goes through
    message = client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=16,
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"x-scenario": "json"},
    )
    assert message.stop_reason == "end_turn"
    assert len(upstream.requests) == 1


def test_without_guard_a_broken_request_is_forwarded(proxied):
    up, server, _ = proxied
    with pytest.raises(anthropic.BadRequestError) as info:
        sdk(server.base_url).messages.create(
            model="claude-sonnet-4-5",
            max_tokens=16,
            messages=BROKEN,
            tools=TOOLS,
            extra_headers={"x-scenario": "400"},
        )
    assert len(up.requests) == 1
    assert "x-claude-otel-proxy" not in info.value.response.headers  # the upstream's own 400


class _Collector(http.server.BaseHTTPRequestHandler):
    bodies: list[tuple[str, bytes]]

    def do_POST(self) -> None:
        n = int(self.headers.get("content-length") or 0)
        self.bodies.append((self.path, self.rfile.read(n)))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_traces_are_exported_over_otlp_when_the_env_asks_for_it(upstream, monkeypatch):
    pytest.importorskip(
        "opentelemetry.exporter.otlp.proto.http.trace_exporter",
        reason="optional dependency opentelemetry-exporter-otlp-proto-http (pip install 'claude-otel[otlp]')",
    )
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    bodies: list[tuple[str, bytes]] = []
    handler = type("Collector", (_Collector,), {"bodies": bodies})
    collector = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{collector.server_port}")
        monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
        otlp = otlp_from_env()
        assert otlp.tracer_provider is not None, otlp.notice
        proxy = create_proxy(
            ProxyConfig(upstream=upstream.base_url, trust_env=False), tracer_provider=otlp.tracer_provider
        )
        with ThreadedServer(proxy.app) as server:
            sdk(server.base_url).messages.create(
                model="claude-sonnet-4-5",
                max_tokens=16,
                messages=[{"role": "user", "content": PROMPT}],
                extra_headers={"x-scenario": "json"},
            )
        assert otlp.tracer_provider.force_flush(10_000)
        otlp.shutdown()
    finally:
        collector.shutdown()
    assert bodies and all(path == "/v1/traces" for path, _ in bodies)
    spans, resources = [], []
    for _, raw in bodies:
        req = ExportTraceServiceRequest.FromString(raw)
        for rs in req.resource_spans:
            resources.append({a.key: a.value.string_value for a in rs.resource.attributes})
            for ss in rs.scope_spans:
                spans.extend(ss.spans)
    assert any(r.get("service.name") == "claude-otel-proxy" for r in resources)
    attrs = {a.key: a.value for s in spans for a in s.attributes}
    assert attrs["gen_ai.request.model"].string_value == "claude-sonnet-4-5"
    assert any(k.startswith("claude_otel.") for k in attrs)
    dump = b"".join(raw for _, raw in bodies)
    assert SECRET.encode() not in dump and PROMPT.encode() not in dump


def test_otlp_degrades_with_a_clear_notice_when_the_exporter_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    setup = otlp_from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert setup.tracer_provider is None
    assert "opentelemetry-exporter-otlp-proto-http" in setup.notice
    assert "claude-otel[otlp]" in setup.notice
    assert otlp_from_env({}).tracer_provider is None  # not asked for: nothing set up, nothing said
    assert otlp_from_env({}).notice == ""


def test_concurrent_requests_are_each_counted_once_with_their_own_outcome(proxied):
    up, server, _ = proxied
    good = {"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
    bad = {"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": BROKEN, "tools": TOOLS}
    plan = [("json", good), ("sse", {**good, "stream": True}), ("400", bad), ("429", good)] * 6

    async def run() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            calls = [
                client.post(server.base_url + "/v1/messages", json=body, headers={"x-scenario": scenario})
                for scenario, body in plan
            ]
            return [r.status_code for r in await asyncio.gather(*calls)]

    statuses = asyncio.run(run())
    assert sorted(statuses) == sorted([200] * 12 + [400] * 6 + [429] * 6)
    text = httpx.get(server.base_url + METRICS, timeout=10).text
    assert sample(text, "claude_otel_requests_total", outcome="ok", predicted="ok") == 12
    assert sample(text, "claude_otel_requests_total", outcome="invalid_request", predicted="error") == 6
    assert sample(text, "claude_otel_requests_total", outcome="rate_limited") == 6
    assert sample(text, "claude_otel_streams_total", outcome="completed") == 6
    assert len(up.requests) == len(plan)


def test_compressed_responses_are_still_observed(proxied):
    """Claude Code asks for gzip, deflate, br, zstd: the proxy forwards the compressed bytes untouched and the
    analysis still reads the stop reason and classifies the 400."""
    _, server, _ = proxied
    with httpx.Client(timeout=10) as client:
        for scenario, body in (
            ("json-gzip", {"messages": [{"role": "user", "content": "hi"}]}),
            ("400-gzip", {}),
        ):
            payload = {
                "model": "claude-sonnet-4-5",
                "max_tokens": 8,
                "messages": BROKEN,
                "tools": TOOLS,
                **body,
            }
            client.post(server.base_url + "/v1/messages", json=payload, headers={"x-scenario": scenario})
        text = client.get(server.base_url + METRICS).text
    assert sample(text, "claude_otel_errors_total", category="tool_result_missing", status_class="4xx") == 1.0
    assert sample(text, "claude_otel_response_stop_reasons_total", stop_reason="end_turn") == 1.0
