"""The opt-in repair in flight, on the real path: the anthropic SDK instrumented with ``repair=True`` and
``claude-otel proxy --repair`` as an operator runs it, both against the mock (which enforces the API's
rules). A request with a text block before its tool_result gets a 200 instead of the 400, counted,
on the span, and marked with ``x-claude-otel-repaired``; with repair off the same request fails."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import httpx2
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry, generate_latest

import claude_otel
from claude_otel.instrumentation.config import Config
from claude_otel.mock import MockConfig, MockServer

ROOT = Path(__file__).resolve().parents[2]
MODEL = "claude-sonnet-4-5-20250929"
TOOLS = [{"name": "Read", "description": "read a file", "input_schema": {"type": "object"}}]
CANARY = "CANARY-inflight-3b7d"
TOOL_ID = "toolu_01D7FLrfh4GYq7yT1ULFeyMV"


def damaged_body() -> dict[str, Any]:
    return {
        "model": MODEL,
        "max_tokens": 64,
        "tools": TOOLS,
        "messages": [
            {"role": "user", "content": f"read it {CANARY}"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": TOOL_ID, "name": "Read", "input": {}}],
            },
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": f"typed meanwhile {CANARY}"},
                    {"type": "tool_result", "tool_use_id": TOOL_ID, "content": f"file {CANARY}"},
                ],
            },
        ],
    }


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer(MockConfig(tool_rounds=0)) as server:
        yield server


def _instrument(mock: MockServer, **config: Any) -> tuple[CollectorRegistry, InMemorySpanExporter]:
    registry = CollectorRegistry()
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    claude_otel.instrument(
        registry=registry, tracer_provider=provider, extra_base_urls=[mock.base_url], **config
    )
    return registry, spans


def _client(mock: MockServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="sk-ant-test", base_url=mock.base_url, max_retries=0)


def test_sdk_with_repair_gets_a_200_counted_on_the_span_and_marked(mock: MockServer) -> None:
    registry, spans = _instrument(mock, repair=True)
    try:
        raw = _client(mock).messages.with_raw_response.create(**damaged_body())
    finally:
        claude_otel.uninstrument()
    assert raw.http_response.status_code == 200
    assert raw.headers["x-claude-otel-repaired"] == "tool_result_not_first"
    assert raw.parse().stop_reason == "end_turn"
    page = generate_latest(registry).decode()
    assert 'claude_otel_repairs_total{rule="tool_result_not_first"} 1.0' in page
    assert "error:tool_result_not_first" not in mock.stats
    (span,) = [s for s in spans.get_finished_spans() if "claude_otel.repaired" in (s.attributes or {})]
    assert list(span.attributes["claude_otel.repaired"]) == ["tool_result_not_first"]
    assert span.attributes["claude_otel.predicted"] == "ok"  # the body sent is the repaired one
    assert CANARY not in page


@pytest.mark.parametrize("module", [httpx, httpx2], ids=["httpx", "httpx2"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_plain_clients_send_the_repaired_bytes(mock: MockServer, module: Any, mode: str) -> None:
    registry, _spans = _instrument(mock, repair=True)
    body = json.dumps(damaged_body(), indent=1).encode()  # the repaired body (compact) is shorter
    headers = {
        "x-api-key": "sk-ant-test",
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
    }
    url = mock.base_url + "/v1/messages"
    try:
        if mode == "sync":
            with module.Client() as client:
                resp = client.post(url, content=body, headers=headers)
        else:

            async def send() -> Any:
                async with module.AsyncClient() as client:
                    return await client.post(url, content=body, headers=headers)

            resp = asyncio.run(send())
    finally:
        claude_otel.uninstrument()
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-claude-otel-repaired"] == "tool_result_not_first"
    page = generate_latest(registry).decode()
    assert 'claude_otel_repairs_total{rule="tool_result_not_first"} 1.0' in page


def test_sdk_without_repair_gets_the_400_and_no_header(mock: MockServer) -> None:
    registry, _spans = _instrument(mock)
    try:
        with pytest.raises(anthropic.BadRequestError):
            _client(mock).messages.create(**damaged_body())
        ok = _client(mock).messages.with_raw_response.create(
            model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        )
    finally:
        claude_otel.uninstrument()
    assert "x-claude-otel-repaired" not in ok.headers
    assert "claude_otel_repairs_total{" not in generate_latest(registry).decode()


def _our_attributes(spans: InMemorySpanExporter) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in (s.attributes or {}).items() if k.startswith("claude_otel.") and "id" not in k}
        for s in spans.get_finished_spans()
        if s.attributes and "claude_otel.predicted" in s.attributes
    ]


@pytest.mark.parametrize("analysis", ["inline", "overlap"])
def test_with_repair_a_request_that_needs_none_is_analysed_once(
    mock: MockServer, analysis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repair analyses the body first; when it repairs nothing, that analysis is the request's: the
    hooks do not analyse the same bytes again, and the telemetry is what it is without repair."""
    from claude_otel.core import analysis as core_analysis

    calls: list[int] = []
    real = core_analysis.analyze

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(len(args[0]))
        return real(*args, **kwargs)

    for name in ("claude_otel.instrumentation.hooks", "claude_otel.repair.inflight"):
        monkeypatch.setattr(f"{name}.analyze", counting)
    answered = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": TOOL_ID, "content": "f"}]}
    ok = dict(damaged_body(), messages=[*damaged_body()["messages"][:2], answered])  # nothing to repair
    seen = []
    for repair in (False, True):
        calls.clear()
        _registry, spans = _instrument(mock, repair=repair, analysis=analysis)
        try:
            _client(mock).messages.create(**ok)
        finally:
            claude_otel.uninstrument()
        assert len(calls) == 1, (repair, calls)
        seen.append(_our_attributes(spans))
    assert seen[0] == seen[1] and seen[0][0]["claude_otel.predicted"] == "ok"


def test_repair_is_off_by_default_and_read_from_the_environment() -> None:
    assert Config.build().repair is False
    assert Config.build(env={"CLAUDE_OTEL_REPAIR": "1"}).repair is True
    assert Config.build({"repair": False}, env={"CLAUDE_OTEL_REPAIR": "1"}).repair is False


def test_proxy_cli_with_repair_forwards_the_repaired_body(mock: MockServer) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_EXPORTER_OTLP")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "claude_otel.cli",
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            mock.base_url,
            "--repair",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        seen = ""
        for line in proc.stdout:  # type: ignore[union-attr]
            seen += line
            if "ANTHROPIC_BASE_URL=" in line:
                break
        match = re.search(r"ANTHROPIC_BASE_URL=(\S+)", seen)
        assert match, seen + proc.stderr.read()  # type: ignore[union-attr]
        base = match.group(1)
        headers = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}
        resp = httpx.post(base + "/v1/messages", json=damaged_body(), headers=headers, timeout=30)
        page = httpx.get(base + "/_claude-otel/metrics", timeout=10).text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-claude-otel-repaired"] == "tool_result_not_first"
    assert 'claude_otel_repairs_total{rule="tool_result_not_first"} 1.0' in page
    assert CANARY not in page


def test_a_body_over_max_body_bytes_is_not_analysed_so_not_repaired(mock: MockServer) -> None:
    _instrument(mock, repair=True, max_body_bytes=100)
    try:
        with pytest.raises(anthropic.BadRequestError):
            _client(mock).messages.create(**damaged_body())
    finally:
        claude_otel.uninstrument()
