"""analysis="overlap" (background worker) vs "inline": same telemetry; transport errors; guard; fork."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import anthropic
import httpx2
import prometheus_client
import pytest

import claude_otel
from claude_otel.instrumentation.config import Config, ConfigError

from .conftest import http_spans
from .double import Double

MODEL = "claude-opus-4-6"
TOOLS = [{"name": "lookup", "input_schema": {"type": "object"}}]
HEADERS = {"x-api-key": "sk-ant-modes-secret", "anthropic-version": "2023-06-01"}
ORPHAN = [
    {"role": "user", "content": "a"},
    {"role": "assistant", "content": [{"type": "text", "text": "b"}]},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "c"}]},
]


def body(messages: list[dict], stream: bool = False) -> bytes:
    return json.dumps(
        {"model": MODEL, "max_tokens": 50, "tools": TOOLS, "messages": messages, "stream": stream}
    ).encode()


def big_loop(target: int = 150_000) -> list[dict]:
    """A valid tool loop of about ``target`` bytes (the size where overlapping pays)."""
    messages: list[dict] = [{"role": "user", "content": "start"}]
    i = 0
    while len(json.dumps(messages)) < target:
        tid = f"toolu_{i:08d}"
        messages.append(
            {"role": "assistant", "content": [{"type": "tool_use", "id": tid, "name": "lookup", "input": {}}]}
        )
        messages.append(
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tid, "content": "x" * 900}]}
        )
        i += 1
    return messages


def traffic(base_url: str, otel: Any, is_async: bool) -> None:
    """SDK turns with cross-turn state (container kept, then dropped) plus plain requests."""
    sdk = anthropic.Anthropic(
        api_key="k",
        base_url=base_url,
        max_retries=0,
        default_headers={"x-double-container": "1"},
        open_telemetry={"tracer_provider": otel.tracer_provider},
    )
    with sdk.messages.stream(
        model=MODEL, max_tokens=50, tools=TOOLS, messages=[{"role": "user", "content": "go"}]
    ) as s:
        first = s.get_final_message()
    tool = next(b for b in first.content if b.type == "tool_use")
    msgs = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool.id, "content": "r"}]},
    ]
    sdk.messages.create(model=MODEL, max_tokens=50, tools=TOOLS, messages=msgs)  # container dropped
    payloads = [body(big_loop()), body(big_loop(), stream=True), body(ORPHAN), b"{not json"]

    if not is_async:
        with httpx2.Client(base_url=base_url) as c:
            for p in payloads:
                with c.stream("POST", "/v1/messages", content=p, headers=HEADERS) as r:
                    r.read()
        return

    async def run() -> None:
        async with httpx2.AsyncClient(base_url=base_url) as c:
            for p in payloads:
                async with c.stream("POST", "/v1/messages", content=p, headers=HEADERS) as r:
                    await r.aread()

    asyncio.run(run())


_TIMINGS = ("claude_otel_operation_duration_seconds", "claude_otel_time_to_first_token_seconds")


def telemetry(otel: Any, registry: Any) -> tuple[list, dict]:
    """Our span attributes and finding events, span by span, and every metric sample's value."""
    spans = []
    for span in http_spans(otel.span_exporter):
        attrs = {
            k: v
            for k, v in span.attributes.items()
            if k.startswith(("claude_otel.", "gen_ai."))
            and k != "claude_otel.request_id"
            and not k.startswith("claude_otel.incident.")  # random ids, one per incident
        }
        events = [(e.name, dict(e.attributes)) for e in span.events]
        spans.append((attrs, events))
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in registry.collect()
        for s in fam.samples
        if not s.name.endswith("_created")
        and not (s.name.startswith(_TIMINGS) and not s.name.endswith("_count"))  # durations vary, counts not
    }
    return spans, samples


def run_mode(mode: str, otel: Any, is_async: bool) -> tuple[list, dict]:
    otel.span_exporter.clear()
    registry = prometheus_client.CollectorRegistry()
    double = Double()  # a fresh double per mode: the same message / container ids in both runs
    try:
        claude_otel.instrument(
            registry=registry,
            tracer_provider=otel.tracer_provider,
            extra_base_urls=[double.base_url],
            analysis=mode,
        )
        try:
            traffic(double.base_url, otel, is_async)
        finally:
            claude_otel.uninstrument()
    finally:
        double.close()
    return telemetry(otel, registry)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_overlap_and_inline_give_the_same_telemetry(is_async: bool, otel: Any) -> None:
    inline_spans, inline_samples = run_mode("inline", otel, is_async)
    overlap_spans, overlap_samples = run_mode("overlap", otel, is_async)
    assert len(inline_spans) == 6
    assert overlap_spans == inline_spans
    assert overlap_samples == inline_samples
    # and the traffic was worth comparing: cross-turn finding, predicted 400, big bodies, unparsed
    rules = [e[1]["claude_otel.finding.rule"] for _, events in overlap_spans for e in events]
    assert "container_required" in rules and "tool_result_orphan" in rules
    predicted = [attrs["claude_otel.predicted"] for attrs, _ in overlap_spans]
    assert predicted == ["ok", "warning", "ok", "ok", "error", "unparsed"]
    assert max(attrs.get("claude_otel.request.body_bytes", 0) for attrs, _ in overlap_spans) > 100_000
    errors = sum(
        v
        for (name, labels), v in overlap_samples.items()
        if name == "claude_otel_requests_total" and ("predicted", "error") in labels
    )
    assert errors == 1


def wait_for(check: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def findings(registry: Any, rule: str) -> float:
    value = registry.get_sample_value("claude_otel_findings_total", {"rule": rule, "severity": "error"})
    return value or 0.0


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HangUp:
    """Reads a whole request, then closes the connection without answering."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.received: list[int] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, rest = data.partition(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                length = int(next(h for h in lines if h.lower().startswith(b"content-length:"))[15:])
                while len(rest) < length:
                    rest += conn.recv(65536)
                self.received.append(len(rest))

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize("where", ["refused", "hung_up"])
def test_transport_error_in_overlap_mode_still_counts_findings(where: str, otel: Any) -> None:
    hangup = HangUp() if where == "hung_up" else None
    base = hangup.base_url if hangup else f"http://127.0.0.1:{closed_port()}"
    registry = prometheus_client.CollectorRegistry()
    claude_otel.instrument(
        registry=registry, tracer_provider=otel.tracer_provider, extra_base_urls=[base], analysis="overlap"
    )
    try:
        with httpx2.Client(base_url=base) as c, pytest.raises(httpx2.TransportError):
            c.post("/v1/messages", content=body(ORPHAN), headers=HEADERS)
        assert wait_for(lambda: findings(registry, "tool_result_orphan") == 1)
        hist = registry.get_sample_value("claude_otel_request_body_bytes_count")
        assert hist == 1  # the request's shape was recorded too
        assert registry.get_sample_value("claude_otel_requests_total", {"outcome": "ok"}) is None
    finally:
        claude_otel.uninstrument()
        if hangup:
            assert hangup.received == [len(body(ORPHAN))]
            hangup.close()


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_guard_stays_synchronous_in_overlap_mode(is_async: bool, double: Double, otel: Any) -> None:
    registry = prometheus_client.CollectorRegistry()
    claude_otel.instrument(
        registry=registry,
        tracer_provider=otel.tracer_provider,
        extra_base_urls=[double.base_url],
        guard=True,
        analysis="overlap",
    )
    try:
        if is_async:

            async def run() -> None:
                async with httpx2.AsyncClient(base_url=double.base_url) as c:
                    with pytest.raises(claude_otel.GuardError):
                        await c.post("/v1/messages", content=body(ORPHAN), headers=HEADERS)

            asyncio.run(run())
        else:
            with httpx2.Client(base_url=double.base_url) as c, pytest.raises(claude_otel.GuardError):
                c.post("/v1/messages", content=body(ORPHAN), headers=HEADERS)
    finally:
        claude_otel.uninstrument()
    assert double.requests == []  # nothing reached the server
    assert findings(registry, "tool_result_orphan") == 1


def test_a_forked_child_analyses_too(double: Double, otel: Any) -> None:
    registry = prometheus_client.CollectorRegistry()
    claude_otel.instrument(
        registry=registry,
        tracer_provider=otel.tracer_provider,
        extra_base_urls=[double.base_url],
        analysis="overlap",
    )
    try:
        with httpx2.Client(base_url=double.base_url) as c:  # the parent's worker is running
            c.post("/v1/messages", content=body(big_loop()), headers=HEADERS)
        assert any(t.name == "claude-otel-analysis" for t in threading.enumerate())
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: no worker thread was inherited; its request is analysed anyway
            code = 1
            try:
                otel.span_exporter.clear()
                with httpx2.Client(base_url=double.base_url) as c:
                    c.post("/v1/messages", content=body(ORPHAN), headers=HEADERS)
                span = http_spans(otel.span_exporter)[-1]
                report = {
                    "predicted": span.attributes.get("claude_otel.predicted"),
                    "findings": findings(registry, "tool_result_orphan"),
                    "worker": any(t.name == "claude-otel-analysis" for t in threading.enumerate()),
                }
                os.write(write_end, json.dumps(report).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung")
        report = json.loads(os.read(read_end, 65536) or b"{}")
        os.close(read_end)
        assert status == 0, report
        assert report == {"predicted": "error", "findings": 1.0, "worker": True}
        assert findings(registry, "tool_result_orphan") == 0  # the parent's counters are its own
    finally:
        claude_otel.uninstrument()


def test_analysis_option_from_env_and_errors() -> None:
    assert Config.build({}, env={}).analysis == "overlap"
    assert Config.build({}, env={"CLAUDE_OTEL_ANALYSIS": "Inline"}).analysis == "inline"
    assert Config.build({"analysis": "overlap"}, env={"CLAUDE_OTEL_ANALYSIS": "inline"}).analysis == "overlap"
    with pytest.raises(ConfigError, match="analysis must be one of"):
        Config.build({}, env={"CLAUDE_OTEL_ANALYSIS": "later"})
    with pytest.raises(ConfigError, match="analysis must be one of"):
        claude_otel.instrument(analysis="background")


def test_full_queue_analyses_inline_and_says_so(
    double: Double, otel: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from claude_otel.instrumentation import hooks
    from claude_otel.instrumentation.worker import AnalysisWorker

    worker = AnalysisWorker(max_queue=1)
    release = threading.Event()
    assert worker.submit(release.wait) is not None  # the worker thread is busy with this one ...
    assert wait_for(lambda: worker._queue is not None and worker._queue.empty())
    assert worker.submit(lambda: None) is not None  # ... and this one fills the queue
    monkeypatch.setattr(hooks, "_WORKER", worker)
    registry = prometheus_client.CollectorRegistry()
    otel.span_exporter.clear()
    claude_otel.instrument(
        registry=registry,
        tracer_provider=otel.tracer_provider,
        extra_base_urls=[double.base_url],
        analysis="overlap",
    )
    try:
        with httpx2.Client(base_url=double.base_url) as c:
            r = c.post("/v1/messages", content=body(ORPHAN), headers=HEADERS)
        assert r.status_code == 400
        span = http_spans(otel.span_exporter)[-1]
        assert span.attributes["claude_otel.predicted"] == "error"
        assert span.attributes["claude_otel.prediction"] == "confirmed"
        assert findings(registry, "tool_result_orphan") == 1
        reason = {"reason": "analysis_queue_full"}
        assert registry.get_sample_value("claude_otel_internal_errors_total", reason) == 1
    finally:
        release.set()
        claude_otel.uninstrument()


@pytest.mark.parametrize("mode", ["overlap", "inline"])
def test_the_collector_is_left_as_the_application_set_it(mode: str, double: Double, otel: Any) -> None:
    import gc

    claude_otel.instrument(
        registry=prometheus_client.CollectorRegistry(),
        tracer_provider=otel.tracer_provider,
        extra_base_urls=[double.base_url],
        analysis=mode,
    )
    was = gc.isenabled()
    try:
        with httpx2.Client(base_url=double.base_url) as c:
            for app_wants in (False, True, False):
                gc.enable() if app_wants else gc.disable()
                c.post("/v1/messages", content=body(big_loop(50_000)), headers=HEADERS)
                assert gc.isenabled() is app_wants
    finally:
        gc.enable() if was else gc.disable()
        claude_otel.uninstrument()
