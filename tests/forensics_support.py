"""Shared by tests/sessions and tests/incidents: the mock Messages API with claude-otel instrumented in
process (a fresh registry, in-memory spans and log records, an incident store under tmp_path), and the
Claude Code-shaped request that fails: a user turn with a text block before its tool_result (the API
answers 400 tool_result_missing; Claude Code resends it six times with x-stainless-retry-count: 0)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

import claude_otel
from claude_otel.mock import MockConfig, MockServer

SESSION_ID = "5d0c2a6e-7a51-4c55-9d1e-2f6b8c9a0e11"
CLAUDE_CODE_UA = "claude-cli/2.1.332 (external, sdk-cli)"
CANARY = "CANARY-c1a0de-never-in-a-record"
BETAS = "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27"


def claude_code_headers(session: str = SESSION_ID, betas: str | None = BETAS) -> dict[str, str]:
    headers = {
        "x-api-key": "sk-ant-" + CANARY,
        "anthropic-version": "2023-06-01",
        "user-agent": CLAUDE_CODE_UA,
        "x-claude-code-session-id": session,
        "x-app": "cli",
        "x-stainless-retry-count": "0",
    }
    if betas:
        headers["anthropic-beta"] = betas
    return headers


def broken_turn_body(
    session: str = SESSION_ID, extra_turns: int = 0, deferred_tools: bool = True, prompt: str = CANARY
) -> dict[str, Any]:
    """A Claude Code-like request whose last user turn has text before its tool_result (content: CANARY)."""
    tools: list[dict[str, Any]] = [
        {"name": "Read", "description": CANARY, "input_schema": {"type": "object", "properties": {}}},
        {"name": "Bash", "description": CANARY, "input_schema": {"type": "object", "properties": {}}},
    ]
    if deferred_tools:
        tools.append(
            {
                "name": "NotebookEdit",
                "description": CANARY,
                "input_schema": {"type": "object"},
                "defer_loading": True,
            }
        )
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "text", "text": prompt}]}]
    for k in range(extra_turns):
        tid = f"toolu_hist{k:04d}"
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": CANARY},
                    {"type": "tool_use", "id": tid, "name": "Bash", "input": {"command": CANARY}},
                ],
            }
        )
        messages.append(
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tid, "content": CANARY}]}
        )
    messages.append(
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": CANARY},
                {
                    "type": "tool_use",
                    "id": "toolu_01BrokenTurnRead",
                    "name": "Read",
                    "input": {"path": CANARY},
                },
            ],
        }
    )
    messages.append(
        {
            "role": "user",
            "content": [
                {"type": "text", "text": CANARY},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_01BrokenTurnRead",
                    "content": [{"type": "text", "text": CANARY}],
                },
            ],
        }
    )
    # Claude Code injects a system message listing the deferred tools; its retries rewrite it
    messages.append({"role": "system", "content": [{"type": "text", "text": "deferred: NotebookEdit"}]})
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "system": [{"type": "text", "text": CANARY}],
        "metadata": {"user_id": json.dumps({"device_id": "dev1", "account_uuid": "", "session_id": session})},
        "tools": tools,
        "messages": messages,
    }


def shed(body: dict[str, Any]) -> dict[str, Any]:
    """What Claude Code's later retries send: tool search dropped (no deferred tools, the injected system
    message rewritten)."""
    out = dict(body)
    out["tools"] = [t for t in body["tools"] if not t.get("defer_loading")]
    out["messages"] = [
        *body["messages"][:-1],
        {"role": "system", "content": [{"type": "text", "text": "none"}]},
    ]
    return out


def good_body(session: str = SESSION_ID) -> dict[str, Any]:
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 256,
        "metadata": {"user_id": json.dumps({"device_id": "dev1", "session_id": session})},
        "messages": [{"role": "user", "content": "hello"}],
    }


def scrape(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    server, _thread = claude_otel.start_metrics_server(0, registry=registry)
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as resp:
            text = resp.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples: dict, name: str, **labels: str) -> float:
    return sum(
        v
        for (n, ls), v in samples.items()
        if n == name and all(dict(ls).get(k) == x for k, x in labels.items())
    )


class Rig:
    def __init__(self, mock: MockServer, inst: Any, registry: CollectorRegistry, db: Path) -> None:
        self.mock = mock
        self.url = mock.base_url + "/v1/messages"
        self.inst = inst
        self.registry = registry
        self.db = db
        self.spans = InMemorySpanExporter()
        self.logs = InMemoryLogRecordExporter()

    def flush(self) -> None:
        writer = self.inst.forensics.writer
        if writer is not None:
            assert writer.flush(20)

    def metrics(self) -> dict:
        return scrape(self.registry)

    def http_spans(self) -> list[Any]:
        return [s for s in self.spans.get_finished_spans() if s.instrumentation_scope.name.endswith("httpx")]


@contextmanager
def instrumented_mock(tmp_path: Path, **config: Any) -> Iterator[Rig]:
    spans = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(spans))
    logs = InMemoryLogRecordExporter()
    lp = LoggerProvider()
    lp.add_log_record_processor(SimpleLogRecordProcessor(logs))
    registry = CollectorRegistry()
    db = tmp_path / "incidents.sqlite"
    with MockServer(MockConfig(seed=5), host="127.0.0.1", port=0) as mock:
        options = {"incidents_path": str(db), **config}
        inst = claude_otel.instrument(
            registry=registry,
            tracer_provider=tp,
            logger_provider=lp,
            extra_base_urls=[mock.base_url],
            **options,
        )
        rig = Rig(mock, inst, registry, db)
        rig.spans, rig.logs = spans, logs
        try:
            yield rig
        finally:
            claude_otel.uninstrument()
            rig.flush()
