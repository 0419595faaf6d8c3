"""The streamed-response observer against streams cut anywhere: what it records (ids, tool calls, stop
reason, usage, thinking digests, a mid-stream error) does not depend on where the network cuts the
bytes, and text deltas are dropped by the parser without changing any of it (also through real HTTP)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anthropic
import prometheus_client
import pytest

import claude_otel
from claude_otel.instrumentation.observe import ResponseSummary, SSEObserver


def _stream(error: bool = False) -> bytes:
    message = {
        "id": "msg_cut",
        "type": "message",
        "role": "assistant",
        "model": "claude-opus-4-6",
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": 12, "cache_read_input_tokens": 3, "output_tokens": 1},
    }
    events: list[tuple[str, dict]] = [
        ("message_start", {"type": "message_start", "message": message}),
        ("ping", {"type": "ping"}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "thinking_delta", "thinking": "Let me see."},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "signature_delta", "signature": "c2ln"},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        ),
    ]
    for word in ("Checking", " the", " weather", " now."):
        events.append(
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": word}},
            )
        )
    events.append(("content_block_stop", {"type": "content_block_stop", "index": 1}))
    if error:
        events.append(
            ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
        )
    else:
        events += [
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 2,
                    "content_block": {
                        "type": "tool_use",
                        "id": "toolu_cut",
                        "name": "get_weather",
                        "input": {},
                    },
                },
            ),
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 2,
                    "delta": {"type": "input_json_delta", "partial_json": '{"q": 1}'},
                },
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 2}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "tool_use"},
                    "usage": {"output_tokens": 30},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
    return b"".join(f"event: {e}\ndata: {json.dumps(d)}\n\n".encode() for e, d in events)


def _observe(chunks: list[bytes]) -> ResponseSummary:
    obs = SSEObserver()
    for chunk in chunks:
        obs.feed(chunk)
    summary = obs.close()
    assert summary.first_chunk_at is not None and summary.first_token_at is not None
    summary.first_chunk_at = summary.first_token_at = None
    return summary


@pytest.mark.parametrize("error", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_the_summary_does_not_depend_on_where_the_stream_is_cut(error: bool, crlf: bool) -> None:
    raw = _stream(error)
    if crlf:
        raw = raw.replace(b"\n", b"\r\n")
    whole = _observe([raw])
    assert whole.message_id == "msg_cut" and whole.usage is not None and whole.usage["input"] == 12
    assert whole.record is not None and len(whole.record.thinking) == 1
    if error:
        assert not whole.completed and whole.error_event is not None
        assert b"overloaded_error" in whole.error_event and whole.tool_use_count == 0
    else:
        assert whole.completed and whole.tool_use_count == 1 and whole.stop_reason == "tool_use"
        assert whole.record.tool_use_ids == ("toolu_cut",) and whole.usage["output"] == 30
    per_event = _observe(
        [e + (b"\r\n\r\n" if crlf else b"\n\n") for e in raw.split(b"\r\n\r\n" if crlf else b"\n\n") if e]
    )
    assert per_event == whole
    for i in range(1, len(raw)):  # one cut at every byte, and a second one a few bytes further
        for j in (i, min(len(raw), i + 3)):
            assert _observe([raw[:i], raw[i:j], raw[j:]]) == whole, (i, j)


@pytest.fixture
def cutting_server() -> Iterator[Any]:
    """Sends the stream of a request's ``x-cuts`` header (byte offsets) as separate, flushed writes."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            raw = _stream(error=self.headers.get("x-error") == "1")
            cuts = [int(c) for c in self.headers.get("x-cuts", "").split(",") if c]
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("request-id", "req_cut")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            pos = 0
            for cut in [*cuts, len(raw)]:
                piece = raw[pos:cut]
                pos = cut
                if piece:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.flush()
                    time.sleep(0.002)
            self.wfile.write(b"0\r\n\r\n")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_streams_cut_inside_events_through_the_sdk(cutting_server: Any, otel: Any) -> None:
    """What a user sees (metrics and the response log record) for streams cut inside a text delta, inside
    the tool_use block's start and inside the error event, through the real SDK and HTTP."""
    base = f"http://127.0.0.1:{cutting_server.server_address[1]}"
    registry = prometheus_client.CollectorRegistry()
    otel.log_exporter.clear()
    claude_otel.instrument(
        registry=registry,
        tracer_provider=otel.tracer_provider,
        logger_provider=otel.logger_provider,
        extra_base_urls=[base],
    )
    try:
        client = anthropic.Anthropic(api_key="k", base_url=base, max_retries=0)
        raw = _stream()
        text_delta = raw.index(
            b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 1'
        )
        tool_start = raw.index(b"toolu_cut")
        for cuts in ([], [text_delta + 5, text_delta + 40], [tool_start - 60, tool_start + 3]):
            with client.messages.stream(
                model="claude-opus-4-6",
                max_tokens=100,
                messages=[{"role": "user", "content": "go"}],
                extra_headers={"x-cuts": ",".join(map(str, cuts))},
            ) as stream:
                final = stream.get_final_message()
            assert final.stop_reason == "tool_use"
        error_at = _stream(error=True).index(b"event: error")
        with (
            pytest.raises(anthropic.APIStatusError),
            client.messages.stream(
                model="claude-opus-4-6",
                max_tokens=100,
                messages=[{"role": "user", "content": "go"}],
                extra_headers={"x-error": "1", "x-cuts": f"{error_at + 2},{error_at + 30}"},
            ) as stream,
        ):
            stream.get_final_message()
    finally:
        claude_otel.uninstrument()

    def value(name: str, **labels: str) -> float:
        got = registry.get_sample_value(name, labels)
        return got or 0.0

    assert value("claude_otel_streams_total", outcome="completed") == 3
    assert value("claude_otel_streams_total", outcome="error_event") == 1
    assert value("claude_otel_response_tool_use_blocks_sum") == 3
    assert value("claude_otel_response_stop_reasons_total", stop_reason="tool_use") == 3
    records = [
        r.log_record
        for r in otel.log_exporter.get_finished_logs()
        if r.log_record.event_name == "claude_otel.response"
    ]
    assert len(records) == 4
    for rec in records[:3]:
        assert rec.attributes["gen_ai.response.id"] == "msg_cut"
        assert rec.attributes["claude_otel.response.tool_use_count"] == 1
        assert rec.attributes["gen_ai.usage.output_tokens"] == 30
    assert records[3].attributes["claude_otel.stream.outcome"] == "error_event"
    assert records[3].attributes["error.type"] == "overloaded_error"
